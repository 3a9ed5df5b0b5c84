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
//
// Sealed (record flag record_flag_sealed: queues with SqsManagedSseEnabled or a KmsMasterKeyId),
// a sent or remembered payload keeps in clear only what SQS calls metadata and shmqd needs to
// tell live records from dead ones without a key; the rest is an AES-256-GCM box (sealing_key.h):
//   queue (u32 length, bytes) · message id (16) · sent_ns (i64) · sender uid (u32)
//   · SequenceNumber (u64, 0 for standard queues) · data key id (u64, data_keys.h)
//   · box: nonce (12) · sealed [body (u32 length, bytes) · encoded attributes (u32 length, bytes)]
//          · tag (16)
// The box is bound to the record type and every clear byte before it: moving it under another
// message, queue, type or key fails its tag.
// Both are read and written as views: recovery reads millions of them straight from the mapped
// segments, and copying each body out would cost more than the rest of the replay.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "journal/record.h"
#include "sealing_key.h"
#include "shmq/error.h"
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
    // Sealed records as decoded: body and encoded_attributes are empty until opened.
    std::uint64_t data_key_id = 0; // 0: not sealed
    std::span<const std::byte> authenticated; // the clear bytes the box is bound to
    std::span<const std::byte> box;
};

struct DeletedMessage {
    std::string_view queue;
    MessageId message_id;
};

void encode_sent(const SentMessage& message, std::vector<std::byte>& out);
void encode_deleted(const DeletedMessage& message, std::vector<std::byte>& out);
// A sealed payload: the clear part of message, then the box of its body and attributes under
// key (named data_key_id), bound to type. plaintext is scratch.
[[nodiscard]] Status encode_sealed_sent(const SentMessage& message, journal::RecordType type, std::uint64_t data_key_id,
                                        SealingKey& key, std::vector<std::byte>& plaintext,
                                        std::vector<std::byte>& out);
// Views into payload, which must outlive them; nullopt when it does not parse. A sealed one
// (the record's flags say) comes with body and attributes empty and its box to open.
[[nodiscard]] std::optional<SentMessage> decode_sent(std::span<const std::byte> payload, bool sealed = false);
// Opens a decoded sealed message with its data key: body and encoded_attributes then view
// plaintext (which must outlive them). False when the tag fails or the plaintext is malformed.
[[nodiscard]] bool open_sent(SentMessage& message, journal::RecordType type, SealingKey& key,
                             std::vector<std::byte>& plaintext);
[[nodiscard]] std::optional<DeletedMessage> decode_deleted(std::span<const std::byte> payload);

} // namespace shmq::daemon
