// Queue policies: AddPermission / RemovePermission statements (see queue_policy.h). The error
// texts are SQS's.
#include "api/queue_policy.h"

#include <boost/json.hpp>
#include <cctype>

#include "shmq/limits.h"
#include "sqs/access_policy.h"

namespace shmq::api {
namespace {

namespace json = boost::json;

// The actions AddPermission accepts (SQS refuses account-level ones such as CreateQueue).
constexpr std::string_view grantable[] = {
    "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes",
    "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue", "ListQueueTags"};

Error invalid_label(std::string_view label, std::string_view reason) {
    return {Errc::invalid_parameter_value,
            "Value " + std::string(label) + " for parameter Label is invalid. Reason: " + std::string(reason)};
}

// SQS writes a lone principal or action as a string, several as a list.
json::value one_or_list(json::array items) {
    return items.size() == 1 ? std::move(items[0]) : json::value(std::move(items));
}

Result<json::object> parse_policy(std::string_view policy, std::string_view queue_arn) {
    if (policy.empty()) {
        return json::object{{"Version", "2008-10-17"}, // what SQS writes, as recorded
                            {"Id", std::string(queue_arn) + "/SQSDefaultPolicy"},
                            {"Statement", json::array{}}};
    }
    json::error_code error;
    json::value parsed = json::parse(policy, error);
    if (error || !parsed.is_object()) {
        return Error{Errc::invalid_attribute_value, "Invalid value for the parameter Policy."};
    }
    json::object& object = parsed.get_object();
    if (!object.contains("Statement")) {
        object["Statement"] = json::array{};
    }
    if (object["Statement"].is_object()) {
        object["Statement"] = json::array{object["Statement"]}; // one statement may stand alone
    }
    if (!object["Statement"].is_array()) {
        return Error{Errc::invalid_attribute_value, "Invalid value for the parameter Policy."};
    }
    return std::move(object);
}

} // namespace

Result<std::string> policy_with_permission(std::string_view policy, std::string_view queue_arn,
                                           std::string_view label, const std::vector<std::string>& accounts,
                                           const std::vector<std::string>& actions) {
    if (label.empty() || label.size() > 80 || !std::all_of(label.begin(), label.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
        })) {
        return invalid_label(label, "Label must be 1 to 80 alphanumeric characters, hyphens or underscores.");
    }
    if (accounts.empty()) {
        return Error{Errc::missing_parameter, "The request must contain the parameter AWSAccountIds."};
    }
    if (actions.empty()) {
        return Error{Errc::missing_parameter, "The request must contain the parameter Actions."};
    }
    json::array principals;
    for (const std::string& account : accounts) {
        if (account.size() != 12 || !std::all_of(account.begin(), account.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c)) != 0;
            })) {
            return Error{Errc::invalid_parameter_value,
                         "Value " + account + " for parameter AWSAccountIds is invalid. Reason: An AWS account id "
                                              "has 12 digits."};
        }
        principals.emplace_back("arn:aws:iam::" + account + ":root");
    }
    json::array granted;
    for (const std::string& action : actions) {
        if (std::find(std::begin(grantable), std::end(grantable), action) == std::end(grantable)) {
            return Error{Errc::invalid_parameter_value,
                         "Value SQS:" + action + " for parameter ActionName is invalid. Reason: Only the queue "
                                                 "owner is allowed to invoke this action."};
        }
        granted.emplace_back("SQS:" + action);
    }
    auto parsed = parse_policy(policy, queue_arn);
    if (!parsed) {
        return parsed.error();
    }
    json::array& statements = parsed.value()["Statement"].get_array();
    for (const json::value& statement : statements) {
        if (statement.is_object() && statement.get_object().contains("Sid") &&
            statement.get_object().at("Sid") == json::value(label)) {
            return invalid_label(label, "Already exists.");
        }
    }
    statements.push_back(json::object{{"Sid", label},
                                      {"Effect", "Allow"},
                                      {"Principal", json::object{{"AWS", one_or_list(std::move(principals))}}},
                                      {"Action", one_or_list(std::move(granted))},
                                      {"Resource", queue_arn}});
    std::string text = json::serialize(parsed.value());
    if (!sqs::AccessPolicy::parse(text)) {
        return Error{Errc::over_limit, "The queue's policy would exceed SQS's policy quotas (" +
                                           std::to_string(limits::policy_length_max) + " bytes, " +
                                           std::to_string(limits::policy_statements_max) + " statements, " +
                                           std::to_string(limits::policy_principals_max) + " principals)."};
    }
    return text;
}

Result<std::string> policy_without_permission(std::string_view policy, std::string_view label) {
    auto parsed = parse_policy(policy, "");
    if (!parsed) {
        return parsed.error();
    }
    json::array& statements = parsed.value()["Statement"].get_array();
    const auto found = std::find_if(statements.begin(), statements.end(), [&](const json::value& statement) {
        return statement.is_object() && statement.get_object().contains("Sid") &&
               statement.get_object().at("Sid") == json::value(label);
    });
    if (found == statements.end()) {
        return invalid_label(label, "can't find label.");
    }
    statements.erase(found);
    return statements.empty() ? std::string() : json::serialize(parsed.value());
}

} // namespace shmq::api
