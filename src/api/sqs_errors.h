// How an SQS error is named on the wire. The Query protocol names it by its "query error code"
// (shmq::sqs_error_code: "AWS.SimpleQueueService.NonExistentQueue"); the JSON protocol by the
// model's error shape ("QueueDoesNotExist", sent as __type "com.amazonaws.sqs#QueueDoesNotExist")
// and repeats the query code in the x-amzn-query-error header ("<code>;Sender"), which SDKs use
// to report the same code under both protocols. The pairs are the ones AWS answered with
// (../shared/reference/aws-recorded).
#pragma once

#include <string>
#include <string_view>

#include "shmq/error.h"

namespace shmq::api {

// The JSON protocol's error type (model shape name) for an Errc.
[[nodiscard]] std::string_view json_error_type(Errc code) noexcept;
// "AWS.SimpleQueueService.NonExistentQueue;Sender", the x-amzn-query-error header value.
[[nodiscard]] std::string query_error_header(Errc code);

} // namespace shmq::api
