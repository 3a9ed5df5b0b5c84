// The request context an access policy is evaluated against, as IAM defines it: the action, the
// resource and what is known about the request, each fact readable as a global condition key
// (aws:SourceIp, aws:PrincipalAccount, ...). A key shmqd cannot know (aws:SourceArn and
// aws:SourceAccount, which AWS sets only for requests a service makes on a principal's behalf,
// aws:SourceVpc, tags, ...) is absent, as IAM treats a key missing from its request context.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shmq::sqs {

struct RequestContext {
    std::string_view action;            // the SQS action as authorised ("SendMessage"; no "sqs:" prefix)
    std::string_view resource_arn;      // the queue's ARN
    std::string_view principal_account; // the account whose key signed the request
    std::string_view source_ip;         // the client's address (the socket peer); empty: unknown
    bool secure_transport = false;      // the request came over TLS
    std::int64_t now_ns = 0;            // the service's clock
};

// The value of condition key (case-insensitive, as IAM reads key names) in context; nullopt when
// the key is absent from it.
[[nodiscard]] std::optional<std::string> condition_key_value(const RequestContext& context, std::string_view key);

// The IAM principal ARN shmqd gives a request signed with a key of account (keys belong to
// accounts, not to users or roles).
[[nodiscard]] std::string account_principal_arn(std::string_view account);

} // namespace shmq::sqs
