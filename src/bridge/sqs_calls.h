// The SQS requests the bridge makes, as JSON-protocol bodies built with Boost.JSON, and what it
// reads from their answers: SendMessageBatch (forward), ReceiveMessage, DeleteMessageBatch and
// ChangeMessageVisibilityBatch (pull). Shapes are the SQS API model's (sqs-service-2.json). An
// answer is the remote's bytes: every member is type-checked, and the MD5s SQS returns are
// compared with the bytes sent or received, entry by entry.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/sqs_reply.h"
#include "shmq/message.h"

namespace shmq::bridge {

// SendMessageBatch and DeleteMessageBatch take at most this many entries; SendMessageBatch's
// bodies and attributes together at most batch_bytes_max.
inline constexpr std::size_t batch_entries_max = 10;
inline constexpr std::size_t batch_bytes_max = std::size_t{1} << 20;

// One message on its way to SQS. On a FIFO queue the deduplication id is derived from the local
// MessageId, so a resend after a crash or a lost answer is dropped by SQS's deduplication.
struct OutgoingMessage {
    std::string body;
    MessageAttributes attributes;
    std::string message_group_id;         // FIFO (and fair queues): carried
    std::string message_deduplication_id; // FIFO: set
    std::string aws_trace_header;         // the AWSTraceHeader message system attribute, if any
    // What SendMessageBatch's 1 MiB counts of it: body, and each attribute's name, type and value
    // (SQS leaves the trace header out of message sizes).
    [[nodiscard]] std::size_t batch_bytes() const noexcept;
};

// How SQS took one entry of a SendMessageBatch (or DeleteMessageBatch).
enum class EntryFate {
    accepted,
    retry,        // a failure not of the sender (or a digest that does not match what was sent)
    sender_fault, // the entry itself is wrong: sending it again cannot help
};

struct EntryOutcome {
    EntryFate fate = EntryFate::retry;
    std::string reason; // failures: SQS's code and message, or what did not match
    std::string remote_message_id;
};

[[nodiscard]] std::string send_message_batch_body(std::string_view queue_url,
                                                  std::span<const OutgoingMessage* const> messages);
// The fate of each entry of a SendMessageBatch (in the order sent) from its 200 reply. An entry
// the reply does not mention, or mentions twice, is retried.
[[nodiscard]] std::vector<EntryOutcome> read_send_message_batch(const SqsReply& reply,
                                                                std::span<const OutgoingMessage* const> messages);

// A message received from SQS, checked: its body and attributes match their MD5s (ReceiveMessage
// gives none for system attributes).
struct IncomingMessage {
    std::string remote_message_id;
    std::string receipt_handle;
    std::string body;
    MessageAttributes attributes;
    std::string message_group_id;         // FIFO
    std::string message_deduplication_id; // FIFO
    std::string aws_trace_header;         // AWSTraceHeader, if it has one
    std::int64_t sent_timestamp_ms = 0;   // 0 if the remote did not say
};

struct ReceivedBatch {
    std::vector<IncomingMessage> messages;
    // Entries that failed their checks (a digest that does not match, a member of the wrong
    // type): not taken, they become visible again remotely; what was wrong, one line each.
    std::vector<std::string> refused;
};

[[nodiscard]] std::string receive_message_body(std::string_view queue_url, std::uint32_t max_messages,
                                               std::int32_t wait_time_s, std::int32_t visibility_timeout_s);
[[nodiscard]] ReceivedBatch read_receive_message(const SqsReply& reply);

[[nodiscard]] std::string delete_message_batch_body(std::string_view queue_url,
                                                    std::span<const std::string> receipt_handles);
[[nodiscard]] std::string change_visibility_batch_body(std::string_view queue_url,
                                                       std::span<const std::string> receipt_handles,
                                                       std::int32_t visibility_timeout_s);
// The fate of each entry of a DeleteMessageBatch or ChangeMessageVisibilityBatch.
[[nodiscard]] std::vector<EntryOutcome> read_batch_result(const SqsReply& reply, std::size_t entries);

} // namespace shmq::bridge
