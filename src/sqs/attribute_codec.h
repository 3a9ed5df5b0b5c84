// How message attributes are stored in a slot, after the body:
//   [flags byte: user attribute count (low 4 bits) | 0x80 source | 0x40 group | 0x20 dedup
//                | 0x10 trace]
//   per attribute: u16 name length, u16 type length, u32 value length, name, type, value bytes
//   trailer, each field present when its flag is: dead-letter source queue name, message group
//   id, message deduplication id, AWSTraceHeader, each as its bytes followed by its u16 length
//   (read from the end)
// Attributes are sorted by name, as the map gives them (at most 10: four bits; 0x10 was never set
// before the trace flag took it, so bytes written earlier read the same). The trailer carries
// what SQS reports as DeadLetterQueueSourceArn, MessageGroupId, MessageDeduplicationId and
// AWSTraceHeader.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "shmq/message.h"

namespace shmq::sqs {

// The system fields stored after the user attributes; empty views are absent.
struct AttributeTrailer {
    std::string_view dead_letter_source;
    std::string_view message_group_id;
    std::string_view message_deduplication_id;
    std::string_view aws_trace_header;
    [[nodiscard]] bool empty() const noexcept {
        return dead_letter_source.empty() && message_group_id.empty() && message_deduplication_id.empty() &&
               aws_trace_header.empty();
    }
};

// Encoded attributes taken apart without allocating.
struct EncodedAttributes {
    std::uint8_t user_count = 0;
    std::string_view user_entries; // the per-attribute records, as stored
    AttributeTrailer trailer;
};

[[nodiscard]] std::size_t encoded_attributes_size(const MessageAttributes* attributes,
                                                  const AttributeTrailer& trailer = {}) noexcept;
// Writes exactly encoded_attributes_size bytes.
void encode_attributes(const MessageAttributes* attributes, const AttributeTrailer& trailer,
                       std::span<std::byte> out) noexcept;
// Re-encodes stored attributes with another trailer (moving a message between queues).
[[nodiscard]] std::size_t reencoded_size(const EncodedAttributes& parts, const AttributeTrailer& trailer) noexcept;
void reencode(const EncodedAttributes& parts, const AttributeTrailer& trailer, std::span<std::byte> out) noexcept;
// Bytes from shared memory are untrusted: every length is checked.
[[nodiscard]] Result<EncodedAttributes> split_attributes(std::string_view encoded);
[[nodiscard]] Result<MessageAttributes> decode_attributes(std::string_view encoded);

} // namespace shmq::sqs
