// QueueName: a text checked once to be an SQS queue name ([A-Za-z0-9_-]{1,80}, a ".fifo" suffix
// allowed and counted), and the two texts that carry one: queue URLs and queue ARNs. Every door
// through which a name enters shmq (CreateQueue, GetQueueUrl, a QueueUrl, an ARN in a
// RedrivePolicy, a RedriveAllowPolicy or a message move task, the CLI, the C API) goes through
// QueueName::parse, queue_name_from_url or parse_queue_arn.
//
// Invariant: a QueueName holds only a valid name, so it is safe as a file name in a namespace
// directory: it never contains '/', NUL, "." or "..", and never starts with a dot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shmq/error.h"

namespace shmq {

// Where this endpoint's queues live, as ARNs and queue URLs name it. ARNs of another region or
// account, and URLs of another account, name queues this endpoint does not hold.
inline constexpr std::string_view queue_region_default = "us-east-1";
inline constexpr std::string_view queue_account_default = "000000000000";
struct QueueScope {
    std::string region{queue_region_default};
    std::string account{queue_account_default};

    // The ARN of the queue `name` in this scope: arn:aws:sqs:<region>:<account>:<name>.
    [[nodiscard]] std::string arn_of(std::string_view name) const {
        return "arn:aws:sqs:" + region + ":" + account + ":" + std::string(name);
    }
};

class QueueName {
  public:
    // The name, or SQS's CreateQueue error for an invalid one (InvalidParameterValue).
    [[nodiscard]] static Result<QueueName> parse(std::string_view text);
    [[nodiscard]] static bool is_valid(std::string_view text) noexcept;

    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    operator std::string_view() const noexcept { return text_; } // NOLINT(google-explicit-constructor)
    friend bool operator==(const QueueName&, const QueueName&) = default;

  private:
    explicit QueueName(std::string_view text) : text_(text) {}
    std::string text_;
};

// The queue a QueueUrl names: its last path segment, which must be a valid name; when the path
// has an account segment before it, that must be scope.account. A bare name (no '/') is
// accepted too (the CLI and libshmq take either). Anything else is QueueDoesNotExist: such a
// queue cannot exist here, and nothing is looked up for it.
[[nodiscard]] Result<QueueName> queue_name_from_url(std::string_view url, const QueueScope& scope = {});

// Why an ARN does not name a queue of this endpoint.
enum class ArnFault : std::uint8_t {
    none,
    malformed,     // not arn:aws:sqs:<region>:<account>:<valid queue name>
    other_region,  // a well-formed queue ARN of another region
    other_account, // a well-formed queue ARN of another account (same region)
};
struct ParsedQueueArn {
    ArnFault fault = ArnFault::malformed;
    std::optional<QueueName> name; // set exactly when fault is none
};
// arn:aws:sqs:<region>:<account>:<name>, checked against scope. Each caller turns a fault into
// the error SQS gives for its parameter.
[[nodiscard]] ParsedQueueArn parse_queue_arn(std::string_view arn, const QueueScope& scope = {});
// The name of a well-formed queue ARN of any region or account (for ARNs stored in a queue's
// configuration, checked against the endpoint's scope when they were set).
[[nodiscard]] std::optional<QueueName> queue_name_of_any_arn(std::string_view arn);

} // namespace shmq
