// The Condition block of an access-policy statement: {"Operator": {"key": value or [values]}}.
// Operators are IAM's String*, Arn*, Numeric*, Date*, Bool, IpAddress, NotIpAddress and Null,
// each but Null also with the ...IfExists suffix; the set qualifiers ForAnyValue: / ForAllValues:
// are refused (no key shmqd knows holds several values). A block holds when every operator's
// every key holds (AND); a key holds when one of its values matches (OR), or for a negated
// operator (StringNotEquals, NotIpAddress, ...) when none does (NOR). Values are checked when
// the policy is parsed: a condition that could never be read (a date that is not one, a CIDR
// that is not one) makes the policy invalid, as IAM refuses it.
#pragma once

#include <array>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "shmq/error.h"
#include "sqs/request_context.h"

namespace shmq::sqs {

class PolicyCondition {
  public:
    // The block (a JSON object); an Error (the policy is invalid) when it is malformed.
    [[nodiscard]] static Result<PolicyCondition> parse(const boost::json::value& block);
    // Whether every test of the block holds in context (an empty block always holds).
    [[nodiscard]] bool holds(const RequestContext& context) const;
    // Operator/key pairs (what SQS's quota of conditions counts).
    [[nodiscard]] std::size_t size() const noexcept { return tests_.size(); }

    enum class Family { string, string_ignore_case, string_like, arn, numeric, date, boolean, ip, null };
    enum class Comparison { equals, less, less_equal, greater, greater_equal };
    // An address block: IPv4 (bytes 0..3 used) or IPv6, with a prefix length.
    struct IpNetwork {
        bool v6 = false;
        std::array<std::uint8_t, 16> bytes{};
        unsigned prefix_bits = 0;
    };
    // One value of a test, read as the operator's family needs it.
    struct Value {
        std::string text;
        double number = 0;        // numeric
        std::int64_t time_ms = 0; // date: ms since the epoch
        bool flag = false;        // boolean; null: true means "the key is absent"
        IpNetwork network{};      // ip
    };
    struct Test {
        Family family = Family::string;
        Comparison comparison = Comparison::equals;
        bool negated = false;
        bool if_exists = false;
        std::string key;
        std::vector<Value> values;
    };

  private:
    std::vector<Test> tests_;
};

// The time an IAM date value names: ISO 8601 (2026-12-07, 2026-12-07T06:30:00Z, with fractions
// of a second or a +hh:mm offset) or seconds since the epoch; ms since the epoch.
[[nodiscard]] std::optional<std::int64_t> parse_policy_time_ms(std::string_view text);
// An address ("10.0.0.1", "2001:db8::1"; IPv4-mapped IPv6 read as IPv4) or a CIDR block.
[[nodiscard]] std::optional<PolicyCondition::IpNetwork> parse_ip_network(std::string_view text);

} // namespace shmq::sqs
