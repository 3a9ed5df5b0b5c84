// Encoding of message attributes inside a slot (see attribute_codec.h).
#include "sqs/attribute_codec.h"

#include <cstring>

#include "shmq/limits.h"

namespace shmq::sqs {
namespace {

constexpr std::size_t entry_header_bytes = 8;
constexpr std::uint8_t source_flag = 0x80;
constexpr std::uint8_t group_flag = 0x40;
constexpr std::uint8_t dedup_flag = 0x20;
constexpr std::uint8_t trace_flag = 0x10;
constexpr std::uint8_t count_mask = 0x0F;
static_assert(limits::message_attributes_max <= count_mask);

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

void put_field(std::byte*& cursor, std::string_view field) {
    if (!field.empty()) {
        put_bytes(cursor, field);
        put(cursor, static_cast<std::uint16_t>(field.size()));
    }
}

void put_trailer(std::byte*& cursor, const AttributeTrailer& trailer) {
    put_field(cursor, trailer.dead_letter_source);
    put_field(cursor, trailer.message_group_id);
    put_field(cursor, trailer.message_deduplication_id);
    put_field(cursor, trailer.aws_trace_header);
}

std::size_t field_size(std::string_view field) {
    return field.empty() ? 0 : field.size() + 2;
}

std::size_t trailer_size(const AttributeTrailer& trailer) {
    return field_size(trailer.dead_letter_source) + field_size(trailer.message_group_id) +
           field_size(trailer.message_deduplication_id) + field_size(trailer.aws_trace_header);
}

std::uint8_t trailer_flags(const AttributeTrailer& trailer) {
    return static_cast<std::uint8_t>((trailer.dead_letter_source.empty() ? 0 : source_flag) |
                                     (trailer.message_group_id.empty() ? 0 : group_flag) |
                                     (trailer.message_deduplication_id.empty() ? 0 : dedup_flag) |
                                     (trailer.aws_trace_header.empty() ? 0 : trace_flag));
}

// Takes the last field off rest (bytes then u16 length); false when the lengths do not fit.
bool take_field(std::string_view& rest, std::string_view& field) {
    if (rest.size() < 2) {
        return false;
    }
    std::uint16_t length = 0;
    std::memcpy(&length, rest.data() + rest.size() - 2, 2);
    if (rest.size() - 2 < length) {
        return false;
    }
    field = rest.substr(rest.size() - 2 - length, length);
    rest = rest.substr(0, rest.size() - 2 - length);
    return true;
}

} // namespace

std::size_t encoded_attributes_size(const MessageAttributes* attributes, const AttributeTrailer& trailer) noexcept {
    const bool has_user = attributes != nullptr && !attributes->empty();
    if (!has_user && trailer.empty()) {
        return 0;
    }
    std::size_t size = 1 + trailer_size(trailer);
    if (has_user) {
        for (const auto& [name, value] : *attributes) {
            size += entry_header_bytes + name.size() + value.data_type.size() + value_bytes(value).size();
        }
    }
    return size;
}

void encode_attributes(const MessageAttributes* attributes, const AttributeTrailer& trailer,
                       std::span<std::byte> out) noexcept {
    const bool has_user = attributes != nullptr && !attributes->empty();
    if (!has_user && trailer.empty()) {
        return;
    }
    std::byte* cursor = out.data();
    const auto count = static_cast<std::uint8_t>(has_user ? attributes->size() : 0);
    put(cursor, static_cast<std::uint8_t>(count | trailer_flags(trailer)));
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
    put_trailer(cursor, trailer);
}

std::size_t reencoded_size(const EncodedAttributes& parts, const AttributeTrailer& trailer) noexcept {
    if (parts.user_count == 0 && trailer.empty()) {
        return 0;
    }
    return 1 + parts.user_entries.size() + trailer_size(trailer);
}

void reencode(const EncodedAttributes& parts, const AttributeTrailer& trailer, std::span<std::byte> out) noexcept {
    if (parts.user_count == 0 && trailer.empty()) {
        return;
    }
    std::byte* cursor = out.data();
    put(cursor, static_cast<std::uint8_t>(parts.user_count | trailer_flags(trailer)));
    put_bytes(cursor, parts.user_entries);
    put_trailer(cursor, trailer);
}

Result<EncodedAttributes> split_attributes(std::string_view encoded) {
    EncodedAttributes parts;
    if (encoded.empty()) {
        return parts;
    }
    const auto corrupt = [] { return Error{Errc::corrupt_region, "message attributes in the region are corrupt"}; };
    const auto flags = static_cast<std::uint8_t>(encoded[0]);
    parts.user_count = flags & count_mask;
    std::string_view rest = encoded.substr(1);
    // Fields come off the end in the reverse of their writing order.
    if ((flags & trace_flag) != 0 && !take_field(rest, parts.trailer.aws_trace_header)) {
        return corrupt();
    }
    if ((flags & dedup_flag) != 0 && !take_field(rest, parts.trailer.message_deduplication_id)) {
        return corrupt();
    }
    if ((flags & group_flag) != 0 && !take_field(rest, parts.trailer.message_group_id)) {
        return corrupt();
    }
    if ((flags & source_flag) != 0 && !take_field(rest, parts.trailer.dead_letter_source)) {
        return corrupt();
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
