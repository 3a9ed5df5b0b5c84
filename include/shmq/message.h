// What a message is at the public API: its body, its message attributes, the identifiers SQS
// gives it (MessageId, receipt handle) and the digests SQS computes over it. Digests and text
// forms are computed on request ("at the door"), never on the shared-memory hot path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>

#include "shmq/error.h"

namespace shmq {

// One message attribute. data_type is "String", "Number" or "Binary", optionally with a custom
// ".suffix" (e.g. "Number.float"). string_value holds String and Number values; binary_value
// holds the raw (already base64-decoded) bytes of a Binary value.
struct MessageAttributeValue {
    std::string data_type;
    std::string string_value;
    std::string binary_value;

    [[nodiscard]] bool is_binary() const noexcept { return data_type.starts_with("Binary"); }
    bool operator==(const MessageAttributeValue&) const = default;
};

// Sorted by name, which is also the order the MD5 of the attributes needs.
using MessageAttributes = std::map<std::string, MessageAttributeValue, std::less<>>;

// A 128-bit message id, printed as a lower-case UUID (8-4-4-4-12).
struct MessageId {
    std::array<std::uint8_t, 16> bytes{};
    [[nodiscard]] std::string to_string() const;
    bool operator==(const MessageId&) const = default;
};

// Identifies one receive of one message. The text form (to_string / parse) is what SQS clients
// pass around; the binary form is what the hot path uses.
struct ReceiptHandle {
    std::uint64_t queue_nonce = 0;   // which queue (a random id fixed at creation)
    std::uint32_t slot = 0;          // where the message lives in the region
    std::uint32_t generation = 0;    // which message has lived in that slot
    std::uint32_t receive_count = 0; // which receive of that message (1 for the first)

    [[nodiscard]] std::string to_string() const;
    // Accepts exactly what to_string produces; anything else is ReceiptHandleIsInvalid.
    [[nodiscard]] static Result<ReceiptHandle> parse(std::string_view text);
    bool operator==(const ReceiptHandle&) const = default;
};

// Hex MD5 of the body bytes, as MD5OfMessageBody.
[[nodiscard]] std::string md5_of_body(std::string_view body);
// Hex MD5 of the attributes in SQS's canonical encoding, as MD5OfMessageAttributes; empty
// string when there are no attributes (SQS then omits the field).
[[nodiscard]] std::string md5_of_message_attributes(const MessageAttributes& attributes);
// The same digest of the message system attributes a send carried (AWSTraceHeader, a String), as
// MD5OfMessageSystemAttributes; empty without one.
[[nodiscard]] std::string md5_of_message_system_attributes(std::string_view aws_trace_header);

// What to send. The body is borrowed for the duration of the call.
struct SendEntry {
    std::string_view body;
    const MessageAttributes* attributes = nullptr; // optional
    std::int32_t delay_seconds = -1;               // -1: the queue's DelaySeconds (FIFO: must be -1)
    // FIFO queues: required; standard queues: optional, returned on receive.
    std::string_view message_group_id;
    // FIFO queues: required unless ContentBasedDeduplication (then the body's SHA-256).
    std::string_view message_deduplication_id;
    // The AWSTraceHeader message system attribute (an X-Ray trace header): kept with the message,
    // moved with it to dead-letter queues and back, returned on receive. Outside SQS's message size.
    std::string_view aws_trace_header;
};

// How a send behaves when the region is full (SQS itself never fills; a region does). Blocking
// waits for a slot (MessageCapacity); a body that finds no room in MessageBytesCapacity fails at
// once with Errc::queue_bytes_full, one that finds no pages in /dev/shm with Errc::shm_full.
struct SendOptions {
    bool block_when_full = false;       // false: fail with Errc::queue_full
    std::int64_t block_timeout_ns = -1; // with block_when_full: -1 waits forever
    // Durability=sync: how long to wait for a shmqd when none is journaling the queue (-1:
    // forever). 0: when a shmqd serves the namespace, up to limits::durable_attach_wait_ns for it
    // to take the queue on; when none does, fail at once with Errc::not_durable, nothing enqueued.
    std::int64_t durable_wait_ns = 0;
};

struct SendOutcome {
    Errc error = Errc::ok;
    MessageId message_id;              // a duplicate send (FIFO) gets the original's id
    std::uint64_t sequence_number = 0; // FIFO only: SequenceNumber
};

// SequenceNumber as SQS prints it (a large decimal); empty for 0 (standard queues).
[[nodiscard]] std::string sequence_number_text(std::uint64_t sequence_number);

// What a receive may take, asked right before each attempt to take messages. shmqd's HTTP
// endpoint bounds the bytes of the replies it holds unwritten: a long poll that wakes while that
// budget is spent takes only as many messages as the rest affords (none, and it waits on)
// instead of building a reply past it. A FIFO retry (ReceiveRequestAttemptId) that would return
// the same messages again asks for all of them at once, and returns nothing when refused.
class ReceiveBudget {
  public:
    // Reserves room for between at_least and wanted messages (at_least <= wanted); returns how
    // many it reserved: that many, or 0.
    [[nodiscard]] virtual std::uint32_t reserve(std::uint32_t wanted, std::uint32_t at_least) noexcept = 0;
    // Gives back the room of unused messages of a reservation (reserved but not taken).
    virtual void give_back(std::uint32_t unused) noexcept = 0;

  protected:
    ~ReceiveBudget() = default;
};

struct ReceiveRequest {
    std::uint32_t max_number_of_messages = 1; // 1..10
    std::int32_t visibility_timeout_s = -1;   // -1: the queue's VisibilityTimeout
    std::int32_t wait_time_s = -1;            // -1: the queue's ReceiveMessageWaitTimeSeconds
    // FIFO queues: a retry with the same id within 5 minutes, while none of the messages it
    // returned changed, returns them again with the same receipt handles (visibility restarts).
    std::string_view receive_request_attempt_id;
    // A long poll ends at once, with nothing, when a stop is requested (e.g. shmqd's HTTP
    // endpoint: the client that asked closed its connection).
    std::stop_token stop{};
    // Null: no bound but max_number_of_messages.
    ReceiveBudget* budget = nullptr;
};

// A received message seen in place in the region. The views stay valid until the message is
// deleted by anyone (or its visibility ends and another consumer deletes it): copy to keep.
struct MessageView {
    MessageId message_id;
    ReceiptHandle receipt_handle;
    std::string_view body;
    std::string_view encoded_attributes;       // decode with decode_message_attributes
    std::string_view dead_letter_source_queue; // name of the queue it was dead-lettered from
    std::string_view message_group_id;
    std::string_view message_deduplication_id;
    std::string_view aws_trace_header;
    std::uint64_t sequence_number = 0; // FIFO only
    std::int64_t sent_timestamp_ms = 0;
    std::int64_t first_receive_timestamp_ms = 0;
    std::uint32_t receive_count = 0;
    std::uint32_t sender_uid = 0;
};

// A received message copied out of the region.
struct ReceivedMessage {
    MessageId message_id;
    ReceiptHandle receipt_handle;
    std::string body;
    MessageAttributes attributes;
    std::string dead_letter_source_queue;
    std::string message_group_id;
    std::string message_deduplication_id;
    std::string aws_trace_header;
    std::uint64_t sequence_number = 0; // FIFO only
    std::int64_t sent_timestamp_ms = 0;
    std::int64_t first_receive_timestamp_ms = 0;
    std::uint32_t receive_count = 0;
    std::uint32_t sender_uid = 0;
};

// Decodes the attribute bytes of a MessageView. Corrupt bytes give Errc::corrupt_region.
[[nodiscard]] Result<MessageAttributes> decode_message_attributes(std::string_view encoded);

} // namespace shmq
