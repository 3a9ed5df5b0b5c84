// The JSON 1.0 protocol (see json_protocol.h).
#include "json_protocol.h"

#include <array>
#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <charconv>
#include <optional>
#include <vector>

#include "api/sqs_errors.h"
#include "sqs/message_validation.h"

namespace shmq::daemon {
namespace {

namespace json = boost::json;

constexpr std::string_view target_prefix = "AmazonSQS.";
// What every JSON-protocol SDK sends (botocore: application/x-amz-json-<jsonVersion>, 1.0 in
// SQS's model; the JavaScript SDK v3 the same).
constexpr std::string_view json_content_type = "application/x-amz-json-1.0";

// The deepest SQS request is 6 levels: {"Entries": [{"MessageAttributes": {"name":
// {"StringListValues": [...]}}}]}. Boost.JSON's parser is not recursive; the bound keeps every
// walk over the value (and any future recursive one) shallow.
constexpr std::size_t json_depth_max = 8;
// Values in one request, all levels counted: SendMessageBatch, the largest, has about 450 (10
// entries of 5 members and 10 message attributes of 3). A flood of tiny values would cost memory
// and time far beyond its bytes.
constexpr std::size_t json_values_max = 4096;

// Whether request holds at most json_values_max values: an explicit stack, no recursion (its
// depth is json_depth_max at most, as the parser ensured).
bool within_value_count(const json::value& request) {
    std::vector<const json::value*> pending{&request};
    std::size_t count = 0;
    while (!pending.empty()) {
        const json::value* value = pending.back();
        pending.pop_back();
        if (++count > json_values_max) {
            return false;
        }
        if (value->is_array()) {
            if (value->get_array().size() > json_values_max) {
                return false;
            }
            for (const json::value& item : value->get_array()) {
                pending.push_back(&item);
            }
        } else if (value->is_object()) {
            if (value->get_object().size() > json_values_max) {
                return false;
            }
            for (const auto& member : value->get_object()) {
                pending.push_back(&member.value());
            }
        }
    }
    return true;
}

// The media type of a Content-Type value, without parameters ("; charset=utf-8") or case.
bool is_json_content_type(std::string_view content_type) {
    const std::string_view media_type = content_type.substr(0, content_type.find(';'));
    const std::size_t first = media_type.find_first_not_of(" \t");
    const std::size_t last = media_type.find_last_not_of(" \t");
    if (first == std::string_view::npos || last - first + 1 != json_content_type.size()) {
        return false;
    }
    for (std::size_t i = 0; i < json_content_type.size(); ++i) {
        const char c = media_type[first + i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != json_content_type[i]) {
            return false;
        }
    }
    return true;
}

// A \uXXXX escape of a UTF-16 surrogate with no partner: what Boost.JSON refuses to decode,
// and what SQS, which decodes it, then refuses as a character outside its set.
struct LoneSurrogate {
    std::uint32_t code_point = 0;
    std::string member; // the object key the string belongs to
};

// Replaces every lone surrogate escape of a JSON text with "\u0020" (as long), in one pass over
// its strings that tracks the last key; returns the first one replaced, if any.
std::optional<LoneSurrogate> replace_lone_surrogates(std::string& text) {
    const auto hex4 = [&](std::size_t at) -> std::optional<std::uint32_t> {
        std::uint32_t value = 0;
        if (at + 4 > text.size() ||
            std::from_chars(text.data() + at, text.data() + at + 4, value, 16).ptr != text.data() + at + 4) {
            return std::nullopt;
        }
        return value;
    };
    std::optional<LoneSurrogate> first;
    std::size_t key_start = 0, key_length = 0; // offsets: text changes under a view
    const auto replace = [&](std::size_t at, std::uint32_t code_point) {
        if (!first) {
            first = LoneSurrogate{code_point, text.substr(key_start, key_length)};
        }
        text.replace(at, 6, "\\u0020");
    };
    for (std::size_t i = 0; i < text.size();) {
        if (text[i++] != '"') {
            continue;
        }
        const std::size_t start = i;
        std::optional<std::size_t> lead; // where a leading surrogate waits for its trailing one
        while (i < text.size() && text[i] != '"') {
            const bool escape = text[i] == '\\' && i + 1 < text.size();
            const std::optional<std::uint32_t> unit = escape && text[i + 1] == 'u' ? hex4(i + 2) : std::nullopt;
            const bool trailing = unit && *unit >= 0xDC00 && *unit <= 0xDFFF;
            if (lead && !trailing) {
                replace(*lead, *hex4(*lead + 2));
            } else if (trailing && !lead) {
                replace(i, *unit);
            }
            lead = unit && *unit >= 0xD800 && *unit <= 0xDBFF ? std::optional<std::size_t>(i) : std::nullopt;
            i += unit ? 6u : escape ? 2u : 1u;
        }
        if (lead) {
            replace(*lead, *hex4(*lead + 2));
        }
        const std::size_t next = text.find_first_not_of(" \t\r\n", i + 1);
        if (next != std::string::npos && text[next] == ':') {
            key_start = start;
            key_length = i - start;
        }
        ++i;
    }
    return first;
}

// SQS's error for a request that is JSON but for escaped lone surrogates: the character is
// outside SQS's set, named for the member SQS checks (bodies and attribute values; any other
// string holds no such character either). nullopt: the text is broken some other way too.
std::optional<Error> lone_surrogate_error(std::string_view body) {
    std::string repaired(body);
    const auto lone = replace_lone_surrogates(repaired);
    json::error_code still_broken;
    if (!lone || (json::parse(repaired, still_broken), still_broken)) {
        return std::nullopt;
    }
    const std::string_view what = lone->member == "MessageBody"   ? "message body"
                                  : lone->member == "StringValue" ? "message attribute value"
                                                                  : "request";
    return sqs::invalid_character(lone->code_point, what);
}

HttpReply sqs_error(const Error& error) {
    HttpReply reply;
    reply.status = static_cast<unsigned>(sqs_http_status(error.code));
    reply.headers.emplace_back("x-amzn-query-error", api::query_error_header(error.code));
    reply.body = json::serialize(
        json::object{{"__type", "com.amazonaws.sqs#" + std::string(api::json_error_type(error.code))},
                     {"message", error.message}});
    return reply;
}

} // namespace

HttpReply json_service_error(unsigned status, std::string_view type, std::string_view message,
                             std::string_view query_code) {
    HttpReply reply;
    reply.status = status;
    if (!query_code.empty()) {
        reply.headers.emplace_back("x-amzn-query-error", std::string(query_code) + ";Sender");
    }
    reply.body = json::serialize(json::object{{"__type", "com.amazon.coral.service#" + std::string(type)},
                                              {"message", message}});
    return reply;
}

HttpReply serve_json(api::SqsService& service, std::string_view target, std::string_view content_type,
                     std::string_view body, const api::Caller& caller) {
    if (!target.starts_with(target_prefix) || !api::SqsService::knows(target.substr(target_prefix.size()))) {
        return json_service_error(400, "UnknownOperationException", "Unknown operation " + std::string(target) + ".");
    }
    if (!is_json_content_type(content_type)) {
        // The AWS service framework's own exception for it (com.amazon.coral.service), with the
        // status that names it.
        return json_service_error(415, "UnsupportedMediaTypeException",
                                  "A request naming its action in X-Amz-Target must have Content-Type " +
                                      std::string(json_content_type) + ".");
    }
    // The request's values live in a buffer on the stack (spilling to the heap past it): no
    // allocation per member for the common small request. A monotonic resource also frees a
    // value without walking it.
    std::array<unsigned char, 4096> arena_buffer;
    json::monotonic_resource arena(arena_buffer.data(), arena_buffer.size());
    json::parse_options options;
    options.max_depth = json_depth_max;
    json::error_code parse_error;
    json::value request =
        body.empty() ? json::value(json::object(&arena)) : json::parse(body, parse_error, &arena, options);
    if (parse_error == json::error::illegal_leading_surrogate ||
        parse_error == json::error::illegal_trailing_surrogate || parse_error == json::error::expected_utf16_escape ||
        parse_error == json::error::syntax) {
        // Boost.JSON names a lone surrogate any of these, as where it stopped reading.
        if (const auto refused = lone_surrogate_error(body)) {
            return sqs_error(*refused);
        }
    }
    if (parse_error || !request.is_object()) {
        const std::string reason = parse_error == json::error::too_deep
                                       ? "it is nested deeper than " + std::to_string(json_depth_max) + " levels"
                                   : parse_error ? parse_error.message()
                                                 : std::string("it is not an object");
        return json_service_error(400, "SerializationException",
                                  "The request body is not a JSON request: " + reason + ".");
    }
    if (!within_value_count(request)) {
        return json_service_error(400, "SerializationException",
                                  "The request body is not a JSON request: it holds more than " +
                                      std::to_string(json_values_max) + " values.");
    }
    auto response = service.call(target.substr(target_prefix.size()), request.get_object(), caller);
    if (!response) {
        return sqs_error(response.error());
    }
    HttpReply reply;
    reply.body = json::serialize(response.value());
    return reply;
}

} // namespace shmq::daemon
