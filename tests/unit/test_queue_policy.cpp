// Goal: a queue's Policy is read and evaluated as IAM evaluates a resource policy: an explicit
// Deny beats any Allow, Allow needs principal, action, resource and every condition to match,
// anything else is an implicit deny; condition operators treat absent keys as IAM's docs say;
// malformed or oversized policies are refused at CreateQueue / SetQueueAttributes with SQS's
// error. Method: sqs::AccessPolicy on request contexts built by hand (the clock is a fixed
// value), and Client calls for the refusal at the attribute's door.
#include <catch2/catch.hpp>
#include <string>

#include "shmq/limits.h"
#include "sqs/access_policy.h"
#include "sqs/wildcard_match.h"
#include "support/test_namespace.h"

using namespace shmq;
using sqs::AccessDecision;
using sqs::AccessPolicy;
using sqs::RequestContext;

namespace {

constexpr std::string_view queue_arn = "arn:aws:sqs:us-east-1:000000000000:orders";
constexpr std::string_view partner = "111122223333";
// 2026-12-07T06:00:00Z.
constexpr std::int64_t fixed_now_ns = 1'796'623'200LL * 1'000'000'000;

RequestContext request(std::string_view action, std::string_view account = partner,
                       std::string_view source_ip = "192.0.2.10") {
    return RequestContext{action, queue_arn, account, source_ip, false, fixed_now_ns};
}

AccessPolicy parsed(const std::string& text) {
    auto policy = AccessPolicy::parse(text);
    INFO(text);
    REQUIRE(policy);
    return std::move(policy.value());
}

// A policy of one statement.
std::string statement_policy(std::string_view effect, std::string_view principal, std::string_view action,
                             std::string_view extra = {}) {
    return R"({"Version":"2012-10-17","Statement":{"Effect":")" + std::string(effect) + R"(","Principal":)" +
           std::string(principal) + R"(,"Action":)" + std::string(action) + R"(,"Resource":")" +
           std::string(queue_arn) + "\"" + std::string(extra) + "}}";
}

// Allow sqs:SendMessage to everyone under one condition.
AccessDecision with_condition(std::string_view condition, const RequestContext& context) {
    const std::string text =
        statement_policy("Allow", R"("*")", R"("sqs:SendMessage")", R"(,"Condition":)" + std::string(condition));
    return parsed(text).evaluate(context);
}

bool holds(std::string_view condition, const RequestContext& context = request("SendMessage")) {
    return with_condition(condition, context) == AccessDecision::allowed;
}

} // namespace

TEST_CASE("wildcards: * spans any run, ? one character, no recursion on hostile patterns", "[unit]") {
    CHECK(sqs::wildcard_match("sqs:Send*", "sqs:SendMessage"));
    CHECK(sqs::wildcard_match("*", ""));
    CHECK(sqs::wildcard_match("a?c", "abc"));
    CHECK_FALSE(sqs::wildcard_match("a?c", "ac"));
    CHECK(sqs::wildcard_match("*Message*", "sqs:ReceiveMessage"));
    CHECK_FALSE(sqs::wildcard_match("sqs:send*", "sqs:SendMessage"));
    CHECK(sqs::wildcard_match("sqs:send*", "sqs:SendMessage", sqs::LetterCase::ignored));
    CHECK_FALSE(sqs::wildcard_match(std::string(200, '*') + "b", std::string(5000, 'a')));
}

TEST_CASE("an explicit Deny beats any Allow, nothing matching is an implicit deny", "[unit]") {
    const AccessPolicy policy = parsed(R"({"Version":"2012-10-17","Statement":[
        {"Sid":"all","Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"},
        {"Sid":"no-purge","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sqs:PurgeQueue","Resource":"*"}]})");
    CHECK(policy.evaluate(request("SendMessage")) == AccessDecision::allowed);
    CHECK(policy.evaluate(request("PurgeQueue")) == AccessDecision::explicitly_denied);
    CHECK(policy.evaluate(request("PurgeQueue", "000000000000")) == AccessDecision::explicitly_denied);
    const AccessPolicy send_only = parsed(statement_policy("Allow", R"("*")", R"("sqs:SendMessage")"));
    CHECK(send_only.evaluate(request("ReceiveMessage")) == AccessDecision::implicitly_denied);
}

TEST_CASE("actions: lists, wildcards and NotAction, case-insensitive", "[unit]") {
    const AccessPolicy sends = parsed(statement_policy("Allow", R"("*")", R"(["SQS:send*","sqs:Get?ueueUrl"])"));
    CHECK(sends.evaluate(request("SendMessage")) == AccessDecision::allowed);
    CHECK(sends.evaluate(request("GetQueueUrl")) == AccessDecision::allowed);
    CHECK(sends.evaluate(request("ReceiveMessage")) == AccessDecision::implicitly_denied);
    CHECK(parsed(statement_policy("Allow", R"("*")", R"("*")")).evaluate(request("DeleteMessage")) ==
          AccessDecision::allowed);
    CHECK(parsed(statement_policy("Allow", R"("*")", R"("sqs:*")")).evaluate(request("DeleteMessage")) ==
          AccessDecision::allowed);
    const std::string not_action = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
        "NotAction":"sqs:Delete*","Resource":"*"}})";
    CHECK(parsed(not_action).evaluate(request("SendMessage")) == AccessDecision::allowed);
    CHECK(parsed(not_action).evaluate(request("DeleteMessage")) == AccessDecision::implicitly_denied);
}

TEST_CASE("principals: *, account ids, account root ARNs, user ARNs, services, NotPrincipal", "[unit]") {
    const auto decision = [](std::string_view principal, std::string_view account) {
        return parsed(statement_policy("Allow", principal, R"("sqs:SendMessage")"))
            .evaluate(request("SendMessage", account));
    };
    CHECK(decision(R"("*")", partner) == AccessDecision::allowed);
    CHECK(decision(R"({"AWS":"*"})", partner) == AccessDecision::allowed);
    CHECK(decision(R"({"AWS":"111122223333"})", partner) == AccessDecision::allowed);
    CHECK(decision(R"({"AWS":"111122223333"})", "444455556666") == AccessDecision::implicitly_denied);
    CHECK(decision(R"({"AWS":["444455556666","arn:aws:iam::111122223333:root"]})", partner) == AccessDecision::allowed);
    // A user or role of the account is one principal, not the account (shmqd's callers are accounts).
    CHECK(decision(R"({"AWS":"arn:aws:iam::111122223333:user/alice"})", partner) == AccessDecision::implicitly_denied);
    CHECK(decision(R"({"Service":"sns.amazonaws.com"})", partner) == AccessDecision::implicitly_denied);
    const std::string everyone_but_partner = R"({"Version":"2012-10-17","Statement":{"Effect":"Deny",
        "NotPrincipal":{"AWS":"111122223333"},"Action":"sqs:*","Resource":"*"}})";
    CHECK(parsed(everyone_but_partner).evaluate(request("SendMessage")) == AccessDecision::implicitly_denied);
    CHECK(parsed(everyone_but_partner).evaluate(request("SendMessage", "444455556666")) ==
          AccessDecision::explicitly_denied);
}

TEST_CASE("entries that could never match are refused with the reason: unknown actions, batch names, a Deny of a user",
          "[unit]") {
    const auto refusal = [](std::string_view effect, std::string_view principal, std::string_view action) {
        auto policy = AccessPolicy::parse(statement_policy(effect, principal, action));
        REQUIRE_FALSE(policy);
        CHECK(policy.error().code == Errc::invalid_attribute_value);
        return policy.error().message;
    };
    CHECK(refusal("Deny", R"("*")", R"("SendMessage")").find("is not an SQS action") != std::string::npos);
    CHECK(refusal("Deny", R"("*")", R"("sqs:SendMesage")").find("names no SQS action") != std::string::npos);
    CHECK(refusal("Allow", R"("*")", R"(["sqs:ReceiveMessage","s3:GetObject"])").find("s3:GetObject") !=
          std::string::npos);
    CHECK(refusal("Deny", R"("*")", R"("sqs:DeleteMessageBatch")").find("name sqs:DeleteMessage") != std::string::npos);
    CHECK(refusal("Deny", R"({"AWS":"arn:aws:iam::111122223333:user/alice"})", R"("sqs:*")").find("user or role") !=
          std::string::npos);
    // Patterns that match some action, any letter case, and the account's root ARN are fine.
    for (const std::string_view action : {R"("sqs:send*")", R"("SQS:ReceiveMessage")", R"("sqs:*Message*")", R"("*")"}) {
        CHECK(AccessPolicy::parse(statement_policy("Deny", R"({"AWS":"arn:aws:iam::111122223333:root"})", action)));
    }
}

TEST_CASE("resources: ARN patterns against the queue's ARN, NotResource, none at all", "[unit]") {
    const auto decision = [](std::string_view resource_member) {
        const std::string text =
            R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"sqs:*")" + std::string(resource_member) + "}}";
        return parsed(text).evaluate(request("SendMessage"));
    };
    CHECK(decision(R"(,"Resource":"arn:aws:sqs:*:000000000000:ord*")") == AccessDecision::allowed);
    CHECK(decision(R"(,"Resource":["arn:aws:sqs:us-east-1:000000000000:other"])") == AccessDecision::implicitly_denied);
    CHECK(decision(R"(,"NotResource":"arn:aws:sqs:us-east-1:000000000000:other")") == AccessDecision::allowed);
    CHECK(decision("") == AccessDecision::allowed); // applies to the queue holding it
}

TEST_CASE("string conditions, present and absent keys, IfExists", "[unit]") {
    CHECK(holds(R"({"StringEquals":{"aws:PrincipalAccount":"111122223333"}})"));
    CHECK(holds(R"({"StringEquals":{"AWS:principalaccount":["1","111122223333"]}})")); // key names: any case; OR
    CHECK_FALSE(holds(R"({"StringEquals":{"aws:PrincipalAccount":"444455556666"}})"));
    CHECK(holds(R"({"StringNotEquals":{"aws:PrincipalAccount":["1","2"]}})")); // NOR
    CHECK_FALSE(holds(R"({"StringNotEquals":{"aws:PrincipalAccount":["1","111122223333"]}})"));
    CHECK(holds(R"({"StringEqualsIgnoreCase":{"aws:PrincipalArn":"ARN:AWS:IAM::111122223333:ROOT"}})"));
    CHECK_FALSE(holds(R"({"StringNotEqualsIgnoreCase":{"aws:PrincipalArn":"ARN:AWS:IAM::111122223333:ROOT"}})"));
    CHECK(holds(R"({"StringLike":{"aws:PrincipalArn":"arn:aws:iam::1111*:root"}})"));
    CHECK_FALSE(holds(R"({"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::1111*"}})"));
    // An absent key (shmqd never knows aws:SourceAccount): false for a positive operator, true
    // for a negated one, true with IfExists.
    CHECK_FALSE(holds(R"({"StringEquals":{"aws:SourceAccount":"111122223333"}})"));
    CHECK(holds(R"({"StringNotEquals":{"aws:SourceAccount":"111122223333"}})"));
    CHECK(holds(R"({"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}})"));
    CHECK(holds(R"({"StringLikeIfExists":{"aws:SourceAccount":"9*"}})"));
    CHECK_FALSE(holds(R"({"StringLikeIfExists":{"aws:PrincipalAccount":"9*"}})")); // present: tested
    CHECK_FALSE(holds(R"({"StringLike":{"aws:SourceArn":"*"}})"));
    CHECK(holds(R"({"StringNotLike":{"aws:SourceArn":"*"}})"));
}

TEST_CASE("conditions: AND across operators and keys", "[unit]") {
    CHECK(holds(R"({"StringEquals":{"aws:PrincipalAccount":"111122223333"},"Bool":{"aws:SecureTransport":"false"}})"));
    CHECK_FALSE(
        holds(R"({"StringEquals":{"aws:PrincipalAccount":"111122223333"},"Bool":{"aws:SecureTransport":true}})"));
    CHECK_FALSE(
        holds(R"({"StringEquals":{"aws:PrincipalAccount":"111122223333","aws:SourceAccount":"111122223333"}})"));
}

TEST_CASE("ARN conditions match each of the six parts on its own", "[unit]") {
    CHECK(holds(R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}})"));
    CHECK(holds(R"({"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:root"}})"));
    CHECK_FALSE(holds(R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:sts::*:*"}})"));     // the service part differs
    CHECK_FALSE(holds(R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:iam:*:root:*"}})")); // `*` stays inside its part
    CHECK_FALSE(holds(R"({"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}})"));
    CHECK(holds(R"({"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:root"}})"));
    CHECK_FALSE(holds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}})"));
    CHECK(holds(R"({"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}})"));
    CHECK(holds(R"({"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}})"));
}

TEST_CASE("numeric and date conditions through the fixed clock", "[unit]") {
    CHECK(holds(R"({"NumericGreaterThan":{"aws:EpochTime":1796623199}})"));
    CHECK_FALSE(holds(R"({"NumericGreaterThan":{"aws:EpochTime":"1796623200"}})"));
    CHECK(holds(R"({"NumericGreaterThanEquals":{"aws:EpochTime":"1796623200"}})"));
    CHECK(holds(R"({"NumericEquals":{"aws:EpochTime":"1796623200"}})"));
    CHECK(holds(R"({"NumericNotEquals":{"aws:EpochTime":"1"}})"));
    CHECK(holds(R"({"NumericLessThan":{"aws:EpochTime":"1796623200.5"}})"));
    CHECK(holds(R"({"NumericLessThanEquals":{"aws:EpochTime":"1796623200"}})"));
    CHECK_FALSE(holds(R"({"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}})")); // absent
    CHECK(holds(R"({"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}})"));
    CHECK(holds(R"({"DateEquals":{"aws:CurrentTime":"2026-12-07T06:00:00Z"}})"));
    CHECK(holds(R"({"DateEquals":{"aws:CurrentTime":"2026-12-07T07:00:00+01:00"}})"));
    CHECK(holds(R"({"DateEquals":{"aws:CurrentTime":"1796623200"}})")); // epoch seconds
    CHECK(holds(R"({"DateLessThan":{"aws:CurrentTime":"2027-01-01"}})"));
    CHECK_FALSE(holds(R"({"DateLessThan":{"aws:CurrentTime":"2026-12-07T06:00:00Z"}})"));
    CHECK(holds(R"({"DateLessThanEquals":{"aws:CurrentTime":"2026-12-07T06:00:00.000Z"}})"));
    CHECK(holds(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-12-07T05:59:59Z"}})"));
    CHECK(holds(R"({"DateGreaterThanEquals":{"aws:EpochTime":"2026-12-07T06:00:00Z"}})"));
    CHECK(holds(R"({"DateNotEquals":{"aws:CurrentTime":"2026-12-08"}})"));
    CHECK_FALSE(holds(R"({"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01"}})")); // absent
    CHECK(holds(R"({"DateNotEquals":{"aws:TokenIssueTime":"2020-01-01"}})"));
    CHECK(holds(R"({"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2030-01-01"}})"));
}

TEST_CASE("IpAddress and NotIpAddress on aws:SourceIp, IPv4 and IPv6 CIDRs", "[unit]") {
    CHECK(holds(R"({"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}})"));
    CHECK(holds(R"({"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.10"]}})"));
    CHECK_FALSE(holds(R"({"IpAddress":{"aws:SourceIp":"192.0.3.0/24"}})"));
    CHECK(holds(R"({"IpAddress":{"aws:SourceIp":"192.0.2.8/29"}})"));
    CHECK_FALSE(holds(R"({"IpAddress":{"aws:SourceIp":"192.0.2.0/29"}})"));
    CHECK(holds(R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})"));
    CHECK(holds(R"({"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}})"));
    CHECK_FALSE(holds(R"({"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}})"));
    CHECK_FALSE(holds(R"({"IpAddress":{"aws:SourceIp":"::/0"}})")); // a v4 client is in no v6 block
    const RequestContext v6 = request("SendMessage", partner, "2001:db8:1::7");
    CHECK(holds(R"({"IpAddress":{"aws:SourceIp":"2001:db8::/32"}})", v6));
    CHECK_FALSE(holds(R"({"IpAddress":{"aws:SourceIp":"2001:db8:2::/48"}})", v6));
    CHECK(holds(R"({"NotIpAddress":{"aws:SourceIp":"2001:db8:2::/48"}})", v6));
    // A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d.
    CHECK(
        holds(R"({"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}})", request("SendMessage", partner, "::ffff:127.0.0.1")));
    // Unknown source address: absent.
    const RequestContext unknown = request("SendMessage", partner, "");
    CHECK_FALSE(holds(R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})", unknown));
    CHECK(holds(R"({"NotIpAddress":{"aws:SourceIp":"0.0.0.0/0"}})", unknown));
    CHECK(holds(R"({"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}})", unknown));
}

TEST_CASE("Bool and Null conditions", "[unit]") {
    CHECK(holds(R"({"Bool":{"aws:SecureTransport":"false"}})"));
    CHECK_FALSE(holds(R"({"Bool":{"aws:SecureTransport":"true"}})"));
    CHECK_FALSE(holds(R"({"Bool":{"aws:ViaAWSService":"false"}})")); // absent
    CHECK(holds(R"({"BoolIfExists":{"aws:ViaAWSService":"true"}})"));
    CHECK(holds(R"({"Null":{"aws:SourceArn":"true"}})"));
    CHECK_FALSE(holds(R"({"Null":{"aws:SourceArn":"false"}})"));
    CHECK(holds(R"({"Null":{"aws:SourceIp":false}})"));
    CHECK_FALSE(holds(R"({"Null":{"aws:SourceIp":"true"}})"));
}

TEST_CASE("a Deny conditioned on the source address refuses only from outside it", "[unit]") {
    const AccessPolicy policy = parsed(R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["sqs:SendMessage","sqs:ReceiveMessage"],
         "Resource":"*"},
        {"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*",
         "Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]})");
    CHECK(policy.evaluate(request("SendMessage")) == AccessDecision::allowed);
    CHECK(policy.evaluate(request("SendMessage", partner, "198.51.100.1")) == AccessDecision::explicitly_denied);
    CHECK(policy.evaluate(request("SendMessage", "000000000000", "198.51.100.1")) == AccessDecision::explicitly_denied);
    CHECK(policy.evaluate(request("DeleteMessage")) == AccessDecision::implicitly_denied);
}

TEST_CASE("malformed and oversized policies are refused", "[unit]") {
    const std::string valid = statement_policy("Allow", R"("*")", R"("sqs:SendMessage")");
    const std::string refused[] = {
        "",
        "not json",
        "[]",
        R"({"Version":"2012-10-17"})",                                      // no Statement
        R"({"Version":"2013-01-01","Statement":[]})",                       // unknown version
        R"({"Statement":[],"Extra":1})",                                    // unknown member
        R"({"Statement":[1]})",                                             // statement not an object
        R"({"Statement":{"Effect":"Maybe","Principal":"*","Action":"*"}})", // effect
        R"({"Statement":{"Principal":"*","Action":"*"}})",                  // no effect
        R"({"Statement":{"Effect":"Allow","Action":"*"}})",                 // no principal
        R"({"Statement":{"Effect":"Allow","Principal":"*"}})",              // no action
        R"({"Statement":{"Effect":"Allow","Principal":"someone","Action":"*"}})",
        R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*"}})",
        R"({"Statement":{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"*"}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[]}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"*"}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringSoundsLike":{"k":"v"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAnyValue:StringEquals":{"k":"v"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NullIfExists":{"k":"true"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"k":[]}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"k":{"x":1}}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-02-30"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericEquals":{"k":"ten"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws"}}}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":"none"}})",
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"k":[[[[["deep"]]]]]}}}})",
    };
    for (const std::string& text : refused) {
        INFO(text);
        auto policy = AccessPolicy::parse(text);
        REQUIRE_FALSE(policy);
        CHECK(policy.code() == Errc::invalid_attribute_value);
        CHECK(policy.error().message == "Invalid value for the parameter Policy.");
    }
    CHECK(AccessPolicy::parse(valid));

    // SQS's quotas: 20 statements, 7 actions a statement, 10 conditions, 50 principals, 8,192 bytes.
    const auto statements = [](std::size_t count, std::string_view statement) {
        std::string text = R"({"Version":"2012-10-17","Statement":[)";
        for (std::size_t i = 0; i < count; ++i) {
            text += (i == 0 ? "" : ",") + std::string(statement);
        }
        return text + "]}";
    };
    const std::string small = R"({"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"})";
    CHECK(AccessPolicy::parse(statements(limits::policy_statements_max, small)));
    CHECK_FALSE(AccessPolicy::parse(statements(limits::policy_statements_max + 1, small)));
    CHECK_FALSE(AccessPolicy::parse(
        statement_policy("Allow", R"("*")", R"(["sqs:A","sqs:B","sqs:C","sqs:D","sqs:E","sqs:F","sqs:G","sqs:H"])")));
    std::string conditions = R"({"StringEquals":{)";
    for (std::size_t i = 0; i <= limits::policy_conditions_max; ++i) {
        conditions += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + R"(":"v")";
    }
    conditions += "}}";
    CHECK_FALSE(AccessPolicy::parse(statement_policy("Allow", R"("*")", R"("*")", R"(,"Condition":)" + conditions)));
    std::string principals = R"({"AWS":[)";
    for (std::size_t i = 0; i <= limits::policy_principals_max; ++i) {
        principals += (i == 0 ? "\"" : ",\"") + std::to_string(100'000'000'000 + i) + "\"";
    }
    principals += "]}";
    CHECK_FALSE(AccessPolicy::parse(statement_policy("Allow", principals, R"("*")")));
    const std::string padded = statement_policy("Allow", R"("*")", R"("*")",
                                                R"(,"Sid":")" + std::string(limits::policy_length_max, 's') + "\"");
    CHECK_FALSE(AccessPolicy::parse(padded));
}

TEST_CASE("CreateQueue and SetQueueAttributes refuse a policy that cannot be evaluated", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    const std::string deny_everything =
        R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"sqs:*"}})";
    auto bad = client.create_queue("guarded", {{"Policy", R"({"Statement":{"Effect":"Deny"}})"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.code() == Errc::invalid_attribute_value);
    CHECK(bad.error().message == "Invalid value for the parameter Policy.");
    REQUIRE(client.create_queue("guarded", {{"Policy", deny_everything}}));
    const Status refused = client.set_queue_attributes(
        "guarded", {{"Policy", R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*",
                      "Condition":{"IpAddress":{"aws:SourceIp":"300.0.0.1"}}}})"}});
    CHECK(refused.code() == Errc::invalid_attribute_value);
    CHECK(client.get_queue_attributes("guarded", {"Policy"}).value().at("Policy") == deny_everything);
    CHECK(client.set_queue_attributes("guarded", {{"Policy", ""}})); // removing it
}
