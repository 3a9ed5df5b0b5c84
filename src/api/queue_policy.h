// A queue's access policy (its Policy attribute, IAM policy JSON) as AddPermission and
// RemovePermission edit it. AddPermission adds one statement per label: {"Sid": label, "Effect":
// "Allow", "Principal": {"AWS": "arn:aws:iam::<account>:root" or a list of them}, "Action":
// "SQS:<Action>" or a list, "Resource": <queue ARN>}, in a policy of Version 2008-10-17 and Id
// <queue ARN>/SQSDefaultPolicy, as SQS writes it (recorded responses). Enforcement is sqs::AccessPolicy's
// (src/sqs/access_policy.h), called by SqsService (access_control.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shmq/error.h"

namespace shmq::api {

// The policy with a statement labelled label added (policy may be empty: none yet).
[[nodiscard]] Result<std::string> policy_with_permission(std::string_view policy, std::string_view queue_arn,
                                                         std::string_view label,
                                                         const std::vector<std::string>& accounts,
                                                         const std::vector<std::string>& actions);
// The policy without the statement labelled label.
[[nodiscard]] Result<std::string> policy_without_permission(std::string_view policy, std::string_view label);

} // namespace shmq::api
