// Encoding of the message records (see message_records.h).
#include "message_records.h"

#include <cstring>

namespace shmq::daemon {
namespace {

void put_bytes(std::vector<std::byte>& out, const void* data, std::size_t size) {
    if (size == 0) {
        return; // an empty view may have no data pointer at all
    }
    const std::size_t at = out.size();
    out.resize(at + size);
    std::memcpy(out.data() + at, data, size);
}

template <class T> void put(std::vector<std::byte>& out, const T& value) {
    put_bytes(out, &value, sizeof value);
}

void put_text(std::vector<std::byte>& out, std::string_view text) {
    put(out, static_cast<std::uint32_t>(text.size()));
    put_bytes(out, text.data(), text.size());
}

// Reads from a payload, failing (and staying failed) past its end.
struct Reader {
    std::span<const std::byte> rest;
    bool ok = true;

    template <class T> T get() {
        T value{};
        if (rest.size() < sizeof value) {
            ok = false;
            return value;
        }
        std::memcpy(&value, rest.data(), sizeof value);
        rest = rest.subspan(sizeof value);
        return value;
    }
    std::string_view text() {
        const auto size = get<std::uint32_t>();
        if (!ok || rest.size() < size) {
            ok = false;
            return {};
        }
        const std::string_view out(reinterpret_cast<const char*>(rest.data()), size);
        rest = rest.subspan(size);
        return out;
    }
    MessageId id() {
        MessageId out;
        if (rest.size() < out.bytes.size()) {
            ok = false;
            return out;
        }
        std::memcpy(out.bytes.data(), rest.data(), out.bytes.size());
        rest = rest.subspan(out.bytes.size());
        return out;
    }
};

} // namespace

void encode_sent(const SentMessage& message, std::vector<std::byte>& out) {
    out.clear();
    put_text(out, message.queue);
    put_bytes(out, message.message_id.bytes.data(), message.message_id.bytes.size());
    put(out, message.sent_ns);
    put(out, message.sender_uid);
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

std::optional<SentMessage> decode_sent(std::span<const std::byte> payload) {
    Reader reader{payload};
    SentMessage message;
    message.queue = reader.text();
    message.message_id = reader.id();
    message.sent_ns = reader.get<std::int64_t>();
    message.sender_uid = reader.get<std::uint32_t>();
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
    Reader reader{payload};
    DeletedMessage message;
    message.queue = reader.text();
    message.message_id = reader.id();
    if (!reader.ok || !reader.rest.empty()) {
        return std::nullopt;
    }
    return message;
}

} // namespace shmq::daemon
