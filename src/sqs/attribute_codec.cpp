// Encoding of message attributes inside a slot (see attribute_codec.h).
#include "sqs/attribute_codec.h"

#include <cstring>

#include "shmq/limits.h"

namespace shmq::sqs {
namespace {

constexpr std::size_t entry_header_bytes = 8;
constexpr std::uint8_t trailer_flag = 0x80;

const std::string& value_bytes(const MessageAttributeValue& value) {
    return value.is_binary() ? value.binary_value : value.string_value;
}

template <class T> void put(std::byte*& cursor, T value) {
    std::memcpy(cursor, &value, sizeof value);
    cursor += sizeof value;
}

void put_bytes(std::byte*& cursor, std::string_view bytes) {
    if (bytes.empty()) {
        return; // an empty view may have a null data(): memcpy must not see it
    }
    std::memcpy(cursor, bytes.data(), bytes.size());
    cursor += bytes.size();
}

void put_trailer(std::byte*& cursor, std::string_view dead_letter_source) {
    if (!dead_letter_source.empty()) {
        put_bytes(cursor, dead_letter_source);
        put(cursor, static_cast<std::uint16_t>(dead_letter_source.size()));
    }
}

std::size_t trailer_size(std::string_view dead_letter_source) {
    return dead_letter_source.empty() ? 0 : dead_letter_source.size() + 2;
}

} // namespace

std::size_t encoded_attributes_size(const MessageAttributes* attributes, std::string_view dead_letter_source) noexcept {
    const bool has_user = attributes != nullptr && !attributes->empty();
    if (!has_user && dead_letter_source.empty()) {
        return 0;
    }
    std::size_t size = 1 + trailer_size(dead_letter_source);
    if (has_user) {
        for (const auto& [name, value] : *attributes) {
            size += entry_header_bytes + name.size() + value.data_type.size() + value_bytes(value).size();
        }
    }
    return size;
}

void encode_attributes(const MessageAttributes* attributes, std::string_view dead_letter_source,
                       std::span<std::byte> out) noexcept {
    const bool has_user = attributes != nullptr && !attributes->empty();
    if (!has_user && dead_letter_source.empty()) {
        return;
    }
    std::byte* cursor = out.data();
    const auto count = static_cast<std::uint8_t>(has_user ? attributes->size() : 0);
    put(cursor, static_cast<std::uint8_t>(count | (dead_letter_source.empty() ? 0 : trailer_flag)));
    if (has_user) {
        for (const auto& [name, value] : *attributes) {
            const std::string& bytes = value_bytes(value);
            put(cursor, static_cast<std::uint16_t>(name.size()));
            put(cursor, static_cast<std::uint16_t>(value.data_type.size()));
            put(cursor, static_cast<std::uint32_t>(bytes.size()));
            put_bytes(cursor, name);
            put_bytes(cursor, value.data_type);
            put_bytes(cursor, bytes);
        }
    }
    put_trailer(cursor, dead_letter_source);
}

std::size_t reencoded_size(const EncodedAttributes& parts, std::string_view dead_letter_source) noexcept {
    if (parts.user_count == 0 && dead_letter_source.empty()) {
        return 0;
    }
    return 1 + parts.user_entries.size() + trailer_size(dead_letter_source);
}

void reencode(const EncodedAttributes& parts, std::string_view dead_letter_source, std::span<std::byte> out) noexcept {
    if (parts.user_count == 0 && dead_letter_source.empty()) {
        return;
    }
    std::byte* cursor = out.data();
    put(cursor, static_cast<std::uint8_t>(parts.user_count | (dead_letter_source.empty() ? 0 : trailer_flag)));
    put_bytes(cursor, parts.user_entries);
    put_trailer(cursor, dead_letter_source);
}

Result<EncodedAttributes> split_attributes(std::string_view encoded) {
    EncodedAttributes parts;
    if (encoded.empty()) {
        return parts;
    }
    const auto corrupt = [] { return Error{Errc::corrupt_region, "message attributes in the region are corrupt"}; };
    const auto first = static_cast<std::uint8_t>(encoded[0]);
    parts.user_count = first & static_cast<std::uint8_t>(~trailer_flag);
    std::string_view rest = encoded.substr(1);
    if ((first & trailer_flag) != 0) {
        if (rest.size() < 2) {
            return corrupt();
        }
        std::uint16_t length = 0;
        std::memcpy(&length, rest.data() + rest.size() - 2, 2);
        if (rest.size() - 2 < length) {
            return corrupt();
        }
        parts.dead_letter_source = rest.substr(rest.size() - 2 - length, length);
        rest = rest.substr(0, rest.size() - 2 - length);
    }
    if (parts.user_count > limits::message_attributes_max) {
        return corrupt();
    }
    parts.user_entries = rest;
    return parts;
}

Result<MessageAttributes> decode_attributes(std::string_view encoded) {
    auto parts = split_attributes(encoded);
    if (!parts) {
        return parts.error();
    }
    MessageAttributes attributes;
    const auto corrupt = [] { return Error{Errc::corrupt_region, "message attributes in the region are corrupt"}; };
    std::string_view rest = parts->user_entries;
    for (std::uint8_t i = 0; i < parts->user_count; ++i) {
        if (rest.size() < entry_header_bytes) {
            return corrupt();
        }
        std::uint16_t name_size = 0, type_size = 0;
        std::uint32_t value_size = 0;
        std::memcpy(&name_size, rest.data(), 2);
        std::memcpy(&type_size, rest.data() + 2, 2);
        std::memcpy(&value_size, rest.data() + 4, 4);
        rest.remove_prefix(entry_header_bytes);
        const std::size_t total = std::size_t{name_size} + type_size + value_size;
        if (rest.size() < total) {
            return corrupt();
        }
        std::string name(rest.substr(0, name_size));
        MessageAttributeValue value;
        value.data_type = std::string(rest.substr(name_size, type_size));
        const std::string_view bytes = rest.substr(std::size_t{name_size} + type_size, value_size);
        (value.is_binary() ? value.binary_value : value.string_value) = std::string(bytes);
        rest.remove_prefix(total);
        attributes.emplace(std::move(name), std::move(value));
    }
    return attributes;
}

} // namespace shmq::sqs
