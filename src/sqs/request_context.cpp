// Condition keys of a request context (see request_context.h).
#include "sqs/request_context.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace shmq::sqs {
namespace {

bool same_key(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

std::string account_principal_arn(std::string_view account) {
    return "arn:aws:iam::" + std::string(account) + ":root";
}

std::optional<std::string> condition_key_value(const RequestContext& context, std::string_view key) {
    const std::int64_t now_s = context.now_ns / 1'000'000'000;
    if (same_key(key, "aws:CurrentTime")) {
        // ISO 8601 in UTC, as AWS writes it.
        const std::time_t now = now_s;
        std::tm parts{};
        gmtime_r(&now, &parts);
        char text[sizeof "YYYY-MM-DDTHH:MM:SSZ" + 8] = {};
        return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts));
    }
    if (same_key(key, "aws:EpochTime")) {
        return std::to_string(now_s);
    }
    if (same_key(key, "aws:SecureTransport")) {
        return context.secure_transport ? "true" : "false";
    }
    if (same_key(key, "aws:SourceIp")) {
        return context.source_ip.empty() ? std::nullopt : std::optional<std::string>(context.source_ip);
    }
    if (same_key(key, "aws:PrincipalAccount")) {
        return std::string(context.principal_account);
    }
    if (same_key(key, "aws:PrincipalArn")) {
        return account_principal_arn(context.principal_account);
    }
    if (same_key(key, "aws:PrincipalType")) {
        return "Account"; // the account's root: shmqd's keys belong to accounts
    }
    return std::nullopt;
}

} // namespace shmq::sqs
