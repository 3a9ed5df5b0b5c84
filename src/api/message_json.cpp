// Messages in the SQS model's shapes (see message_json.h).
#include "api/message_json.h"

#include "api/base64.h"

namespace shmq::api {

bool attribute_selected(const std::vector<std::string>& patterns, std::string_view name) {
    for (const auto& pattern : patterns) {
        if (pattern == "All" || pattern == ".*" || pattern == name) {
            return true;
        }
        // "bar.*" selects every name that starts with "bar" (SQS's documented example).
        if (pattern.size() > 2 && pattern.ends_with(".*") &&
            name.starts_with(std::string_view(pattern).substr(0, pattern.size() - 2))) {
            return true;
        }
    }
    return false;
}

boost::json::object message_attributes_json(const MessageAttributes& attributes) {
    boost::json::object map;
    for (const auto& [name, attribute] : attributes) {
        boost::json::object value;
        if (attribute.is_binary()) {
            value["BinaryValue"] = base64_encode(attribute.binary_value);
        } else {
            value["StringValue"] = attribute.string_value;
        }
        value["DataType"] = attribute.data_type;
        map[name] = std::move(value);
    }
    return map;
}

Result<boost::json::object> message_json(const MessageView& message, const SystemAttributeSelection& system,
                                         const std::vector<std::string>& patterns) {
    boost::json::object json(6);
    json.emplace("MessageId", message.message_id.to_string());
    json.emplace("ReceiptHandle", message.receipt_handle.to_string());
    json.emplace("MD5OfBody", md5_of_body(message.body));
    json.emplace("Body", message.body);
    boost::json::object attributes;
    if (system.sender_id) {
        attributes["SenderId"] = std::to_string(message.sender_uid);
    }
    if (system.sent_timestamp) {
        attributes["SentTimestamp"] = std::to_string(message.sent_timestamp_ms);
    }
    if (system.approximate_receive_count) {
        attributes["ApproximateReceiveCount"] = std::to_string(message.receive_count);
    }
    if (system.approximate_first_receive_timestamp) {
        attributes["ApproximateFirstReceiveTimestamp"] = std::to_string(message.first_receive_timestamp_ms);
    }
    // SQS returns these only for messages that have them: a standard-queue message has no
    // deduplication id or sequence number, and a group id only when sent with one.
    if (system.message_deduplication_id && !message.message_deduplication_id.empty()) {
        attributes["MessageDeduplicationId"] = message.message_deduplication_id;
    }
    if (system.message_group_id && !message.message_group_id.empty()) {
        attributes["MessageGroupId"] = message.message_group_id;
    }
    if (const auto sequence = sequence_number_text(message.sequence_number);
        system.sequence_number && !sequence.empty()) {
        attributes["SequenceNumber"] = sequence;
    }
    if (system.aws_trace_header && !message.aws_trace_header.empty()) {
        attributes["AWSTraceHeader"] = message.aws_trace_header;
    }
    // Recorded from AWS: a dead-lettered message names the queue it came from.
    if (system.dead_letter_queue_source_arn && !message.dead_letter_source_queue.empty()) {
        attributes["DeadLetterQueueSourceArn"] = system.scope.arn_of(message.dead_letter_source_queue);
    }
    if (!attributes.empty()) {
        json["Attributes"] = std::move(attributes);
    }
    if (patterns.empty() || message.encoded_attributes.empty()) {
        return json;
    }
    auto decoded = decode_message_attributes(message.encoded_attributes);
    if (!decoded) {
        return decoded.error();
    }
    // SQS digests only the attributes it returns (recorded from AWS).
    MessageAttributes selected;
    for (auto& [name, value] : decoded.value()) {
        if (attribute_selected(patterns, name)) {
            selected.emplace(name, std::move(value));
        }
    }
    if (!selected.empty()) {
        json["MD5OfMessageAttributes"] = md5_of_message_attributes(selected);
        json["MessageAttributes"] = message_attributes_json(selected);
    }
    return json;
}

Result<boost::json::array> receive_messages_json(Queue& queue, const ReceiveRequest& request,
                                                 const SystemAttributeSelection& system,
                                                 const std::vector<std::string>& patterns) {
    boost::json::array messages;
    Error shape_error;
    auto count = queue.receive_views(request, [&](const MessageView& view) {
        auto shaped = message_json(view, system, patterns);
        if (shaped) {
            messages.push_back(std::move(shaped).value());
        } else {
            shape_error = shaped.error();
        }
    });
    if (!count) {
        return count.error();
    }
    if (shape_error.code != Errc::ok) {
        return shape_error;
    }
    return messages;
}

} // namespace shmq::api
