// Journal payloads of messages (Durability=async and sync): message_sent carries everything needed
// to put the message back (identity, sent time, sender, body, encoded attributes); message_deleted
// names it. Little-endian, length-prefixed:
//   sent:    queue (u32 length, bytes) · message id (16) · sent_ns (i64) · sender uid (u32)
//            · body (u32 length, bytes) · encoded attributes (u32 length, bytes)
//            · FIFO only: SequenceNumber (u64; MessageGroupId and deduplication id are in the
//              encoded attributes' trailer)
//   deleted: queue (u32 length, bytes) · message id (16)
// message_remembered records (a deleted FIFO message's deduplication id, kept for its window)
// are sent payloads with an empty body.
// Both are read and written as views: recovery reads millions of them straight from the mapped
// segments, and copying each body out would cost more than the rest of the replay.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "shmq/message.h"

namespace shmq::daemon {

struct SentMessage {
    std::string_view queue;
    MessageId message_id;
    std::int64_t sent_ns = 0;
    std::uint32_t sender_uid = 0;
    std::string_view body;
    std::string_view encoded_attributes;
    std::uint64_t sequence_number = 0; // FIFO queues; 0 otherwise
};

struct DeletedMessage {
    std::string_view queue;
    MessageId message_id;
};

void encode_sent(const SentMessage& message, std::vector<std::byte>& out);
void encode_deleted(const DeletedMessage& message, std::vector<std::byte>& out);
// Views into payload, which must outlive them; nullopt when it does not parse.
[[nodiscard]] std::optional<SentMessage> decode_sent(std::span<const std::byte> payload);
[[nodiscard]] std::optional<DeletedMessage> decode_deleted(std::span<const std::byte> payload);

} // namespace shmq::daemon
