// Encoding of the message records (see message_records.h).
#include "message_records.h"

#include <algorithm>
#include <cstring>

namespace shmq::daemon {
namespace {

template <class T> void put(std::vector<std::byte>& out, const T& value) {
    const std::size_t at = out.size();
    out.resize(at + sizeof value);
    std::memcpy(out.data() + at, &value, sizeof value);
}

void put_text(std::vector<std::byte>& out, std::string_view text) {
    put(out, static_cast<std::uint32_t>(text.size()));
    const std::size_t at = out.size();
    out.resize(at + text.size());
    std::memcpy(out.data() + at, text.data(), text.size());
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
    std::string text() {
        const auto size = get<std::uint32_t>();
        if (!ok || rest.size() < size) {
            ok = false;
            return {};
        }
        std::string out(reinterpret_cast<const char*>(rest.data()), size);
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

std::string id_key(const MessageId& id) {
    return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}

MessageId id_of(std::string_view key) {
    MessageId id;
    std::memcpy(id.bytes.data(), key.data(), std::min(key.size(), id.bytes.size()));
    return id;
}

void encode_sent(const SentRecord& record, std::vector<std::byte>& out) {
    out.clear();
    put_text(out, record.queue);
    const std::size_t at = out.size();
    out.resize(at + record.message_id.bytes.size());
    std::memcpy(out.data() + at, record.message_id.bytes.data(), record.message_id.bytes.size());
    put(out, record.sent_ns);
    put(out, record.sender_uid);
    put_text(out, record.body);
    put_text(out, record.encoded_attributes);
}

void encode_deleted(const DeletedRecord& record, std::vector<std::byte>& out) {
    out.clear();
    put_text(out, record.queue);
    const std::size_t at = out.size();
    out.resize(at + record.message_id.bytes.size());
    std::memcpy(out.data() + at, record.message_id.bytes.data(), record.message_id.bytes.size());
}

std::optional<SentRecord> decode_sent(std::span<const std::byte> payload) {
    Reader reader{payload};
    SentRecord record;
    record.queue = reader.text();
    record.message_id = reader.id();
    record.sent_ns = reader.get<std::int64_t>();
    record.sender_uid = reader.get<std::uint32_t>();
    record.body = reader.text();
    record.encoded_attributes = reader.text();
    if (!reader.ok || !reader.rest.empty()) {
        return std::nullopt;
    }
    return record;
}

std::optional<DeletedRecord> decode_deleted(std::span<const std::byte> payload) {
    Reader reader{payload};
    DeletedRecord record;
    record.queue = reader.text();
    record.message_id = reader.id();
    if (!reader.ok || !reader.rest.empty()) {
        return std::nullopt;
    }
    return record;
}

} // namespace shmq::daemon
