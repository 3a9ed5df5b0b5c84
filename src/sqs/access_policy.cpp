// Access policies: parsing and evaluation (see access_policy.h). The evaluation order is IAM's:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// ("An explicit deny overrides an explicit allow"; without an applicable Allow, an implicit deny).
#include "sqs/access_policy.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "shmq/limits.h"
#include "sqs/wildcard_match.h"

namespace shmq::sqs {
namespace {

namespace json = boost::json;

// Bounds beyond SQS's quotas (limits.h): entries of one Principal, Action or Resource list.
constexpr std::size_t policy_list_entries_max = limits::policy_principals_max;
// Policy > Statement array > statement > Condition > operator > key > value list: 7 levels.
constexpr std::size_t policy_json_depth_max = 8;
constexpr std::string_view policy_versions[] = {"2012-10-17", "2008-10-17"};

Error invalid_policy(std::string_view reason = {}) {
    return {Errc::invalid_attribute_value,
            "Invalid value for the parameter Policy." + (reason.empty() ? std::string() : " Reason: " + std::string(reason))};
}

// The actions a queue policy may name (the SQS API's operations that act on a queue or list
// them). Batch actions are authorised as their single forms, so their own names would never
// match: they are refused too, with the name to use instead.
constexpr std::string_view sqs_actions[] = {
    "AddPermission", "CancelMessageMoveTask", "ChangeMessageVisibility", "CreateQueue", "DeleteMessage",
    "DeleteQueue", "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "ListMessageMoveTasks",
    "ListQueueTags", "ListQueues", "PurgeQueue", "ReceiveMessage", "RemovePermission", "SendMessage",
    "SetQueueAttributes", "StartMessageMoveTask", "TagQueue", "UntagQueue"};

// Why an Action entry can never match, or empty when it can: "*", or "sqs:" and a pattern
// matching at least one SQS action.
std::string unmatchable_action(std::string_view entry) {
    if (entry == "*") {
        return {};
    }
    constexpr std::string_view prefix = "sqs:";
    if (entry.size() < prefix.size() || !wildcard_match(prefix, entry.substr(0, prefix.size()), LetterCase::ignored)) {
        return "the action " + std::string(entry) + " is not an SQS action (sqs:ACTION).";
    }
    const std::string_view name = entry.substr(prefix.size());
    if (wildcard_match("*batch", name, LetterCase::ignored)) {
        return "the action " + std::string(entry) + " is authorised as its single form: name " +
               std::string(entry.substr(0, entry.size() - 5)) + ".";
    }
    for (const std::string_view action : sqs_actions) {
        if (wildcard_match(name, action, LetterCase::ignored)) {
            return {};
        }
    }
    return "the action " + std::string(entry) + " names no SQS action.";
}

// A user or role ARN names one IAM principal; shmqd's callers are accounts, so it never matches.
bool names_user_or_role(std::string_view entry) {
    return entry.starts_with("arn:aws:iam::") && !entry.ends_with(":root");
}

bool is_account_id(std::string_view text) {
    return text.size() == 12 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A string, or a non-empty list of strings (bounded); false if the value is neither.
bool read_strings(const json::value& value, std::vector<std::string>& out) {
    if (value.is_string()) {
        out.emplace_back(value.get_string());
        return !out.back().empty();
    }
    if (!value.is_array() || value.get_array().empty() || value.get_array().size() > policy_list_entries_max) {
        return false;
    }
    for (const json::value& item : value.get_array()) {
        if (!item.is_string() || item.get_string().empty()) {
            return false;
        }
        out.emplace_back(item.get_string());
    }
    return true;
}

// Principal / NotPrincipal: "*", or {"AWS": ..., "Service": ...}. Service principals are kept
// as entries that match no shmqd caller.
bool read_principals(const json::value& value, std::vector<std::string>& out) {
    if (value.is_string()) {
        out.emplace_back(value.get_string());
        return out.back() == "*";
    }
    if (!value.is_object() || value.get_object().empty()) {
        return false;
    }
    for (const auto& [kind, entries] : value.get_object()) {
        std::vector<std::string> named;
        if (!read_strings(entries, named)) {
            return false;
        }
        for (std::string& entry : named) {
            if (kind == "AWS") {
                const bool iam_arn = entry.starts_with("arn:aws:iam::") && entry.size() > 26 &&
                                     is_account_id(std::string_view(entry).substr(13, 12)) && entry[25] == ':';
                if (entry != "*" && !is_account_id(entry) && !iam_arn) {
                    return false;
                }
                out.push_back(std::move(entry));
            } else if (kind == "Service") {
                out.push_back("service:" + entry); // never equal to "*", an account or an ARN
            } else {
                return false;
            }
        }
    }
    return true;
}

bool principal_matches(const std::string& entry, const RequestContext& context) {
    if (entry == "*" || entry == context.principal_account) {
        return true;
    }
    // arn:aws:iam::ACCOUNT:root names the account: every principal of it (IAM's "AWS account
    // principals"); a user or role ARN names that one principal, and shmqd's callers are accounts.
    return entry == account_principal_arn(context.principal_account);
}

} // namespace

Result<AccessPolicy> AccessPolicy::parse(std::string_view text) {
    if (text.size() > limits::policy_length_max) {
        return invalid_policy();
    }
    json::parse_options options;
    options.max_depth = policy_json_depth_max;
    json::error_code error;
    const json::value parsed = json::parse(text, error, {}, options);
    if (error || !parsed.is_object()) {
        return invalid_policy();
    }
    const json::value* statements = nullptr;
    for (const auto& [name, value] : parsed.get_object()) {
        if (name == "Version") {
            if (!value.is_string() || std::find(std::begin(policy_versions), std::end(policy_versions),
                                                value.get_string()) == std::end(policy_versions)) {
                return invalid_policy();
            }
        } else if (name == "Id") {
            if (!value.is_string()) {
                return invalid_policy();
            }
        } else if (name == "Statement") {
            statements = &value;
        } else {
            return invalid_policy();
        }
    }
    if (statements == nullptr) {
        return invalid_policy();
    }
    const json::array single{*statements};
    const json::array& listed = statements->is_array() ? statements->get_array() : single;
    if (listed.size() > limits::policy_statements_max) {
        return invalid_policy();
    }
    AccessPolicy policy;
    std::size_t principals = 0;
    std::size_t conditions = 0;
    for (const json::value& item : listed) {
        if (!item.is_object()) {
            return invalid_policy();
        }
        Statement statement;
        bool effect = false;
        bool principal = false;
        bool action = false;
        bool resource = false;
        for (const auto& [name, value] : item.get_object()) {
            bool ok = true;
            if (name == "Sid") {
                ok = value.is_string();
            } else if (name == "Effect") {
                ok = !effect && value.is_string() && (value.get_string() == "Allow" || value.get_string() == "Deny");
                statement.deny = ok && value.get_string() == "Deny";
                effect = true;
            } else if (name == "Principal" || name == "NotPrincipal") {
                ok = !principal && read_principals(value, statement.principals);
                statement.not_principal = name == "NotPrincipal";
                principal = true;
            } else if (name == "Action" || name == "NotAction") {
                ok = !action && read_strings(value, statement.actions);
                statement.not_action = name == "NotAction";
                action = true;
            } else if (name == "Resource" || name == "NotResource") {
                ok = !resource && read_strings(value, statement.resources);
                statement.not_resource = name == "NotResource";
                resource = true;
            } else if (name == "Condition") {
                auto condition = PolicyCondition::parse(value);
                ok = static_cast<bool>(condition);
                if (ok) {
                    statement.condition = std::move(condition.value());
                }
            } else {
                ok = false;
            }
            if (!ok) {
                return invalid_policy();
            }
        }
        // IAM: a resource policy's statement names its Effect, whom (Principal) and what (Action).
        if (!effect || !principal || !action) {
            return invalid_policy();
        }
        // An entry that can never match is a mistake the owner would not see: a Deny that denies
        // nothing, an Allow that grants nothing. Refused with what is wrong.
        for (const std::string& entry : statement.actions) {
            if (const std::string why = unmatchable_action(entry); !why.empty()) {
                return invalid_policy(why);
            }
        }
        if (statement.deny && !statement.not_principal &&
            std::any_of(statement.principals.begin(), statement.principals.end(), names_user_or_role)) {
            return invalid_policy("a Deny names a user or role; shmqd's callers are accounts: name the account "
                                  "(ACCOUNT or arn:aws:iam::ACCOUNT:root).");
        }
        principals += statement.principals.size();
        conditions += statement.condition.size();
        if (statement.actions.size() > limits::policy_statement_actions_max ||
            principals > limits::policy_principals_max || conditions > limits::policy_conditions_max) {
            return invalid_policy();
        }
        policy.statements_.push_back(std::move(statement));
    }
    return policy;
}

bool AccessPolicy::applies(const Statement& statement, const RequestContext& context) {
    const bool principal = std::any_of(statement.principals.begin(), statement.principals.end(),
                                       [&](const std::string& entry) { return principal_matches(entry, context); });
    if (principal == statement.not_principal) {
        return false;
    }
    const std::string action = "sqs:" + std::string(context.action);
    const bool named_action =
        std::any_of(statement.actions.begin(), statement.actions.end(),
                    [&](const std::string& pattern) { return wildcard_match(pattern, action, LetterCase::ignored); });
    if (named_action == statement.not_action) {
        return false;
    }
    if (!statement.resources.empty()) {
        const bool named_resource =
            std::any_of(statement.resources.begin(), statement.resources.end(),
                        [&](const std::string& pattern) { return wildcard_match(pattern, context.resource_arn); });
        if (named_resource == statement.not_resource) {
            return false;
        }
    }
    return statement.condition.holds(context);
}

AccessDecision AccessPolicy::evaluate(const RequestContext& context) const {
    bool allowed = false;
    for (const Statement& statement : statements_) {
        if (applies(statement, context)) {
            if (statement.deny) {
                return AccessDecision::explicitly_denied; // IAM: an explicit deny overrides any allow
            }
            allowed = true;
        }
    }
    return allowed ? AccessDecision::allowed : AccessDecision::implicitly_denied;
}

} // namespace shmq::sqs
