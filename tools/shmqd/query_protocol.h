// The SQS Query protocol (what older SDKs, Debian's awscli 2.9 and python3-boto3 1.26 speak):
// form-encoded parameters (Action=SendMessage&Version=2012-11-05&QueueUrl=...), lists and maps
// flattened with 1-based indexes (AttributeName.1, Attribute.1.Name / Attribute.1.Value,
// SendMessageBatchRequestEntry.2.MessageBody, MessageAttribute.1.Value.StringValue), responses
// in XML (namespace http://queue.amazonaws.com/doc/2012-11-05/). Requests are translated into the
// model-shaped request api::SqsService takes, and its model-shaped response into XML; a queue
// action posted to a queue's URL path takes its QueueUrl from the path. Transport-free.
#pragma once

#include <string_view>

#include "api/sqs_service.h"
#include "json_protocol.h"

namespace shmq::daemon {

// An XML ErrorResponse (text escaped): type Sender or Receiver, code as the Query protocol names it.
[[nodiscard]] HttpReply xml_error(unsigned status, std::string_view type, std::string_view code,
                                  std::string_view message, std::string_view request_id);

// form: the parameters (a POST body, or the query string of a GET); path: the request target's
// path; request_id: echoed in ResponseMetadata / RequestId.
[[nodiscard]] HttpReply serve_query(api::SqsService& service, std::string_view form, std::string_view path,
                                    std::string_view request_id, const api::Caller& caller);

} // namespace shmq::daemon
