// SQS input rules (see message_validation.h).
#include "sqs/message_validation.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <set>

#include "shmq/limits.h"

namespace shmq::sqs {
namespace {

bool is_name_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_allowed_code_point(std::uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Decodes one UTF-8 sequence at text[i]; returns its length or 0 when malformed.
std::size_t decode_utf8(std::string_view text, std::size_t i, std::uint32_t& cp) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    if (lead < 0x80) {
        cp = lead;
        return 1;
    }
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        cp = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        cp = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        cp = lead & 0x07u;
    } else {
        return 0;
    }
    if (i + length > text.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (next & 0x3Fu);
    }
    static constexpr std::uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minimum[length]) {
        return 0; // overlong encoding
    }
    return length;
}

Status invalid_parameter(std::string message) {
    return {Errc::invalid_parameter_value, std::move(message)};
}

std::string hex_code_point(std::uint32_t cp) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "#x%X", cp);
    return buffer;
}

bool has_reserved_prefix(std::string_view name) {
    const auto lower_starts = [&](std::string_view prefix) {
        if (name.size() < prefix.size()) {
            return false;
        }
        return std::equal(prefix.begin(), prefix.end(), name.begin(), [](char a, char b) {
            return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
        });
    };
    return lower_starts("aws.") || lower_starts("amazon.");
}

Status validate_attribute_name(std::string_view name) {
    const auto invalid = [&] {
        return invalid_parameter("Message (user) attribute name '" + std::string(name) + "' is invalid.");
    };
    if (name.empty() || name.size() > limits::message_attribute_name_length_max) {
        return invalid();
    }
    for (const char c : name) {
        if (!is_name_character(c) && c != '.') {
            return invalid();
        }
    }
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos ||
        has_reserved_prefix(name)) {
        return invalid();
    }
    return {};
}

bool is_number(std::string_view text) {
    // Up to 38 significant digits, optional sign, decimal point and exponent, as SQS accepts.
    std::size_t i = 0, digits = 0;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        ++i;
    }
    bool seen_point = false;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c >= '0' && c <= '9') {
            ++digits;
        } else if (c == '.' && !seen_point) {
            seen_point = true;
        } else {
            break;
        }
    }
    if (digits == 0 || digits > limits::number_attribute_digits_max) {
        return false;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            ++i;
        }
        const std::size_t exponent_start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            ++i;
        }
        if (i == exponent_start) {
            return false;
        }
    }
    return i == text.size();
}

} // namespace

// True when all 8 bytes are in 0x20..0x7F (printable ASCII and DEL, all allowed by SQS):
// no byte has its high bit set, and none is below 0x20 (the classic "has a byte less than n"
// test: subtracting 0x20 from each byte borrows into the high bit exactly for bytes < 0x20).
static bool all_printable_ascii(std::uint64_t word) noexcept {
    constexpr std::uint64_t ones = 0x0101'0101'0101'0101ull;
    constexpr std::uint64_t highs = 0x8080'8080'8080'8080ull;
    return ((word | ((word - ones * 0x20) & ~word)) & highs) == 0;
}

// Length of the leading run of 0x20..0x7F bytes, 16 or 8 at a time (the common case).
static std::size_t printable_ascii_prefix(std::string_view text) noexcept {
    std::size_t i = 0;
    // Fast path: almost every body is printable ASCII. As signed bytes, exactly 0x20..0x7F are
    // greater than 0x1F, so one compare checks 16 bytes.
#if defined(__SSE2__)
    const __m128i below_space = _mm_set1_epi8(0x1F);
    for (; i + 16 <= text.size(); i += 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
        if (_mm_movemask_epi8(_mm_cmpgt_epi8(bytes, below_space)) != 0xFFFF) {
            break;
        }
    }
#endif
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, text.data() + i, 8);
        if (!all_printable_ascii(word)) {
            break;
        }
    }
    return i;
}

bool is_sqs_text(std::string_view text) noexcept {
    std::size_t i = printable_ascii_prefix(text);
    for (; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte >= 0x80) {
            return validate_message_characters(text.substr(i), "message body").ok();
        }
    }
    return true;
}

Error invalid_character(std::uint32_t code_point, std::string_view what) {
    return {Errc::invalid_message_contents,
            "Invalid binary character '" + hex_code_point(code_point) + "' was found in the " + std::string(what) +
                ", the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 "
                "to #x10FFFF"};
}

Status validate_message_characters(std::string_view text, std::string_view what) {
    std::size_t i = printable_ascii_prefix(text);
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte < 0x80) {
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t length = decode_utf8(text, i, cp);
        if (length == 0 || !is_allowed_code_point(cp)) {
            return invalid_character(length == 0 ? byte : cp, what);
        }
        i += length;
    }
    return {};
}

Status validate_message_attributes(const MessageAttributes& attributes, std::size_t& size) {
    if (attributes.size() > limits::message_attributes_max) {
        return invalid_parameter("Number of message attributes [" + std::to_string(attributes.size()) +
                                 "] exceeds the allowed maximum [10].");
    }
    for (const auto& [name, value] : attributes) {
        if (Status status = validate_attribute_name(name); !status) {
            return status;
        }
        const std::string_view type = value.data_type;
        const std::string_view base = type.substr(0, type.find('.'));
        if (type.empty()) {
            return invalid_parameter("The message attribute '" + name +
                                     "' must contain non-empty message attribute type.");
        }
        if ((base != "String" && base != "Number" && base != "Binary") ||
            type.size() > limits::message_attribute_type_length_max) {
            return invalid_parameter(
                "The type of message (user) attribute '" + name +
                "' is invalid. You must use only the following supported type prefixes: Binary, Number, String.");
        }
        if (base == "Binary") {
            if (value.binary_value.empty()) {
                return invalid_parameter("Message (user) attribute '" + name +
                                         "' must contain a non-empty value of type 'Binary'.");
            }
            size += name.size() + type.size() + value.binary_value.size();
            continue;
        }
        if (value.string_value.empty()) {
            return invalid_parameter("Message (user) attribute '" + name +
                                     "' must contain a non-empty value of type '" + std::string(base) + "'.");
        }
        if (base == "Number" && !is_number(value.string_value)) {
            return invalid_parameter("Can't cast the value of message (user) attribute '" + name + "' to a number.");
        }
        if (Status status = validate_message_characters(value.string_value, "message attribute value"); !status) {
            return status;
        }
        size += name.size() + type.size() + value.string_value.size();
    }
    return {};
}

std::size_t counted_size(std::string_view body, const MessageAttributes* attributes) noexcept {
    std::size_t size = body.size();
    if (attributes != nullptr) {
        for (const auto& [name, value] : *attributes) {
            const bool binary = std::string_view(value.data_type).starts_with("Binary");
            size +=
                name.size() + value.data_type.size() + (binary ? value.binary_value.size() : value.string_value.size());
        }
    }
    return size;
}

Errc check_plain_message(std::string_view body, std::size_t maximum_message_size) noexcept {
    if (body.empty()) {
        return Errc::missing_parameter;
    }
    if (body.size() > maximum_message_size) {
        return Errc::message_too_long;
    }
    return is_sqs_text(body) ? Errc::ok : Errc::invalid_message_contents;
}

Status validate_message(std::string_view body, const MessageAttributes* attributes, std::size_t maximum_message_size) {
    if (body.empty()) {
        return {Errc::missing_parameter, "The request must contain the parameter MessageBody."};
    }
    std::size_t size = body.size();
    if (attributes != nullptr) {
        if (Status status = validate_message_attributes(*attributes, size); !status) {
            return status;
        }
    }
    if (size > maximum_message_size) {
        return {Errc::message_too_long, "One or more parameters are invalid. Reason: Message must be shorter than " +
                                            std::to_string(maximum_message_size) + " bytes."};
    }
    return validate_message_characters(body, "message body");
}

Status validate_aws_trace_header(std::string_view value) {
    const bool printable = std::all_of(value.begin(), value.end(), [](char c) { return c >= ' ' && c < 0x7f; });
    if (value.empty() || value.size() > limits::aws_trace_header_bytes_max || !printable) {
        return invalid_parameter("Value for parameter AWSTraceHeader is invalid. Reason: it must be an X-Ray trace "
                                 "header of 1 to " +
                                 std::to_string(limits::aws_trace_header_bytes_max) + " printable ASCII characters.");
    }
    return {};
}

Result<std::string> aws_trace_header_of(const MessageAttributes& message_system_attributes) {
    std::string trace;
    for (const auto& [name, value] : message_system_attributes) {
        if (name != "AWSTraceHeader") {
            return Error{Errc::invalid_parameter_value, "Message system attribute name '" + name +
                                                            "' is invalid. The only supported message system "
                                                            "attribute is AWSTraceHeader."};
        }
        if (value.data_type != "String" || value.string_value.empty()) {
            return Error{Errc::invalid_parameter_value,
                         "Value for parameter MessageSystemAttribute.AWSTraceHeader is invalid. Reason: its DataType "
                         "must be String, with a StringValue."};
        }
        if (Status checked = validate_aws_trace_header(value.string_value); !checked) {
            return checked.error();
        }
        trace = value.string_value;
    }
    return trace;
}

Status validate_delay_seconds(std::int64_t delay_s) {
    if (delay_s < 0 || delay_s > limits::delay_s_max) {
        return invalid_parameter(
            "Value " + std::to_string(delay_s) +
            " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.");
    }
    return {};
}

Status validate_batch_entry_ids(std::span<const std::string> ids) {
    if (ids.empty()) {
        return {Errc::empty_batch_request, "There should be at least one SendMessageBatchRequestEntry in the request."};
    }
    if (ids.size() > limits::send_batch_max) {
        return {Errc::too_many_entries_in_batch,
                "Maximum number of entries per request are 10. You have sent " + std::to_string(ids.size()) + "."};
    }
    std::set<std::string_view> seen;
    for (const std::string& id : ids) {
        if (id.empty() || id.size() > limits::batch_entry_id_length_max ||
            !std::all_of(id.begin(), id.end(), is_name_character)) {
            return {Errc::invalid_batch_entry_id, "A batch entry id can only contain alphanumeric characters, hyphens "
                                                  "and underscores. It can be at most 80 letters long."};
        }
        if (!seen.insert(id).second) {
            return {Errc::batch_entry_ids_not_distinct, "Id " + id + " repeated."};
        }
    }
    return {};
}

} // namespace shmq::sqs
