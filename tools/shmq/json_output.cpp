// The indenting writer. String escaping follows Python's json module with ensure_ascii=False:
// only '"', '\\' and control characters below 0x20 are escaped (short forms where JSON has
// them, else \u00xx in lower-case hex); every other byte, UTF-8 included, is copied as is.
#include "json_output.h"

#include <array>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdio>
#include <string_view>

namespace shmq::cli {
namespace {

constexpr std::size_t indent_width = 4;

void append_string(std::string& out, std::string_view text) {
    static constexpr std::array<char, 16> hex_digits = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                        '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    out.push_back('"');
    for (const char c : text) {
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        default: {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20) {
                out.append("\\u00");
                out.push_back(hex_digits[byte >> 4U]);
                out.push_back(hex_digits[byte & 0x0FU]);
            } else {
                out.push_back(c);
            }
        }
        }
    }
    out.push_back('"');
}

void append_newline_and_indent(std::string& out, std::size_t depth) {
    out.push_back('\n');
    out.append(depth * indent_width, ' ');
}

void append_value(std::string& out, const boost::json::value& value, std::size_t depth) {
    switch (value.kind()) {
    case boost::json::kind::object: {
        const auto& object = value.get_object();
        if (object.empty()) {
            out.append("{}");
            return;
        }
        out.push_back('{');
        bool first = true;
        for (const auto& member : object) {
            if (!first) {
                out.push_back(',');
            }
            first = false;
            append_newline_and_indent(out, depth + 1);
            append_string(out, member.key());
            out.append(": ");
            append_value(out, member.value(), depth + 1);
        }
        append_newline_and_indent(out, depth);
        out.push_back('}');
        return;
    }
    case boost::json::kind::array: {
        const auto& array = value.get_array();
        if (array.empty()) {
            out.append("[]");
            return;
        }
        out.push_back('[');
        bool first = true;
        for (const auto& element : array) {
            if (!first) {
                out.push_back(',');
            }
            first = false;
            append_newline_and_indent(out, depth + 1);
            append_value(out, element, depth + 1);
        }
        append_newline_and_indent(out, depth);
        out.push_back(']');
        return;
    }
    case boost::json::kind::string:
        append_string(out, value.get_string());
        return;
    case boost::json::kind::bool_:
        out.append(value.get_bool() ? "true" : "false");
        return;
    case boost::json::kind::null:
        out.append("null");
        return;
    case boost::json::kind::int64:
        out.append(std::to_string(value.get_int64()));
        return;
    case boost::json::kind::uint64:
        out.append(std::to_string(value.get_uint64()));
        return;
    case boost::json::kind::double_:
        out.append(boost::json::serialize(value));
        return;
    }
}

} // namespace

std::string to_pretty_json(const boost::json::value& value) {
    std::string out;
    append_value(out, value, 0);
    return out;
}

void print_response(const boost::json::object& response) {
    if (response.empty()) {
        return; // aws prints nothing for an empty response (an empty receive, a delete)
    }
    std::string text = to_pretty_json(response);
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

void print_batch_response(boost::json::array successful, boost::json::array failed) {
    print_response(boost::json::object{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}});
}

} // namespace shmq::cli
