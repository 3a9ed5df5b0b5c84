// Message actions of SqsService (see sqs_service.h): send, receive, delete, change visibility,
// single and batched. Batch entries succeed or fail on their own (Successful / Failed); request
// level errors (entry count, ids, total size) fail the whole request, as in SQS.
#include <algorithm>
#include <boost/json/array.hpp>

#include "api/batch_results.h"
#include "api/message_json.h"
#include "api/parameter_checks.h"
#include "api/request_reader.h"
#include "api/sqs_service.h"
#include "sqs/fifo_ids.h"
#include "sqs/message_validation.h"

namespace shmq::api {

namespace json = boost::json;

namespace {

// One SendMessage or SendMessageBatch entry as read from the request.
struct SendRequestEntry {
    std::string id; // batch entries only
    std::string body;
    MessageAttributes attributes;
    std::int32_t delay_seconds = -1;
    std::string group_id;
    std::string deduplication_id;
    std::string aws_trace_header; // MessageSystemAttributes' AWSTraceHeader

    [[nodiscard]] SendEntry entry() const {
        SendEntry out;
        out.body = body;
        out.attributes = attributes.empty() ? nullptr : &attributes;
        out.delay_seconds = delay_seconds;
        out.message_group_id = group_id;
        out.message_deduplication_id = deduplication_id;
        out.aws_trace_header = aws_trace_header;
        return out;
    }
};

// MessageSystemAttributes of a send: its AWSTraceHeader, or empty.
Result<std::string> read_aws_trace_header(const RequestReader& reader) {
    auto system = reader.message_attributes("MessageSystemAttributes");
    if (!system) {
        return system.error();
    }
    return sqs::aws_trace_header_of(system.value());
}

Result<SendRequestEntry> read_send_entry(const json::object& request, bool batch_entry) {
    const RequestReader reader(request);
    SendRequestEntry entry;
    auto id = batch_entry ? reader.required_string("Id") : Result<std::string>(std::string());
    auto body = reader.required_string("MessageBody");
    auto group_id = reader.string("MessageGroupId");
    auto deduplication_id = reader.string("MessageDeduplicationId");
    auto delay = reader.integer("DelaySeconds");
    auto attributes = reader.message_attributes("MessageAttributes");
    auto trace = read_aws_trace_header(reader);
    for (const auto* text : {&id, &body, &group_id, &deduplication_id, &trace}) {
        if (!*text) {
            return text->error();
        }
    }
    if (!delay || !attributes) {
        return !delay ? delay.error() : attributes.error();
    }
    // The typed API takes an empty id for none; a door that was sent one empty refuses it, on
    // FIFO and standard queues alike, as SQS does.
    if (reader.has("MessageGroupId") && group_id->empty()) {
        return sqs::invalid_fifo_id("MessageGroupId", "").error();
    }
    if (reader.has("MessageDeduplicationId") && deduplication_id->empty()) {
        return sqs::invalid_fifo_id("MessageDeduplicationId", "").error();
    }
    entry.id = std::move(id).value();
    entry.body = std::move(body).value();
    entry.group_id = std::move(group_id).value();
    entry.deduplication_id = std::move(deduplication_id).value();
    entry.attributes = std::move(attributes).value();
    entry.aws_trace_header = std::move(trace).value();
    if (delay->has_value()) {
        if (Status checked = check_delay(**delay); !checked) {
            return checked.error();
        }
        entry.delay_seconds = static_cast<std::int32_t>(**delay);
    }
    return entry;
}

// What SendMessage returns for a sent message, in the order of its output shape:
// MD5OfMessageBody, [MD5OfMessageAttributes], [MD5OfMessageSystemAttributes], MessageId,
// [SequenceNumber]. A batch entry's result (SendMessageBatchResultEntry) has its Id first and
// MessageId before the digests.
enum class SentShape { send_message, batch_entry };

json::object describe_sent(const SendRequestEntry& entry, const SendOutcome& outcome, SentShape shape) {
    json::object out(6);
    if (shape == SentShape::batch_entry) {
        out.emplace("Id", entry.id);
        out.emplace("MessageId", outcome.message_id.to_string());
    }
    out.emplace("MD5OfMessageBody", md5_of_body(entry.body));
    if (!entry.attributes.empty()) {
        out.emplace("MD5OfMessageAttributes", md5_of_message_attributes(entry.attributes));
    }
    if (!entry.aws_trace_header.empty()) {
        out.emplace("MD5OfMessageSystemAttributes", md5_of_message_system_attributes(entry.aws_trace_header));
    }
    if (shape == SentShape::send_message) {
        out.emplace("MessageId", outcome.message_id.to_string());
    }
    if (const auto sequence = sequence_number_text(outcome.sequence_number); !sequence.empty()) {
        out.emplace("SequenceNumber", sequence);
    }
    return out;
}

// DeleteMessageBatch and ChangeMessageVisibilityBatch entries.
struct HandleEntry {
    std::string id;
    ReceiptHandle handle;
    std::int32_t visibility_timeout_s = 0;
    std::optional<Error> failure; // fails this entry only
};

Result<std::vector<HandleEntry>> read_handle_entries(const json::object& request, bool with_visibility,
                                                     std::string_view entry_shape) {
    auto list = RequestReader(request).structure_list("Entries");
    if (!list) {
        return list.error();
    }
    std::vector<HandleEntry> entries;
    std::vector<std::string> ids;
    for (const json::object* item : list.value()) {
        const RequestReader reader(*item);
        auto id = reader.required_string("Id");
        auto handle = reader.required_string("ReceiptHandle");
        auto timeout = reader.integer("VisibilityTimeout");
        if (!id || !handle || !timeout) {
            return !id ? id.error() : !handle ? handle.error() : timeout.error();
        }
        HandleEntry entry;
        entry.id = id.value();
        if (auto parsed = ReceiptHandle::parse(handle.value()); parsed) {
            entry.handle = parsed.value();
        } else {
            entry.failure = parsed.error();
        }
        if (with_visibility && !entry.failure) {
            if (!timeout->has_value()) {
                entry.failure =
                    Error{Errc::missing_parameter, "The request must contain the parameter VisibilityTimeout."};
            } else if (Status checked = check_visibility_timeout(**timeout, false); !checked) {
                entry.failure = checked.error();
            } else {
                entry.visibility_timeout_s = static_cast<std::int32_t>(**timeout);
            }
        }
        ids.push_back(entry.id);
        entries.push_back(std::move(entry));
    }
    if (Status checked = check_batch_entry_ids(entry_shape, ids); !checked) {
        return checked.error();
    }
    return entries;
}

// Successful / Failed of a handle batch once applied: errors[k] for the k-th entry applied. A
// queue gone under the handle fails the request (SqsService::with_queue then reopens it).
Result<json::object> handle_batch_result(std::vector<HandleEntry>& entries, const std::vector<Errc>& errors) {
    if (!errors.empty() &&
        std::all_of(errors.begin(), errors.end(), [](Errc error) { return error == Errc::queue_does_not_exist; })) {
        return Error{Errc::queue_does_not_exist, default_error_message(Errc::queue_does_not_exist)};
    }
    json::array successful;
    json::array failed;
    std::size_t applied = 0;
    for (HandleEntry& entry : entries) {
        if (!entry.failure) {
            const Errc error = errors[applied++];
            if (error != Errc::ok) {
                entry.failure = Error{error, default_error_message(error)};
            }
        }
        if (entry.failure) {
            failed.push_back(failed_entry(entry.id, entry.failure->code, entry.failure->message));
        } else {
            successful.push_back(json::object{{"Id", entry.id}});
        }
    }
    return json::object{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}};
}

} // namespace

SqsService::Response SqsService::send_message(const json::object& request) {
    auto name = queue_name(request);
    if (!name) {
        return name.error();
    }
    auto entry = read_send_entry(request, false);
    if (!entry) {
        return entry.error();
    }
    return with_queue(name.value(), [&](Queue& queue) -> Response {
        if (defer_if(queue.sends_wait_for_disk())) {
            return json::object{}; // Durability=sync: the send waits for shmqd's fdatasync
        }
        auto sent = queue.send_message(entry->entry(), options_.send_options);
        if (!sent) {
            return sent.error();
        }
        return describe_sent(entry.value(), sent.value(), SentShape::send_message);
    });
}

SqsService::Response SqsService::send_message_batch(const json::object& request) {
    auto name = queue_name(request);
    auto list = RequestReader(request).structure_list("Entries");
    if (!name || !list) {
        return !name ? name.error() : list.error();
    }
    // Entries that cannot be read fail on their own; request-level checks see every id.
    std::vector<SendRequestEntry> entries;
    std::vector<std::optional<Error>> failures;
    std::vector<std::string> ids;
    for (const json::object* item : list.value()) {
        auto entry = read_send_entry(*item, true);
        if (!entry && entry.code() == Errc::missing_parameter && !item->contains("Id")) {
            return entry.error();
        }
        ids.push_back(entry ? entry->id : std::string(RequestReader(*item).string("Id").value()));
        failures.push_back(entry ? std::nullopt : std::optional<Error>(entry.error()));
        entries.push_back(entry ? std::move(entry).value() : SendRequestEntry{.id = ids.back()});
    }
    if (Status checked = check_batch_entry_ids("SendMessageBatchRequestEntry", ids); !checked) {
        return checked.error();
    }
    std::vector<SendEntry> to_send;
    std::vector<std::size_t> sent_index; // to_send[k] is entries[sent_index[k]]
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!failures[i]) {
            to_send.push_back(entries[i].entry());
            sent_index.push_back(i);
        }
    }
    return with_queue(name.value(), [&](Queue& queue) -> Response {
        if (defer_if(queue.sends_wait_for_disk())) {
            return json::object{}; // Durability=sync: the send waits for shmqd's fdatasync
        }
        std::vector<SendOutcome> outcomes(to_send.size());
        if (!to_send.empty()) {
            if (Status status = queue.send_batch(to_send, outcomes, options_.send_options); !status) {
                return status.error();
            }
        }
        for (std::size_t k = 0; k < to_send.size(); ++k) {
            if (outcomes[k].error != Errc::ok) {
                // The library's own code and text for this entry.
                const Status explained = queue.explain_send_error(to_send[k], outcomes[k].error);
                failures[sent_index[k]] =
                    explained ? Error{outcomes[k].error, default_error_message(outcomes[k].error)} : explained.error();
            }
        }
        json::array successful;
        json::array failed;
        std::size_t k = 0;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const bool was_sent = k < sent_index.size() && sent_index[k] == i;
            const SendOutcome* outcome = was_sent ? &outcomes[k++] : nullptr;
            if (failures[i]) {
                failed.push_back(failed_entry(entries[i].id, failures[i]->code, failures[i]->message));
                continue;
            }
            successful.push_back(describe_sent(entries[i], *outcome, SentShape::batch_entry));
        }
        return json::object{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}};
    });
}

SqsService::Response SqsService::receive_message(const json::object& request) {
    const RequestReader reader(request);
    auto name = queue_name(request);
    auto count = reader.integer("MaxNumberOfMessages");
    auto visibility = reader.integer("VisibilityTimeout");
    auto wait = reader.integer("WaitTimeSeconds");
    auto attempt_id = reader.string("ReceiveRequestAttemptId");
    auto attribute_names = reader.string_list("AttributeNames");
    auto system_names = reader.string_list("MessageSystemAttributeNames");
    auto patterns = reader.string_list("MessageAttributeNames");
    if (!name || !count || !visibility || !wait || !attempt_id || !attribute_names || !system_names || !patterns) {
        for (const Status& status : {name.status(), count.status(), visibility.status(), wait.status(),
                                     attempt_id.status(), attribute_names.status(), system_names.status()}) {
            if (!status) {
                return status.error();
            }
        }
        return patterns.error();
    }
    ReceiveRequest receive;
    receive.budget = receive_budget_;
    if (count->has_value()) {
        if (Status checked = check_max_number_of_messages(**count); !checked) {
            return checked.error();
        }
        receive.max_number_of_messages = static_cast<std::uint32_t>(**count);
    }
    if (visibility->has_value()) {
        if (Status checked = check_visibility_timeout(**visibility, true); !checked) {
            return checked.error();
        }
        receive.visibility_timeout_s = static_cast<std::int32_t>(**visibility);
    }
    if (wait->has_value()) {
        if (Status checked = check_wait_time(**wait); !checked) {
            return checked.error();
        }
        receive.wait_time_s = static_cast<std::int32_t>(**wait);
    }
    receive.receive_request_attempt_id = attempt_id.value();
    SystemAttributeSelection system;
    system.scope = client_.scope();
    for (const auto* names : {&attribute_names.value(), &system_names.value()}) {
        for (const std::string& attribute : *names) {
            system.add(attribute);
        }
    }
    return with_queue(name.value(), [&](Queue& queue) -> Response {
        auto received = receive_waiting(queue, receive, [&](const ReceiveRequest& attempt) {
            return receive_messages_json(queue, attempt, system, patterns.value());
        });
        if (!received) {
            return received.error();
        }
        json::object response;
        if (!received->empty()) {
            response["Messages"] = std::move(received).value();
        }
        return response;
    });
}

template <class ReceiveOnce>
Result<json::array> SqsService::receive_waiting(const Queue& queue, ReceiveRequest request,
                                                ReceiveOnce&& receive_once) {
    const std::int32_t wait_s = request.wait_time_s >= 0 ? request.wait_time_s : queue.receive_wait_time_s();
    if (wait_s <= 0) {
        return receive_once(request);
    }
    if (options_.blocking == Blocking::deferred) {
        request.wait_time_s = 0;
        auto received = receive_once(request);
        (void)defer_if(received && received->empty());
        return received;
    }
    request.stop = cancel_;
    if (options_.stopping == nullptr) {
        return receive_once(request);
    }
    // Slices of one second, each a full long poll (a send wakes it at once), until a message,
    // the wait time, the server stopping, or the request cancelled (which also ends the slice).
    request.wait_time_s = 1;
    for (std::int32_t slice = 1;; ++slice) {
        if (cancel_.stop_requested()) {
            return json::array{}; // the client is gone: take no message it would never see
        }
        auto received = receive_once(request);
        if (!received || !received->empty() || slice == wait_s || options_.stopping->load(std::memory_order_acquire)) {
            return received;
        }
    }
}

SqsService::Response SqsService::delete_message(const json::object& request) {
    auto name = queue_name(request);
    auto text = RequestReader(request).required_string("ReceiptHandle");
    if (!name || !text) {
        return !name ? name.error() : text.error();
    }
    auto handle = ReceiptHandle::parse(text.value());
    if (!handle) {
        return handle.error();
    }
    return with_queue(name.value(), [&](Queue& queue) -> Response {
        if (Status status = queue.delete_message(handle.value()); !status) {
            return status.error();
        }
        return json::object{};
    });
}

SqsService::Response SqsService::change_message_visibility(const json::object& request) {
    const RequestReader reader(request);
    auto name = queue_name(request);
    auto text = reader.required_string("ReceiptHandle");
    auto timeout = reader.integer("VisibilityTimeout");
    if (!name || !text || !timeout) {
        return !name ? name.error() : !text ? text.error() : timeout.error();
    }
    if (!timeout->has_value()) {
        return Error{Errc::missing_parameter, "The request must contain the parameter VisibilityTimeout."};
    }
    if (Status checked = check_visibility_timeout(**timeout, false); !checked) {
        return checked.error();
    }
    auto handle = ReceiptHandle::parse(text.value());
    if (!handle) {
        return handle.error();
    }
    return with_queue(name.value(), [&](Queue& queue) -> Response {
        if (Status status = queue.change_visibility(handle.value(), static_cast<std::int32_t>(**timeout)); !status) {
            return status.error();
        }
        return json::object{};
    });
}

SqsService::Response SqsService::delete_message_batch(const json::object& request) {
    auto name = queue_name(request);
    if (!name) {
        return name.error();
    }
    auto entries = read_handle_entries(request, false, "DeleteMessageBatchRequestEntry");
    if (!entries) {
        return entries.error();
    }
    std::vector<ReceiptHandle> handles;
    for (const HandleEntry& entry : entries.value()) {
        if (!entry.failure) {
            handles.push_back(entry.handle);
        }
    }
    return with_queue(name.value(), [&](Queue& queue) -> Response {
        std::vector<Errc> errors(handles.size(), Errc::ok);
        queue.delete_batch(handles, errors);
        return handle_batch_result(entries.value(), errors);
    });
}

SqsService::Response SqsService::change_message_visibility_batch(const json::object& request) {
    auto name = queue_name(request);
    if (!name) {
        return name.error();
    }
    auto entries = read_handle_entries(request, true, "ChangeMessageVisibilityBatchRequestEntry");
    if (!entries) {
        return entries.error();
    }
    std::vector<ReceiptHandle> handles;
    std::vector<std::int32_t> timeouts;
    for (const HandleEntry& entry : entries.value()) {
        if (!entry.failure) {
            handles.push_back(entry.handle);
            timeouts.push_back(entry.visibility_timeout_s);
        }
    }
    return with_queue(name.value(), [&](Queue& queue) -> Response {
        std::vector<Errc> errors(handles.size(), Errc::ok);
        queue.change_visibility_batch(handles, timeouts, errors);
        return handle_batch_result(entries.value(), errors);
    });
}

} // namespace shmq::api
