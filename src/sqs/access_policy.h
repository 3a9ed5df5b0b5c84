// A queue's access policy (its Policy attribute): an IAM resource policy, parsed once and then
// evaluated for each request as IAM evaluates one. Parsing checks the document as SQS does
// (size, Version, Effect, principals, actions, resources, conditions; bounded statement count
// and JSON nesting) and refuses what it cannot read with InvalidAttributeValue "Invalid value for
// the parameter Policy.". Evaluation: a Deny statement that matches the request (principal,
// action, resource and condition) decides it, whatever Allows say; otherwise a matching Allow
// allows; otherwise the request is implicitly denied.
//
// Statement elements understood: Sid, Effect (Allow | Deny), Principal / NotPrincipal ("*",
// {"AWS": "*" | account id | "arn:aws:iam::ACCOUNT:root" | a user or role ARN, or a list of
// them}; {"Service": ...} names AWS services, never a shmqd caller), Action / NotAction
// ("sqs:SendMessage", "sqs:Send*", "sqs:*", "*": case-insensitive, `*` and `?` wildcards),
// Resource / NotResource (ARN patterns matched against the queue's ARN; a statement with
// neither applies to the queue that holds the policy), Condition (policy_condition.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shmq/error.h"
#include "sqs/policy_condition.h"
#include "sqs/request_context.h"

namespace shmq::sqs {

enum class AccessDecision {
    allowed,           // a matching Allow, no matching Deny
    explicitly_denied, // a matching Deny
    implicitly_denied, // nothing matches
};

class AccessPolicy {
  public:
    // text: the Policy attribute (not empty). Errors: invalid_attribute_value.
    [[nodiscard]] static Result<AccessPolicy> parse(std::string_view text);
    [[nodiscard]] AccessDecision evaluate(const RequestContext& context) const;

  private:
    struct Statement {
        bool deny = false;
        bool not_principal = false;
        std::vector<std::string> principals; // "*", a 12-digit account, or an IAM ARN
        bool not_action = false;
        std::vector<std::string> actions; // patterns
        bool not_resource = false;
        std::vector<std::string> resources; // patterns; none (and not not_resource): the queue itself
        PolicyCondition condition;
    };
    [[nodiscard]] static bool applies(const Statement& statement, const RequestContext& context);

    std::vector<Statement> statements_;
};

} // namespace shmq::sqs
