// Journal payloads of messages (Durability=async): message_sent carries everything needed to
// put the message back (identity, sent time, sender, body, encoded attributes); message_deleted
// names it. Little-endian, length-prefixed:
//   sent:    queue (u32 length, bytes) · message id (16) · sent_ns (i64) · sender uid (u32)
//            · body (u32 length, bytes) · encoded attributes (u32 length, bytes)
//   deleted: queue (u32 length, bytes) · message id (16)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "shmq/message.h"

namespace shmq::daemon {

struct SentRecord {
    std::string queue;
    MessageId message_id;
    std::int64_t sent_ns = 0;
    std::uint32_t sender_uid = 0;
    std::string body;
    std::string encoded_attributes;
};

struct DeletedRecord {
    std::string queue;
    MessageId message_id;
};

// A MessageId as a map key (its 16 bytes) and back.
[[nodiscard]] std::string id_key(const MessageId& id);
[[nodiscard]] MessageId id_of(std::string_view key);

void encode_sent(const SentRecord& record, std::vector<std::byte>& out);
void encode_deleted(const DeletedRecord& record, std::vector<std::byte>& out);
[[nodiscard]] std::optional<SentRecord> decode_sent(std::span<const std::byte> payload);
[[nodiscard]] std::optional<DeletedRecord> decode_deleted(std::span<const std::byte> payload);

} // namespace shmq::daemon
