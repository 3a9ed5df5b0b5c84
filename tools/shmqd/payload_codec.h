// The little-endian, length-prefixed encoding of shmqd's journal payloads (message records,
// data keys): fixed-size values as their bytes, texts as a u32 length and the bytes. Reading
// never goes past the payload: a PayloadReader fails (and stays failed) at the first value that
// does not fit, and the caller checks `ok` once at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "shmq/message.h"

namespace shmq::daemon {

inline void put_bytes(std::vector<std::byte>& out, const void* data, std::size_t size) {
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

inline void put_text(std::vector<std::byte>& out, std::string_view text) {
    put(out, static_cast<std::uint32_t>(text.size()));
    put_bytes(out, text.data(), text.size());
}

struct PayloadReader {
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

} // namespace shmq::daemon
