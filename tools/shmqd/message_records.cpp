// Encoding of the message records (see message_records.h).
#include "message_records.h"

#include <cstring>

#include "payload_codec.h"

namespace shmq::daemon {
namespace {

// What every sent payload, plain or sealed, starts with.
void put_identity(std::vector<std::byte>& out, const SentMessage& message) {
    out.clear();
    put_text(out, message.queue);
    put_bytes(out, message.message_id.bytes.data(), message.message_id.bytes.size());
    put(out, message.sent_ns);
    put(out, message.sender_uid);
}

} // namespace

void encode_sent(const SentMessage& message, std::vector<std::byte>& out) {
    put_identity(out, message);
    put_text(out, message.body);
    put_text(out, message.encoded_attributes);
    if (message.sequence_number != 0) {
        put(out, message.sequence_number);
    }
}

void encode_deleted(const DeletedMessage& message, std::vector<std::byte>& out) {
    out.clear();
    put_text(out, message.queue);
    put_bytes(out, message.message_id.bytes.data(), message.message_id.bytes.size());
}

Status encode_sealed_sent(const SentMessage& message, journal::RecordType type, std::uint64_t data_key_id,
                          SealingKey& key, std::vector<std::byte>& plaintext, std::vector<std::byte>& out) {
    put_identity(out, message);
    put(out, message.sequence_number);
    put(out, data_key_id);
    plaintext.clear();
    put_text(plaintext, message.body);
    put_text(plaintext, message.encoded_attributes);
    const auto record_type = static_cast<std::uint16_t>(type);
    // The clear part is bound as it lies in out (seal joins its aad before it grows out).
    const std::span<const std::byte> clear(out.data(), out.size());
    return key.seal({std::as_bytes(std::span(&record_type, 1)), clear}, plaintext, out);
}

bool open_sent(SentMessage& message, journal::RecordType type, SealingKey& key, std::vector<std::byte>& plaintext) {
    const auto record_type = static_cast<std::uint16_t>(type);
    if (!key.open({std::as_bytes(std::span(&record_type, 1)), message.authenticated}, message.box, plaintext)) {
        return false;
    }
    PayloadReader reader{plaintext};
    message.body = reader.text();
    message.encoded_attributes = reader.text();
    return reader.ok && reader.rest.empty();
}

std::optional<SentMessage> decode_sent(std::span<const std::byte> payload, bool sealed) {
    PayloadReader reader{payload};
    SentMessage message;
    message.queue = reader.text();
    message.message_id = reader.id();
    message.sent_ns = reader.get<std::int64_t>();
    message.sender_uid = reader.get<std::uint32_t>();
    if (sealed) {
        message.sequence_number = reader.get<std::uint64_t>();
        message.data_key_id = reader.get<std::uint64_t>();
        if (!reader.ok || reader.rest.size() < sealing_overhead_bytes || message.data_key_id == 0) {
            return std::nullopt;
        }
        message.authenticated = payload.first(payload.size() - reader.rest.size());
        message.box = reader.rest;
        return message;
    }
    message.body = reader.text();
    message.encoded_attributes = reader.text();
    if (reader.ok && !reader.rest.empty()) {
        message.sequence_number = reader.get<std::uint64_t>();
    }
    if (!reader.ok || !reader.rest.empty()) {
        return std::nullopt;
    }
    return message;
}

std::optional<DeletedMessage> decode_deleted(std::span<const std::byte> payload) {
    PayloadReader reader{payload};
    DeletedMessage message;
    message.queue = reader.text();
    message.message_id = reader.id();
    if (!reader.ok || !reader.rest.empty()) {
        return std::nullopt;
    }
    return message;
}

} // namespace shmq::daemon
