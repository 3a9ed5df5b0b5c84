// Typed request members (see request_reader.h).
#include "api/request_reader.h"

#include "api/base64.h"

namespace shmq::api {

namespace json = boost::json;

Error RequestReader::wrong_type(std::string_view name, std::string_view expected) {
    return {Errc::invalid_parameter_value,
            "Value for parameter " + std::string(name) + " is invalid. Reason: it must be " + std::string(expected) +
                "."};
}

bool RequestReader::has(std::string_view name) const noexcept {
    const json::value* value = request_.if_contains(name);
    return value != nullptr && !value->is_null();
}

Result<std::string> RequestReader::required_string(std::string_view name) const {
    if (!has(name)) {
        return Error{Errc::missing_parameter, "The request must contain the parameter " + std::string(name) + "."};
    }
    return string(name);
}

Result<std::string> RequestReader::string(std::string_view name) const {
    if (!has(name)) {
        return std::string();
    }
    const json::value& value = request_.at(name);
    if (!value.is_string()) {
        return wrong_type(name, "a string");
    }
    return std::string(value.get_string());
}

Result<std::optional<std::int64_t>> RequestReader::integer(std::string_view name) const {
    if (!has(name)) {
        return std::optional<std::int64_t>{};
    }
    const json::value& value = request_.at(name);
    if (value.is_int64()) {
        return std::optional<std::int64_t>{value.get_int64()};
    }
    if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return std::optional<std::int64_t>{static_cast<std::int64_t>(value.get_uint64())};
    }
    return wrong_type(name, "an integer");
}

Result<std::vector<std::string>> RequestReader::string_list(std::string_view name) const {
    std::vector<std::string> out;
    if (!has(name)) {
        return out;
    }
    const json::value& value = request_.at(name);
    if (!value.is_array()) {
        return wrong_type(name, "a list of strings");
    }
    for (const json::value& item : value.get_array()) {
        if (!item.is_string()) {
            return wrong_type(name, "a list of strings");
        }
        out.emplace_back(item.get_string());
    }
    return out;
}

Result<std::map<std::string, std::string, std::less<>>> RequestReader::string_map(std::string_view name) const {
    std::map<std::string, std::string, std::less<>> out;
    if (!has(name)) {
        return out;
    }
    const json::value& value = request_.at(name);
    if (!value.is_object()) {
        return wrong_type(name, "a map of strings");
    }
    for (const auto& [key, item] : value.get_object()) {
        if (!item.is_string()) {
            return wrong_type(name, "a map of strings");
        }
        out.emplace(std::string(key), std::string(item.get_string()));
    }
    return out;
}

Result<std::vector<const json::object*>> RequestReader::structure_list(std::string_view name) const {
    std::vector<const json::object*> out;
    if (!has(name)) {
        return out;
    }
    const json::value& value = request_.at(name);
    if (!value.is_array()) {
        return wrong_type(name, "a list");
    }
    for (const json::value& item : value.get_array()) {
        if (!item.is_object()) {
            return wrong_type(name, "a list of structures");
        }
        out.push_back(&item.get_object());
    }
    return out;
}

Result<MessageAttributes> RequestReader::message_attributes(std::string_view name) const {
    MessageAttributes out;
    if (!has(name)) {
        return out;
    }
    const json::value& value = request_.at(name);
    if (!value.is_object()) {
        return wrong_type(name, "a map of message attributes");
    }
    for (const auto& [key, item] : value.get_object()) {
        if (!item.is_object()) {
            return wrong_type(name, "a map of message attributes");
        }
        const RequestReader attribute(item.get_object());
        if (attribute.has("StringListValues") || attribute.has("BinaryListValues")) {
            return Error{Errc::unsupported_operation,
                         "Message attribute list values in SendMessage operation are not supported."};
        }
        MessageAttributeValue parsed;
        auto data_type = attribute.required_string("DataType");
        auto text = attribute.string("StringValue");
        auto binary = attribute.string("BinaryValue");
        for (const auto* member : {&data_type, &text, &binary}) {
            if (!member->ok()) {
                return member->error();
            }
        }
        parsed.data_type = std::move(data_type).value();
        parsed.string_value = std::move(text).value();
        if (!binary->empty()) {
            auto bytes = base64_decode(binary.value());
            if (!bytes) {
                return wrong_type(std::string(name) + "." + std::string(key) + ".BinaryValue", "base64");
            }
            parsed.binary_value = std::move(*bytes);
        }
        out.emplace(std::string(key), std::move(parsed));
    }
    return out;
}

} // namespace shmq::api
