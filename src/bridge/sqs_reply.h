// What one request to a remote SQS endpoint came back with, and what the bridge should do about
// it: use it, retry it later (throttling, a 5xx, no answer at all, as the AWS SDKs' "standard"
// retry mode does), or not retry it before something changes (any other 4xx: bad credentials, a
// missing queue, a wrong region, a malformed request).
//
// Errors of SQS's JSON protocol: a body {"__type": "com.amazonaws.sqs#QueueDoesNotExist",
// "message": "..."} and, for clients of the older Query codes, a header
// `x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender`. code is the Query code
// when the header came, else the part of __type after '#'.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace shmq::bridge {

enum class ReplyKind {
    ok,           // HTTP 200 with a JSON object
    throttled,    // a throttling error code (any status): retry after a backoff
    server_error, // HTTP 5xx, or a 200 whose body is not a JSON object: retry after a backoff
    no_response,  // connect or read failure, timeout, reset: retry after a backoff
    client_error, // any other 4xx, or a request the transport refuses to send (a certificate that
                  // does not verify; http_status 0): retrying the same request cannot help
};

struct SqsReply {
    ReplyKind kind = ReplyKind::no_response;
    long http_status = 0;      // 0 without a response
    boost::json::value json;   // the parsed body (the result, or the error), null if none or unreadable
    std::string error_code;    // errors only
    std::string error_message; // errors only; for no_response, what the transport said
    std::chrono::nanoseconds latency{0};

    [[nodiscard]] bool ok() const noexcept { return kind == ReplyKind::ok; }
    [[nodiscard]] bool retryable() const noexcept {
        return kind == ReplyKind::throttled || kind == ReplyKind::server_error || kind == ReplyKind::no_response;
    }
    // "HTTP 400 AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist." and
    // the like, for logs and status.
    [[nodiscard]] std::string describe() const;
};

// The throttling codes the AWS SDKs retry (JSON and Query spellings, and KMS's through SQS), and
// the answers of an endpoint that holds all it can (OverLimit, ServiceUnavailable): each says
// "later", whatever its SenderFault says.
[[nodiscard]] bool is_throttling_code(std::string_view code) noexcept;

// A reply from an HTTP status, the body's bytes and the x-amzn-query-error header ("" if none).
[[nodiscard]] SqsReply read_sqs_reply(long http_status, std::string_view body, std::string_view query_error_header);

} // namespace shmq::bridge
