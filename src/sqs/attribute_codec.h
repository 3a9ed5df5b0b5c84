// How message attributes are stored in a slot, after the body:
//   [count byte: user attribute count | 0x80 when a trailer follows]
//   per attribute: u16 name length, u16 type length, u32 value length, name, type, value bytes
//   optional trailer: dead-letter source queue name, then its u16 length (last two bytes)
// Attributes are sorted by name, as the map gives them. The trailer carries what SQS reports as
// DeadLetterQueueSourceArn and what a message move task needs to send a message home.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "shmq/message.h"

namespace shmq::sqs {

// Encoded attributes taken apart without allocating.
struct EncodedAttributes {
    std::uint8_t user_count = 0;
    std::string_view user_entries;       // the per-attribute records, as stored
    std::string_view dead_letter_source; // empty: none
};

[[nodiscard]] std::size_t encoded_attributes_size(const MessageAttributes* attributes,
                                                  std::string_view dead_letter_source = {}) noexcept;
// Writes exactly encoded_attributes_size bytes.
void encode_attributes(const MessageAttributes* attributes, std::string_view dead_letter_source,
                       std::span<std::byte> out) noexcept;
// Re-encodes stored attributes with another trailer (moving a message between queues).
[[nodiscard]] std::size_t reencoded_size(const EncodedAttributes& parts, std::string_view dead_letter_source) noexcept;
void reencode(const EncodedAttributes& parts, std::string_view dead_letter_source, std::span<std::byte> out) noexcept;
// Bytes from shared memory are untrusted: every length is checked.
[[nodiscard]] Result<EncodedAttributes> split_attributes(std::string_view encoded);
[[nodiscard]] Result<MessageAttributes> decode_attributes(std::string_view encoded);

} // namespace shmq::sqs
