// The parts of SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch that do
// not depend on the action, for every door into shmq that speaks SQS (the CLI, the HTTP
// endpoint): the request-level checks SQS makes on entry ids (1..10 entries, ids of
// [A-Za-z0-9_-]{1,80}, all distinct) and the failed entries of a result, each with an SQS error
// code and message. The library reports delete and change-visibility entry failures as an Errc
// only, so the message text for each code is here; a send entry's comes from the library
// (Queue::explain_send_error).
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/error.h"

namespace shmq::api {

// entry_shape names the request entry type in SQS's message, e.g.
// "SendMessageBatchRequestEntry".
[[nodiscard]] Status check_batch_entry_ids(std::string_view entry_shape, const std::vector<std::string>& ids);

// The message SQS gives with a code when there is nothing more specific to say.
[[nodiscard]] std::string default_error_message(Errc code);

// {"Id", "SenderFault", "Code", "Message"}, as BatchResultErrorEntry.
[[nodiscard]] boost::json::object failed_entry(std::string_view id, Errc code, std::string message);

} // namespace shmq::api
