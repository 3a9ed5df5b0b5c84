// The SQS JSON 1.0 protocol (what current AWS SDKs and aws CLI v1/v2 speak): POST /,
// X-Amz-Target: AmazonSQS.<Action>, a JSON body shaped as the action's input; the response a
// JSON body shaped as its output. Errors: {"__type": "com.amazonaws.sqs#<Shape>", "message"}
// with the SQS status and the x-amzn-query-error header (api/sqs_errors.h). Transport-free: the
// HTTP endpoint hands it the target and body and writes back what it returns.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/sqs_service.h"

namespace shmq::daemon {

struct HttpReply {
    unsigned status = 200;
    std::string content_type = "application/x-amz-json-1.0";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// An error the service layer answers before any action runs (unknown operation, unparsable body,
// a refused signature): {"__type": "com.amazon.coral.service#<type>", "message"}, and the
// x-amzn-query-error header when the error has a query code SDKs should report.
[[nodiscard]] HttpReply json_service_error(unsigned status, std::string_view type, std::string_view message,
                                           std::string_view query_code = {});

// content_type: the request's Content-Type (SQS's application/x-amz-json-1.0, or it is refused);
// caller: who sent the request and from where (its account: the owner's when requests are not
// signed). The body is refused (SerializationException) past fixed bounds of nesting and of values.
[[nodiscard]] HttpReply serve_json(api::SqsService& service, std::string_view target, std::string_view content_type,
                                   std::string_view body, const api::Caller& caller);

} // namespace shmq::daemon
