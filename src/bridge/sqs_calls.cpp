// SQS's JSON shapes for the bridge's requests and answers (see sqs_calls.h).
#include "sqs_calls.h"

#include <boost/json/serialize.hpp>

#include "api/message_json.h"
#include "api/request_reader.h"

namespace shmq::bridge {

namespace json = boost::json;

namespace {

std::string string_member(const json::object& object, std::string_view key) {
    if (const json::value* value = object.if_contains(key); value != nullptr && value->is_string()) {
        return std::string(value->get_string());
    }
    return {};
}

const json::array* array_member(const json::value& value, std::string_view key) {
    const json::object* object = value.if_object();
    const json::value* member = object != nullptr ? object->if_contains(key) : nullptr;
    return member != nullptr ? member->if_array() : nullptr;
}

// Batch entry ids are the entries' indexes; anything else names no entry.
std::optional<std::size_t> entry_index(const json::object& entry, std::size_t entries) {
    const std::string id = string_member(entry, "Id");
    if (id.empty() || id.size() > 2 || id.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    const std::size_t index = std::stoul(id);
    return index < entries ? std::optional(index) : std::nullopt;
}

json::array handle_entries(std::span<const std::string> receipt_handles) {
    json::array entries;
    for (std::size_t i = 0; i < receipt_handles.size(); ++i) {
        entries.push_back(json::object{{"Id", std::to_string(i)}, {"ReceiptHandle", receipt_handles[i]}});
    }
    return entries;
}

// Entries no Successful or Failed member settled, or settled twice, are retried.
void settle(std::vector<EntryOutcome>& outcomes, std::vector<int>& seen, std::size_t index, EntryOutcome outcome) {
    if (++seen[index] == 1) {
        outcomes[index] = std::move(outcome);
    } else {
        outcomes[index] = {EntryFate::retry, "the reply settled this entry twice", {}};
    }
}

void read_failed(const SqsReply& reply, std::vector<EntryOutcome>& outcomes, std::vector<int>& seen) {
    const json::array* failed = array_member(reply.json, "Failed");
    if (failed == nullptr) {
        return;
    }
    for (const json::value& value : *failed) {
        const json::object* entry = value.if_object();
        const auto index = entry != nullptr ? entry_index(*entry, outcomes.size()) : std::nullopt;
        if (!index) {
            continue;
        }
        const json::value* sender_fault = entry->if_contains("SenderFault");
        const bool senders = sender_fault != nullptr && sender_fault->is_bool() && sender_fault->get_bool() &&
                             !is_throttling_code(string_member(*entry, "Code"));
        settle(outcomes, seen, *index,
               {senders ? EntryFate::sender_fault : EntryFate::retry,
                string_member(*entry, "Code") + ": " + string_member(*entry, "Message"),
                {}});
    }
}

void unmentioned_are_retried(std::vector<EntryOutcome>& outcomes, const std::vector<int>& seen) {
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (seen[i] == 0) {
            outcomes[i] = {EntryFate::retry, "the reply did not mention this entry", {}};
        }
    }
}

} // namespace

std::size_t OutgoingMessage::batch_bytes() const noexcept {
    std::size_t bytes = body.size();
    for (const auto& [name, value] : attributes) {
        bytes += name.size() + value.data_type.size() + value.string_value.size() + value.binary_value.size();
    }
    return bytes;
}

std::string send_message_batch_body(std::string_view queue_url, std::span<const OutgoingMessage* const> messages) {
    json::array entries;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const OutgoingMessage& message = *messages[i];
        json::object entry{{"Id", std::to_string(i)}, {"MessageBody", message.body}};
        if (!message.attributes.empty()) {
            entry["MessageAttributes"] = api::message_attributes_json(message.attributes);
        }
        if (!message.message_group_id.empty()) {
            entry["MessageGroupId"] = message.message_group_id;
        }
        if (!message.message_deduplication_id.empty()) {
            entry["MessageDeduplicationId"] = message.message_deduplication_id;
        }
        if (!message.aws_trace_header.empty()) {
            entry["MessageSystemAttributes"] = json::object{
                {"AWSTraceHeader", json::object{{"DataType", "String"}, {"StringValue", message.aws_trace_header}}}};
        }
        entries.push_back(std::move(entry));
    }
    return json::serialize(json::object{{"QueueUrl", queue_url}, {"Entries", std::move(entries)}});
}

std::vector<EntryOutcome> read_send_message_batch(const SqsReply& reply,
                                                  std::span<const OutgoingMessage* const> messages) {
    std::vector<EntryOutcome> outcomes(messages.size());
    std::vector<int> seen(messages.size(), 0);
    if (const json::array* successful = array_member(reply.json, "Successful")) {
        for (const json::value& value : *successful) {
            const json::object* entry = value.if_object();
            const auto index = entry != nullptr ? entry_index(*entry, messages.size()) : std::nullopt;
            if (!index) {
                continue;
            }
            const OutgoingMessage& sent = *messages[*index];
            EntryOutcome outcome{EntryFate::accepted, {}, string_member(*entry, "MessageId")};
            if (string_member(*entry, "MD5OfMessageBody") != md5_of_body(sent.body)) {
                outcome = {EntryFate::retry, "MD5OfMessageBody does not match the body sent", {}};
            } else if (string_member(*entry, "MD5OfMessageAttributes") != md5_of_message_attributes(sent.attributes)) {
                outcome = {EntryFate::retry, "MD5OfMessageAttributes does not match the attributes sent", {}};
            } else if (entry->contains("MD5OfMessageSystemAttributes") &&
                       string_member(*entry, "MD5OfMessageSystemAttributes") !=
                           md5_of_message_system_attributes(sent.aws_trace_header)) {
                // SQS digests the trace header it took; a remote that does not say is taken at its word.
                outcome = {EntryFate::retry, "MD5OfMessageSystemAttributes does not match the trace header sent", {}};
            }
            settle(outcomes, seen, *index, std::move(outcome));
        }
    }
    read_failed(reply, outcomes, seen);
    unmentioned_are_retried(outcomes, seen);
    return outcomes;
}

std::string receive_message_body(std::string_view queue_url, std::uint32_t max_messages, std::int32_t wait_time_s,
                                 std::int32_t visibility_timeout_s) {
    return json::serialize(json::object{
        {"QueueUrl", queue_url},
        {"MaxNumberOfMessages", max_messages},
        {"WaitTimeSeconds", wait_time_s},
        {"VisibilityTimeout", visibility_timeout_s},
        {"MessageAttributeNames", json::array{"All"}},
        {"MessageSystemAttributeNames", json::array{"All"}},
    });
}

ReceivedBatch read_receive_message(const SqsReply& reply) {
    ReceivedBatch batch;
    const json::array* messages = array_member(reply.json, "Messages");
    if (messages == nullptr) {
        return batch; // an empty long poll: SQS leaves Messages out
    }
    for (const json::value& value : *messages) {
        const json::object* object = value.if_object();
        if (object == nullptr) {
            batch.refused.push_back("a Messages entry that is not an object");
            continue;
        }
        IncomingMessage message;
        message.remote_message_id = string_member(*object, "MessageId");
        message.receipt_handle = string_member(*object, "ReceiptHandle");
        message.body = string_member(*object, "Body");
        if (message.receipt_handle.empty()) {
            batch.refused.push_back("message " + message.remote_message_id + " without a ReceiptHandle");
            continue;
        }
        auto attributes = api::RequestReader(*object).message_attributes("MessageAttributes");
        if (!attributes) {
            batch.refused.push_back("message " + message.remote_message_id + ": " + attributes.error().message);
            continue;
        }
        message.attributes = std::move(attributes.value());
        if (string_member(*object, "MD5OfBody") != md5_of_body(message.body)) {
            batch.refused.push_back("message " + message.remote_message_id + ": MD5OfBody does not match its body");
            continue;
        }
        if (string_member(*object, "MD5OfMessageAttributes") != md5_of_message_attributes(message.attributes)) {
            batch.refused.push_back("message " + message.remote_message_id +
                                    ": MD5OfMessageAttributes does not match its attributes");
            continue;
        }
        if (const json::value* system = object->if_contains("Attributes"); system != nullptr && system->is_object()) {
            message.message_group_id = string_member(system->get_object(), "MessageGroupId");
            message.message_deduplication_id = string_member(system->get_object(), "MessageDeduplicationId");
            message.aws_trace_header = string_member(system->get_object(), "AWSTraceHeader");
            const std::string sent = string_member(system->get_object(), "SentTimestamp");
            if (!sent.empty() && sent.size() < 19 && sent.find_first_not_of("0123456789") == std::string::npos) {
                message.sent_timestamp_ms = std::stoll(sent);
            }
        }
        batch.messages.push_back(std::move(message));
    }
    return batch;
}

std::string delete_message_batch_body(std::string_view queue_url, std::span<const std::string> receipt_handles) {
    return json::serialize(json::object{{"QueueUrl", queue_url}, {"Entries", handle_entries(receipt_handles)}});
}

std::string change_visibility_batch_body(std::string_view queue_url, std::span<const std::string> receipt_handles,
                                         std::int32_t visibility_timeout_s) {
    json::array entries = handle_entries(receipt_handles);
    for (json::value& entry : entries) {
        entry.as_object()["VisibilityTimeout"] = visibility_timeout_s;
    }
    return json::serialize(json::object{{"QueueUrl", queue_url}, {"Entries", std::move(entries)}});
}

std::vector<EntryOutcome> read_batch_result(const SqsReply& reply, std::size_t entries) {
    std::vector<EntryOutcome> outcomes(entries);
    std::vector<int> seen(entries, 0);
    if (const json::array* successful = array_member(reply.json, "Successful")) {
        for (const json::value& value : *successful) {
            const json::object* entry = value.if_object();
            if (const auto index = entry != nullptr ? entry_index(*entry, entries) : std::nullopt) {
                settle(outcomes, seen, *index, {EntryFate::accepted, {}, {}});
            }
        }
    }
    read_failed(reply, outcomes, seen);
    unmentioned_are_retried(outcomes, seen);
    return outcomes;
}

} // namespace shmq::bridge
