// Parameter values to typed values. Messages copy awscli's wording ("Parameter validation
// failed:", "Invalid type for parameter ...", "Unknown parameter in ...") because scripts and
// people already know them.
#include "arguments.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <limits>
#include <system_error>
#include <utility>

#include "api/base64.h"
#include "parameter_file.h"
#include "shorthand.h"

namespace shmq::cli {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

bool looks_like_json(std::string_view text) {
    const std::string_view trimmed = trim(text);
    return !trimmed.empty() && (trimmed.front() == '{' || trimmed.front() == '[');
}

// "--tag-keys" -> "TagKeys": the model's name for a parameter, as aws prints it.
std::string model_name(std::string_view option_name) {
    while (option_name.starts_with("-")) {
        option_name.remove_prefix(1);
    }
    std::string name;
    bool upper = true;
    for (const char c : option_name) {
        if (c == '-') {
            upper = true;
            continue;
        }
        name.push_back(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
        upper = false;
    }
    return name;
}

enum class IntegerParse { ok, not_a_number, out_of_range };

// Python int(text, 10): optional spaces, sign, digits with single '_' between them.
IntegerParse parse_python_int(std::string_view text, std::int64_t& result) {
    text = trim(text);
    bool negative = false;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (text.empty() || text.front() == '_' || text.back() == '_') {
        return IntegerParse::not_a_number;
    }
    // Accumulate negatively so INT64_MIN parses too.
    std::int64_t value = 0;
    bool out_of_range = false;
    char previous = '0';
    for (const char c : text) {
        if (c == '_') {
            if (previous == '_') {
                return IntegerParse::not_a_number;
            }
            previous = c;
            continue;
        }
        if (c < '0' || c > '9') {
            return IntegerParse::not_a_number;
        }
        previous = c;
        const std::int64_t digit = c - '0';
        if (value < (std::numeric_limits<std::int64_t>::min() + digit) / 10) {
            out_of_range = true;
            continue;
        }
        value = value * 10 - digit;
    }
    if (out_of_range || (!negative && value == std::numeric_limits<std::int64_t>::min())) {
        return IntegerParse::out_of_range;
    }
    result = negative ? value : -value;
    return IntegerParse::ok;
}

std::string repr(const boost::json::value& value) {
    if (value.is_string()) {
        return "'" + std::string(value.get_string()) + "'";
    }
    return boost::json::serialize(value);
}

Failure invalid_type(std::string_view path, const boost::json::value& value, std::string_view valid_types) {
    return Failure::validation("Invalid type for parameter " + std::string(path) + ", value: " + repr(value) +
                               ", type: " + python_type_name(value) + ", valid types: " + std::string(valid_types));
}

// A scalar as text: strings as they are; numbers and booleans written out (SQS takes every
// queue attribute and tag as a string, and `VisibilityTimeout: 5` in JSON means "5").
std::optional<std::string> scalar_text(const boost::json::value& value) {
    switch (value.kind()) {
    case boost::json::kind::string:
        return std::string(value.get_string());
    case boost::json::kind::int64:
        return std::to_string(value.get_int64());
    case boost::json::kind::uint64:
        return std::to_string(value.get_uint64());
    case boost::json::kind::double_:
        return boost::json::serialize(value);
    case boost::json::kind::bool_:
        return std::string(value.get_bool() ? "true" : "false");
    default:
        return std::nullopt;
    }
}

} // namespace

std::string python_type_name(const boost::json::value& value) {
    switch (value.kind()) {
    case boost::json::kind::string:
        return "<class 'str'>";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
        return "<class 'int'>";
    case boost::json::kind::double_:
        return "<class 'float'>";
    case boost::json::kind::bool_:
        return "<class 'bool'>";
    case boost::json::kind::array:
        return "<class 'list'>";
    case boost::json::kind::object:
        return "<class 'dict'>";
    case boost::json::kind::null:
        return "<class 'NoneType'>";
    }
    return "<class 'object'>";
}

void add_text_option(CLI::App& command, TextOption& option, std::string name, std::string description, bool required) {
    option.name = name;
    option.option = command.add_option(std::move(name), option.value, std::move(description));
    option.option->required(required);
}

void add_list_option(CLI::App& command, ListOption& option, std::string name, std::string description, bool required) {
    option.name = name;
    option.option = command.add_option(std::move(name), option.values, std::move(description));
    option.option->required(required);
}

CliResult<std::string> load_text(const TextOption& option) {
    return resolve_parameter_file(option.name, option.value);
}

CliResult<std::vector<std::string>> load_list(const ListOption& option) {
    std::vector<std::string> values;
    values.reserve(option.values.size());
    for (const auto& raw : option.values) {
        auto loaded = resolve_parameter_file(option.name, raw);
        if (!loaded.ok()) {
            return loaded.failure();
        }
        values.push_back(std::move(loaded).value());
    }
    return values;
}

CliResult<std::optional<std::int64_t>> load_integer(const TextOption& option) {
    if (!option.given()) {
        return std::optional<std::int64_t>{};
    }
    auto text = load_text(option);
    if (!text.ok()) {
        return text.failure();
    }
    std::int64_t value = 0;
    switch (parse_python_int(text.value(), value)) {
    case IntegerParse::ok:
        return std::optional<std::int64_t>{value};
    case IntegerParse::not_a_number:
        return Failure::parameter(option.name, "invalid literal for int() with base 10: '" + text.value() + "'");
    case IntegerParse::out_of_range:
        return Failure::parameter(option.name, "integer out of range: '" + text.value() + "'");
    }
    return std::optional<std::int64_t>{};
}

CliResult<boost::json::value> parse_structure(std::string_view option_name, std::string_view text) {
    if (!looks_like_json(text)) {
        auto parsed = parse_shorthand(option_name, text);
        if (!parsed.ok()) {
            return parsed.failure();
        }
        return boost::json::value(std::move(parsed).value());
    }
    std::error_code error;
    boost::json::value value = boost::json::parse(text, error);
    if (error) {
        return Failure::parameter(option_name,
                                  "Invalid JSON: " + error.message() + "\nJSON received: " + std::string(text));
    }
    return value;
}

CliResult<boost::json::value> load_structure(const TextOption& option) {
    auto text = load_text(option);
    if (!text.ok()) {
        return text.failure();
    }
    return parse_structure(option.name, text.value());
}

CliResult<StringMap> load_string_map(const TextOption& option) {
    auto parsed = load_structure(option);
    if (!parsed.ok()) {
        return parsed.failure();
    }
    const std::string path = model_name(option.name);
    if (!parsed.value().is_object()) {
        return invalid_type(path, parsed.value(), "<class 'dict'>");
    }
    StringMap map;
    for (const auto& member : parsed.value().get_object()) {
        auto member_text = scalar_text(member.value());
        if (!member_text) {
            return invalid_type(path + "." + std::string(member.key()), member.value(), "<class 'str'>");
        }
        map.emplace(std::string(member.key()), std::move(*member_text));
    }
    return map;
}

CliResult<std::vector<std::string>> load_string_list(const ListOption& option) {
    auto values = load_list(option);
    if (!values.ok()) {
        return values.failure();
    }
    const std::string path = model_name(option.name);
    if (values.value().size() != 1 || !looks_like_json(values.value().front())) {
        return values;
    }
    auto parsed = parse_structure(option.name, values.value().front());
    if (!parsed.ok()) {
        return parsed.failure();
    }
    if (!parsed.value().is_array()) {
        return invalid_type(path, parsed.value(), "<class 'list'>, <class 'tuple'>");
    }
    std::vector<std::string> list;
    std::size_t index = 0;
    for (const auto& element : parsed.value().get_array()) {
        if (!element.is_string()) {
            return invalid_type(path + "[" + std::to_string(index) + "]", element, "<class 'str'>");
        }
        list.emplace_back(element.get_string());
        ++index;
    }
    return list;
}

CliResult<boost::json::array> load_structure_list(const ListOption& option) {
    auto values = load_list(option);
    if (!values.ok()) {
        return values.failure();
    }
    const std::string path = model_name(option.name);
    const auto& raw = values.value();
    if (!raw.empty() && trim(raw.front()).starts_with("[")) {
        if (raw.size() != 1) {
            return Failure::parameter(option.name, "a JSON list must be the only value of the parameter");
        }
        auto parsed = parse_structure(option.name, raw.front());
        if (!parsed.ok()) {
            return parsed.failure();
        }
        if (!parsed.value().is_array()) {
            return invalid_type(path, parsed.value(), "<class 'list'>, <class 'tuple'>");
        }
        return std::move(parsed.value().get_array());
    }
    boost::json::array list;
    for (const auto& text : raw) {
        auto parsed = parse_structure(option.name, text);
        if (!parsed.ok()) {
            return parsed.failure();
        }
        list.push_back(std::move(parsed).value());
    }
    return list;
}

CliResult<MessageAttributes> to_message_attributes(std::string_view path, const boost::json::value& value) {
    if (!value.is_object()) {
        return invalid_type(path, value, "<class 'dict'>");
    }
    MessageAttributes attributes;
    for (const auto& member : value.get_object()) {
        const std::string member_path = std::string(path) + "." + std::string(member.key());
        const StructureReader reader(member_path, member.value(),
                                     {"StringValue", "BinaryValue", "StringListValues", "BinaryListValues", "DataType"},
                                     {"DataType"});
        if (auto failure = reader.check()) {
            return *failure;
        }
        if (reader.has("StringListValues") || reader.has("BinaryListValues")) {
            return Failure::service(Errc::unsupported_operation,
                                    "Message attribute list values in SendMessage operation are "
                                    "not supported.");
        }
        MessageAttributeValue attribute;
        auto data_type = reader.string("DataType");
        if (!data_type.ok()) {
            return data_type.failure();
        }
        attribute.data_type = std::move(data_type).value();
        if (reader.has("StringValue")) {
            auto text = reader.string("StringValue");
            if (!text.ok()) {
                return text.failure();
            }
            attribute.string_value = std::move(text).value();
        }
        if (reader.has("BinaryValue")) {
            auto text = reader.string("BinaryValue");
            if (!text.ok()) {
                return text.failure();
            }
            auto bytes = api::base64_decode(text.value());
            if (!bytes) {
                return Failure::validation("Invalid base64 for parameter " + member_path + ".BinaryValue: '" +
                                           text.value() + "'");
            }
            attribute.binary_value = std::move(*bytes);
        }
        attributes.emplace(std::string(member.key()), std::move(attribute));
    }
    return attributes;
}

StructureReader::StructureReader(std::string path, const boost::json::value& value,
                                 std::initializer_list<std::string_view> allowed,
                                 std::initializer_list<std::string_view> required)
    : path_(std::move(path)), value_(value), allowed_(allowed), required_(required) {}

std::optional<Failure> StructureReader::check() const {
    if (!value_.is_object()) {
        return invalid_type(path_, value_, "<class 'dict'>");
    }
    std::string problems;
    for (const auto& name : required_) {
        if (!has(name)) {
            problems += "Missing required parameter in " + path_ + ": \"" + std::string(name) + "\"\n";
        }
    }
    for (const auto& member : value_.get_object()) {
        if (std::find(allowed_.begin(), allowed_.end(), member.key()) == allowed_.end()) {
            std::string names;
            for (const auto& name : allowed_) {
                names += (names.empty() ? "" : ", ") + std::string(name);
            }
            problems += "Unknown parameter in " + path_ + ": \"" + std::string(member.key()) +
                        "\", must be one of: " + names + "\n";
        }
    }
    if (problems.empty()) {
        return std::nullopt;
    }
    problems.pop_back();
    return Failure::validation(problems);
}

bool StructureReader::has(std::string_view name) const {
    return member(name) != nullptr;
}

const boost::json::value* StructureReader::member(std::string_view name) const {
    if (!value_.is_object()) {
        return nullptr;
    }
    return value_.get_object().if_contains(name);
}

CliResult<std::string> StructureReader::string(std::string_view name) const {
    const auto* value = member(name);
    if (value == nullptr) {
        return std::string{};
    }
    if (!value->is_string()) {
        return invalid_type(path_ + "." + std::string(name), *value, "<class 'str'>");
    }
    return std::string(value->get_string());
}

CliResult<std::optional<std::int64_t>> StructureReader::integer(std::string_view name) const {
    const auto* value = member(name);
    if (value == nullptr) {
        return std::optional<std::int64_t>{};
    }
    if (value->is_int64()) {
        return std::optional<std::int64_t>{value->get_int64()};
    }
    if (value->is_string()) {
        std::int64_t parsed = 0;
        if (parse_python_int(value->get_string(), parsed) == IntegerParse::ok) {
            return std::optional<std::int64_t>{parsed};
        }
        return Failure::validation("Invalid value for parameter " + path_ + "." + std::string(name) +
                                   ": invalid literal for int() with base 10: '" + std::string(value->get_string()) +
                                   "'");
    }
    return invalid_type(path_ + "." + std::string(name), *value, "<class 'int'>");
}

} // namespace shmq::cli
