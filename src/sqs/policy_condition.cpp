// Condition blocks of access policies (see policy_condition.h). The rules are IAM's:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
#include "sqs/policy_condition.h"

#include <algorithm>
#include <arpa/inet.h>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>

#include "shmq/limits.h"
#include "sqs/wildcard_match.h"

namespace shmq::sqs {
namespace {

namespace json = boost::json;
using Family = PolicyCondition::Family;
using Comparison = PolicyCondition::Comparison;

// Bounds on one statement's Condition (AccessPolicy bounds the policy's total, SQS's quota).
constexpr std::size_t condition_tests_max = limits::policy_conditions_max; // operator/key pairs
constexpr std::size_t condition_values_max = 50;                           // values of one key
constexpr std::string_view if_exists_suffix = "IfExists";

struct OperatorInfo {
    std::string_view name;
    Family family;
    Comparison comparison;
    bool negated;
};

constexpr OperatorInfo operators[] = {
    {"StringEquals", Family::string, Comparison::equals, false},
    {"StringNotEquals", Family::string, Comparison::equals, true},
    {"StringEqualsIgnoreCase", Family::string_ignore_case, Comparison::equals, false},
    {"StringNotEqualsIgnoreCase", Family::string_ignore_case, Comparison::equals, true},
    {"StringLike", Family::string_like, Comparison::equals, false},
    {"StringNotLike", Family::string_like, Comparison::equals, true},
    // IAM: ArnEquals and ArnLike behave alike (both take wildcards in each ARN part).
    {"ArnEquals", Family::arn, Comparison::equals, false},
    {"ArnLike", Family::arn, Comparison::equals, false},
    {"ArnNotEquals", Family::arn, Comparison::equals, true},
    {"ArnNotLike", Family::arn, Comparison::equals, true},
    {"NumericEquals", Family::numeric, Comparison::equals, false},
    {"NumericNotEquals", Family::numeric, Comparison::equals, true},
    {"NumericLessThan", Family::numeric, Comparison::less, false},
    {"NumericLessThanEquals", Family::numeric, Comparison::less_equal, false},
    {"NumericGreaterThan", Family::numeric, Comparison::greater, false},
    {"NumericGreaterThanEquals", Family::numeric, Comparison::greater_equal, false},
    {"DateEquals", Family::date, Comparison::equals, false},
    {"DateNotEquals", Family::date, Comparison::equals, true},
    {"DateLessThan", Family::date, Comparison::less, false},
    {"DateLessThanEquals", Family::date, Comparison::less_equal, false},
    {"DateGreaterThan", Family::date, Comparison::greater, false},
    {"DateGreaterThanEquals", Family::date, Comparison::greater_equal, false},
    {"Bool", Family::boolean, Comparison::equals, false},
    {"IpAddress", Family::ip, Comparison::equals, false},
    {"NotIpAddress", Family::ip, Comparison::equals, true},
    {"Null", Family::null, Comparison::equals, false},
};

Error invalid_condition() {
    return {Errc::invalid_attribute_value, "Invalid value for the parameter Policy."};
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<bool> parse_bool(std::string_view text) {
    if (equal_ignoring_case(text, "true")) {
        return true;
    }
    if (equal_ignoring_case(text, "false")) {
        return false;
    }
    return std::nullopt;
}

std::optional<double> parse_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// Reads exactly digits decimal digits at text[at...]; advances at.
std::optional<int> read_digits(std::string_view text, std::size_t& at, std::size_t digits) {
    if (at + digits > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        const char c = text[at + i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    at += digits;
    return value;
}

// The ARN's six colon-separated parts (the last may hold colons itself); false if it has fewer.
bool split_arn(std::string_view arn, std::array<std::string_view, 6>& parts) {
    for (std::size_t i = 0; i < 5; ++i) {
        const std::size_t colon = arn.find(':');
        if (colon == std::string_view::npos) {
            return false;
        }
        parts[i] = arn.substr(0, colon);
        arn.remove_prefix(colon + 1);
    }
    parts[5] = arn;
    return true;
}

// IAM's ArnLike: each of the six parts matched on its own, wildcards inside a part only.
bool arn_matches(std::string_view pattern, std::string_view arn) {
    std::array<std::string_view, 6> pattern_parts;
    std::array<std::string_view, 6> arn_parts;
    if (!split_arn(pattern, pattern_parts) || !split_arn(arn, arn_parts)) {
        return false;
    }
    for (std::size_t i = 0; i < pattern_parts.size(); ++i) {
        if (!wildcard_match(pattern_parts[i], arn_parts[i])) {
            return false;
        }
    }
    return true;
}

bool network_contains(const PolicyCondition::IpNetwork& network, const PolicyCondition::IpNetwork& address) {
    if (network.v6 != address.v6) {
        return false;
    }
    const unsigned whole_bytes = network.prefix_bits / 8;
    if (!std::equal(network.bytes.begin(), network.bytes.begin() + whole_bytes, address.bytes.begin())) {
        return false;
    }
    const unsigned rest_bits = network.prefix_bits % 8;
    if (rest_bits == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - rest_bits));
    return (network.bytes[whole_bytes] & mask) == (address.bytes[whole_bytes] & mask);
}

template <class T> bool compare(T actual, T expected, Comparison comparison) {
    switch (comparison) {
    case Comparison::equals:
        return actual == expected;
    case Comparison::less:
        return actual < expected;
    case Comparison::less_equal:
        return actual <= expected;
    case Comparison::greater:
        return actual > expected;
    case Comparison::greater_equal:
        return actual >= expected;
    }
    return false;
}

// Whether the context's value of a key (present) matches one value of the test.
bool value_matches(const PolicyCondition::Test& test, const PolicyCondition::Value& value, std::string_view actual) {
    switch (test.family) {
    case Family::string:
        return actual == value.text;
    case Family::string_ignore_case:
        return equal_ignoring_case(actual, value.text);
    case Family::string_like:
        return wildcard_match(value.text, actual);
    case Family::arn:
        return arn_matches(value.text, actual);
    case Family::numeric: {
        const auto number = parse_number(actual);
        return number && compare(*number, value.number, test.comparison);
    }
    case Family::date: {
        const auto time_ms = parse_policy_time_ms(actual);
        return time_ms && compare(*time_ms, value.time_ms, test.comparison);
    }
    case Family::boolean: {
        const auto flag = parse_bool(actual);
        return flag && *flag == value.flag;
    }
    case Family::ip: {
        const auto address = parse_ip_network(actual);
        return address && network_contains(value.network, *address);
    }
    case Family::null:
        return false; // decided on presence alone (test_holds)
    }
    return false;
}

bool test_holds(const PolicyCondition::Test& test, const RequestContext& context) {
    const std::optional<std::string> actual = condition_key_value(context, test.key);
    if (test.family == Family::null) {
        // Null: "true" holds when the key is absent, "false" when it is present.
        return std::any_of(test.values.begin(), test.values.end(),
                           [&](const PolicyCondition::Value& value) { return value.flag == !actual.has_value(); });
    }
    if (!actual) {
        // IAM (condition operators page, "Important"): a key absent from the request context
        // makes the condition false, except for a negated operator (StringNotEquals, ArnNotLike,
        // NotIpAddress, ...), whose condition is then true; ...IfExists holds when the key is absent.
        return test.if_exists || test.negated;
    }
    const bool any = std::any_of(test.values.begin(), test.values.end(), [&](const PolicyCondition::Value& value) {
        return value_matches(test, value, *actual);
    });
    return test.negated ? !any : any; // a negated operator's values are a NOR
}

// A JSON scalar as the text IAM reads it ("Bool": {"aws:SecureTransport": false} is "false").
std::optional<std::string> scalar_text(const json::value& value) {
    if (value.is_string()) {
        return std::string(value.get_string());
    }
    if (value.is_bool()) {
        return value.get_bool() ? "true" : "false";
    }
    if (value.is_number()) {
        return json::serialize(value);
    }
    return std::nullopt;
}

std::optional<PolicyCondition::Value> parse_value(Family family, std::string text) {
    PolicyCondition::Value value;
    switch (family) {
    case Family::string:
    case Family::string_ignore_case:
    case Family::string_like:
        break;
    case Family::arn: {
        std::array<std::string_view, 6> parts;
        if (!split_arn(text, parts)) {
            return std::nullopt;
        }
        break;
    }
    case Family::numeric: {
        const auto number = parse_number(text);
        if (!number) {
            return std::nullopt;
        }
        value.number = *number;
        break;
    }
    case Family::date: {
        const auto time_ms = parse_policy_time_ms(text);
        if (!time_ms) {
            return std::nullopt;
        }
        value.time_ms = *time_ms;
        break;
    }
    case Family::boolean:
    case Family::null: {
        const auto flag = parse_bool(text);
        if (!flag) {
            return std::nullopt;
        }
        value.flag = *flag;
        break;
    }
    case Family::ip: {
        const auto network = parse_ip_network(text);
        if (!network) {
            return std::nullopt;
        }
        value.network = *network;
        break;
    }
    }
    value.text = std::move(text);
    return value;
}

} // namespace

std::optional<std::int64_t> parse_policy_time_ms(std::string_view text) {
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
        const auto seconds = parse_number(text); // epoch seconds, maybe with a fraction
        if (!seconds || *seconds > 1e13) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(*seconds * 1000.0);
    }
    std::size_t at = 0;
    const auto year = read_digits(text, at, 4);
    const bool dash1 = at < text.size() && text[at++] == '-';
    const auto month = read_digits(text, at, 2);
    const bool dash2 = at < text.size() && text[at++] == '-';
    const auto day = read_digits(text, at, 2);
    if (!year || !dash1 || !month || !dash2 || !day) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    std::int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::sys_days(date).time_since_epoch()).count();
    if (at == text.size()) {
        return ms; // a date alone: its midnight, UTC
    }
    if (text[at++] != 'T') {
        return std::nullopt;
    }
    const auto hour = read_digits(text, at, 2);
    const bool colon = at < text.size() && text[at++] == ':';
    const auto minute = read_digits(text, at, 2);
    if (!hour || !colon || !minute || *hour > 23 || *minute > 59) {
        return std::nullopt;
    }
    int second = 0;
    int fraction_ms = 0;
    if (at < text.size() && text[at] == ':') {
        ++at;
        const auto read = read_digits(text, at, 2);
        if (!read || *read > 60) {
            return std::nullopt;
        }
        second = *read;
        if (at < text.size() && text[at] == '.') {
            ++at;
            int scale = 100;
            const std::size_t first = at;
            while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
                fraction_ms += (text[at] - '0') * scale;
                scale /= 10;
                ++at;
            }
            if (at == first) {
                return std::nullopt;
            }
        }
    }
    ms += ((static_cast<std::int64_t>(*hour) * 60 + *minute) * 60 + second) * 1000 + fraction_ms;
    if (at == text.size() || (text[at] == 'Z' && at + 1 == text.size())) {
        return ms; // no zone: UTC
    }
    if (text[at] != '+' && text[at] != '-') {
        return std::nullopt;
    }
    const int sign = text[at++] == '+' ? 1 : -1;
    const auto offset_hours = read_digits(text, at, 2);
    const bool offset_colon = at < text.size() && text[at++] == ':';
    const auto offset_minutes = read_digits(text, at, 2);
    if (!offset_hours || !offset_colon || !offset_minutes || at != text.size() || *offset_hours > 23 ||
        *offset_minutes > 59) {
        return std::nullopt;
    }
    return ms - sign * (static_cast<std::int64_t>(*offset_hours) * 60 + *offset_minutes) * 60'000;
}

std::optional<PolicyCondition::IpNetwork> parse_ip_network(std::string_view text) {
    constexpr std::size_t address_text_max = 64; // longer than any IPv6 text form
    const std::size_t slash = text.find('/');
    const std::string_view address = text.substr(0, slash);
    if (address.empty() || address.size() >= address_text_max) {
        return std::nullopt;
    }
    char buffer[address_text_max] = {};
    std::memcpy(buffer, address.data(), address.size());
    PolicyCondition::IpNetwork network;
    if (inet_pton(AF_INET, buffer, network.bytes.data()) == 1) {
        network.prefix_bits = 32;
    } else if (inet_pton(AF_INET6, buffer, network.bytes.data()) == 1) {
        constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (slash == std::string_view::npos &&
            std::equal(std::begin(v4_mapped_prefix), std::end(v4_mapped_prefix), network.bytes.begin())) {
            // A dual-stack socket's peer ::ffff:a.b.c.d is the IPv4 client a.b.c.d.
            std::memmove(network.bytes.data(), network.bytes.data() + 12, 4);
            std::fill(network.bytes.begin() + 4, network.bytes.end(), std::uint8_t{0});
            network.prefix_bits = 32;
        } else {
            network.v6 = true;
            network.prefix_bits = 128;
        }
    } else {
        return std::nullopt;
    }
    if (slash != std::string_view::npos) {
        const std::string_view bits_text = text.substr(slash + 1);
        unsigned bits = 0;
        const auto [end, error] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
        if (bits_text.empty() || error != std::errc{} || end != bits_text.data() + bits_text.size() ||
            bits > network.prefix_bits) {
            return std::nullopt;
        }
        network.prefix_bits = bits;
    }
    return network;
}

Result<PolicyCondition> PolicyCondition::parse(const json::value& block) {
    if (!block.is_object()) {
        return invalid_condition();
    }
    PolicyCondition condition;
    for (const auto& [operator_name, keys] : block.get_object()) {
        std::string_view name = operator_name;
        const bool if_exists = name.ends_with(if_exists_suffix);
        if (if_exists) {
            name.remove_suffix(if_exists_suffix.size());
        }
        // ForAnyValue: / ForAllValues: name no operator in this table, so they are refused here.
        const auto* info = std::find_if(std::begin(operators), std::end(operators),
                                        [&](const OperatorInfo& entry) { return entry.name == name; });
        if (info == std::end(operators) || (if_exists && info->family == Family::null) || !keys.is_object() ||
            keys.get_object().empty()) {
            return invalid_condition();
        }
        for (const auto& [key, values] : keys.get_object()) {
            if (key.empty() || condition.tests_.size() == condition_tests_max) {
                return invalid_condition();
            }
            Test test{info->family, info->comparison, info->negated, if_exists, std::string(key), {}};
            const json::array single{values};
            const json::array& listed = values.is_array() ? values.get_array() : single;
            if (listed.empty() || listed.size() > condition_values_max) {
                return invalid_condition();
            }
            for (const json::value& item : listed) {
                auto text = scalar_text(item);
                auto value = text ? parse_value(info->family, std::move(*text)) : std::nullopt;
                if (!value) {
                    return invalid_condition();
                }
                test.values.push_back(std::move(*value));
            }
            condition.tests_.push_back(std::move(test));
        }
    }
    return condition;
}

bool PolicyCondition::holds(const RequestContext& context) const {
    return std::all_of(tests_.begin(), tests_.end(), [&](const Test& test) { return test_holds(test, context); });
}

} // namespace shmq::sqs
