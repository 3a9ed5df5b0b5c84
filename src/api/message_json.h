// Messages as the SQS API model shapes them, for every door into shmq that speaks SQS (the CLI,
// the HTTP endpoint): a received message (the Message shape, members in the model's order, which
// is also the order aws prints), its message attributes (BinaryValue in base64), and which system
// and message attributes a ReceiveMessage asked for.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/message.h"
#include "shmq/queue.h"
#include "shmq/queue_name.h"

namespace shmq::api {

// Which message system attributes a receive asked for (AttributeNames, the older name, and
// MessageSystemAttributeNames together).
struct SystemAttributeSelection {
    bool sender_id = false;
    bool sent_timestamp = false;
    bool approximate_receive_count = false;
    bool approximate_first_receive_timestamp = false;
    bool message_deduplication_id = false;
    bool message_group_id = false;
    bool sequence_number = false;
    bool aws_trace_header = false;
    bool dead_letter_queue_source_arn = false;
    QueueScope scope; // names the DeadLetterQueueSourceArn

    void add(std::string_view name) {
        const bool all = name == "All";
        sender_id = sender_id || all || name == "SenderId";
        sent_timestamp = sent_timestamp || all || name == "SentTimestamp";
        approximate_receive_count = approximate_receive_count || all || name == "ApproximateReceiveCount";
        approximate_first_receive_timestamp =
            approximate_first_receive_timestamp || all || name == "ApproximateFirstReceiveTimestamp";
        message_deduplication_id = message_deduplication_id || all || name == "MessageDeduplicationId";
        message_group_id = message_group_id || all || name == "MessageGroupId";
        sequence_number = sequence_number || all || name == "SequenceNumber";
        aws_trace_header = aws_trace_header || all || name == "AWSTraceHeader";
        dead_letter_queue_source_arn = dead_letter_queue_source_arn || all || name == "DeadLetterQueueSourceArn";
    }
};

// MessageAttributeNames: "All", ".*", "prefix.*" or exact names.
[[nodiscard]] bool attribute_selected(const std::vector<std::string>& patterns, std::string_view name);

// {"name": {"StringValue" | "BinaryValue", "DataType"}}, as MessageBodyAttributeMap.
[[nodiscard]] boost::json::object message_attributes_json(const MessageAttributes& attributes);

// The Message shape of a received message, seen in place in the region: the system attributes
// asked for, and the message attributes that patterns select with their MD5 (SQS digests only
// those it returns). Attributes are decoded only when some are asked for; bytes that do not
// decode give Errc::corrupt_region.
[[nodiscard]] Result<boost::json::object> message_json(const MessageView& message,
                                                       const SystemAttributeSelection& system,
                                                       const std::vector<std::string>& patterns);

// ReceiveMessage's Messages: one receive (waiting as the request says), each message shaped by
// message_json straight from the region (no copy of it first).
[[nodiscard]] Result<boost::json::array> receive_messages_json(Queue& queue, const ReceiveRequest& request,
                                                               const SystemAttributeSelection& system,
                                                               const std::vector<std::string>& patterns);

} // namespace shmq::api
