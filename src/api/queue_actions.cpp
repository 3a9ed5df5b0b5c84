// Queue management and message move task actions of SqsService (see sqs_service.h). Responses
// leave out what SQS leaves out (an empty QueueUrls list, no tags, no attributes).
#include <boost/json/array.hpp>
#include <charconv>

#include "api/move_task_json.h"
#include "api/queue_policy.h"
#include "api/request_reader.h"
#include "api/sqs_service.h"

namespace shmq::api {

namespace json = boost::json;

namespace {

json::object string_map_json(const std::map<std::string, std::string, std::less<>>& values) {
    json::object out;
    for (const auto& [key, value] : values) {
        out[key] = value;
    }
    return out;
}

// A NextToken this endpoint handed out: the index to continue from.
Result<std::size_t> parse_index_token(const std::string& token) {
    if (token.empty()) {
        return std::size_t{0};
    }
    std::size_t index = 0;
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (error != std::errc{} || end != token.data() + token.size()) {
        return Error{Errc::invalid_parameter_value, "Invalid NextToken value."};
    }
    return index;
}

} // namespace

Status SqsService::check_kms_key(const QueueAttributes& attributes) const {
    const auto key = attributes.find("KmsMasterKeyId");
    if (key == attributes.end() || key->second.empty() || !options_.kms_key_exists ||
        options_.kms_key_exists(key->second)) {
        return {};
    }
    return Error{Errc::kms_not_found, "Invalid KmsMasterKeyId: key '" + key->second +
                                          "' does not exist in shmqd's key ring (an id, alias/NAME or their ARN)."};
}

SqsService::Response SqsService::create_queue(const json::object& request) {
    const RequestReader reader(request);
    auto name = reader.required_string("QueueName");
    auto attributes = reader.string_map("Attributes");
    auto tags = reader.string_map("tags");
    if (!name || !attributes || !tags) {
        return !name ? name.error() : !attributes ? attributes.error() : tags.error();
    }
    if (Status known = check_kms_key(attributes.value()); !known) {
        return known.error();
    }
    auto created = client_.create_queue(name.value(), attributes.value(), tags.value());
    if (!created) {
        return created.error();
    }
    return json::object{{"QueueUrl", url_of(name.value())}};
}

SqsService::Response SqsService::delete_queue(const json::object& request) {
    auto name = queue_name(request);
    if (!name) {
        return name.error();
    }
    if (Status status = client_.delete_queue(name.value()); !status) {
        return status.error();
    }
    queues_.erase(name.value());
    return json::object{};
}

SqsService::Response SqsService::get_queue_url(const json::object& request) {
    const RequestReader reader(request);
    auto name = reader.required_string("QueueName");
    if (!name) {
        return name.error();
    }
    if (auto found = client_.get_queue_url(name.value()); !found) {
        return found.error();
    }
    return json::object{{"QueueUrl", url_of(name.value())}};
}

SqsService::Response SqsService::list_queues(const json::object& request) {
    const RequestReader reader(request);
    auto prefix = reader.string("QueueNamePrefix");
    auto max_results = reader.integer("MaxResults");
    auto token = reader.string("NextToken");
    if (!prefix || !max_results || !token) {
        return !prefix ? prefix.error() : !max_results ? max_results.error() : token.error();
    }
    const std::int64_t limit = max_results->value_or(-1);
    if (max_results->has_value() && (limit < 1 || limit > 1000)) {
        return Error{Errc::invalid_parameter_value,
                     "Value " + std::to_string(limit) +
                         " for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and "
                         "1000."};
    }
    auto page = client_.list_queues(prefix.value(), static_cast<std::int32_t>(limit), token.value());
    if (!page) {
        return page.error();
    }
    json::object response;
    if (!page->queue_urls.empty()) {
        json::array urls;
        for (const std::string& url : page->queue_urls) {
            if (auto name = queue_name_from_url(url)) {
                urls.emplace_back(url_of(name->text()));
            }
        }
        response["QueueUrls"] = std::move(urls);
    }
    if (!page->next_token.empty()) {
        response["NextToken"] = page->next_token;
    }
    return response;
}

SqsService::Response SqsService::get_queue_attributes(const json::object& request) {
    auto name = queue_name(request);
    auto names = RequestReader(request).string_list("AttributeNames");
    if (!name || !names) {
        return !name ? name.error() : names.error();
    }
    auto attributes = client_.get_queue_attributes(name.value(), names.value());
    if (!attributes) {
        return attributes.error();
    }
    json::object response;
    if (!attributes->empty()) {
        response["Attributes"] = string_map_json(attributes.value());
    }
    return response;
}

SqsService::Response SqsService::set_queue_attributes(const json::object& request) {
    auto name = queue_name(request);
    auto attributes = RequestReader(request).string_map("Attributes");
    if (!name || !attributes) {
        return !name ? name.error() : attributes.error();
    }
    if (Status known = check_kms_key(attributes.value()); !known) {
        return known.error();
    }
    if (Status status = client_.set_queue_attributes(name.value(), attributes.value()); !status) {
        return status.error();
    }
    return json::object{};
}

SqsService::Response SqsService::purge_queue(const json::object& request) {
    auto name = queue_name(request);
    if (!name) {
        return name.error();
    }
    if (Status status = client_.purge_queue(name.value()); !status) {
        return status.error();
    }
    return json::object{};
}

SqsService::Response SqsService::tag_queue(const json::object& request) {
    auto name = queue_name(request);
    auto tags = RequestReader(request).string_map("Tags");
    if (!name || !tags) {
        return !name ? name.error() : tags.error();
    }
    if (Status status = client_.tag_queue(name.value(), tags.value()); !status) {
        return status.error();
    }
    return json::object{};
}

SqsService::Response SqsService::untag_queue(const json::object& request) {
    auto name = queue_name(request);
    auto keys = RequestReader(request).string_list("TagKeys");
    if (!name || !keys) {
        return !name ? name.error() : keys.error();
    }
    if (Status status = client_.untag_queue(name.value(), keys.value()); !status) {
        return status.error();
    }
    return json::object{};
}

SqsService::Response SqsService::list_queue_tags(const json::object& request) {
    auto name = queue_name(request);
    if (!name) {
        return name.error();
    }
    auto tags = client_.list_queue_tags(name.value());
    if (!tags) {
        return tags.error();
    }
    json::object response;
    if (!tags->empty()) {
        response["Tags"] = string_map_json(tags.value());
    }
    return response;
}

SqsService::Response SqsService::list_dead_letter_source_queues(const json::object& request) {
    const RequestReader reader(request);
    auto name = queue_name(request);
    auto max_results = reader.integer("MaxResults");
    auto token = reader.string("NextToken");
    if (!name || !max_results || !token) {
        return !name ? name.error() : !max_results ? max_results.error() : token.error();
    }
    auto start = parse_index_token(token.value());
    if (!start) {
        return start.error();
    }
    auto sources = client_.list_dead_letter_source_queues(name.value());
    if (!sources) {
        return sources.error();
    }
    std::size_t end = sources->size();
    if (max_results->has_value()) {
        if (**max_results < 1 || **max_results > 1000) {
            return Error{Errc::invalid_parameter_value, "Value " + std::to_string(**max_results) +
                                                            " for parameter MaxResults is invalid. Reason: MaxResults "
                                                            "must be an integer between 1 and 1000."};
        }
        end = std::min(end, start.value() + static_cast<std::size_t>(**max_results));
    }
    json::array urls;
    for (std::size_t index = start.value(); index < end; ++index) {
        if (auto source = queue_name_from_url((*sources)[index])) {
            urls.emplace_back(url_of(source->text()));
        }
    }
    json::object response{{"queueUrls", std::move(urls)}}; // required, even when empty
    if (end < sources->size()) {
        response["NextToken"] = std::to_string(end);
    }
    return response;
}

namespace {

// Reads the queue's Policy, applies edit to it, writes the result back.
template <class Edit> Result<json::object> edit_policy(const Client& client, const std::string& name, Edit&& edit) {
    auto current = client.get_queue_attributes(name, {"Policy"});
    if (!current) {
        return current.error();
    }
    const auto policy = current->find("Policy");
    Result<std::string> updated = edit(policy == current->end() ? std::string_view() : std::string_view(policy->second));
    if (!updated) {
        return updated.error();
    }
    if (Status status = client.set_queue_attributes(name, {{"Policy", updated.value()}}); !status) {
        return status.error();
    }
    return json::object{};
}

} // namespace

SqsService::Response SqsService::add_permission(const json::object& request) {
    const RequestReader reader(request);
    auto name = queue_name(request);
    auto label = reader.required_string("Label");
    auto accounts = reader.string_list("AWSAccountIds");
    auto actions = reader.string_list("Actions");
    if (!name || !label || !accounts || !actions) {
        return !name ? name.error() : !label ? label.error() : !accounts ? accounts.error() : actions.error();
    }
    return edit_policy(client_, name.value(), [&](std::string_view policy) {
        return policy_with_permission(policy, client_.scope().arn_of(name.value()), label.value(), accounts.value(),
                                      actions.value());
    });
}

SqsService::Response SqsService::remove_permission(const json::object& request) {
    auto name = queue_name(request);
    auto label = RequestReader(request).required_string("Label");
    if (!name || !label) {
        return !name ? name.error() : label.error();
    }
    return edit_policy(client_, name.value(),
                       [&](std::string_view policy) { return policy_without_permission(policy, label.value()); });
}

SqsService::Response SqsService::start_message_move_task(const json::object& request) {
    const RequestReader reader(request);
    auto source = reader.required_string("SourceArn");
    auto destination = reader.string("DestinationArn");
    auto rate = reader.integer("MaxNumberOfMessagesPerSecond");
    if (!source || !destination || !rate) {
        return !source ? source.error() : !destination ? destination.error() : rate.error();
    }
    auto handle = client_.start_message_move_task(source.value(), destination.value(), rate->value_or(-1));
    if (!handle) {
        return handle.error();
    }
    return json::object{{"TaskHandle", handle.value()}};
}

SqsService::Response SqsService::cancel_message_move_task(const json::object& request) {
    auto handle = RequestReader(request).required_string("TaskHandle");
    if (!handle) {
        return handle.error();
    }
    auto moved = client_.cancel_message_move_task(handle.value());
    if (!moved) {
        return moved.error();
    }
    return json::object{{"ApproximateNumberOfMessagesMoved", moved.value()}};
}

SqsService::Response SqsService::list_message_move_tasks(const json::object& request) {
    const RequestReader reader(request);
    auto source = reader.required_string("SourceArn");
    auto max_results = reader.integer("MaxResults");
    if (!source || !max_results) {
        return !source ? source.error() : max_results.error();
    }
    auto tasks =
        client_.list_message_move_tasks(source.value(), static_cast<std::int32_t>(max_results->value_or(-1)));
    if (!tasks) {
        return tasks.error();
    }
    json::array results;
    for (const MessageMoveTask& task : tasks.value()) {
        results.push_back(move_task_json(task));
    }
    return json::object{{"Results", std::move(results)}};
}

} // namespace shmq::api
