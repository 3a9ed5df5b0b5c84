// The parts of SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch that do
// not depend on the action: the request-level checks SQS makes on entry ids (1..10 entries,
// ids of [A-Za-z0-9_-]{1,80}, all distinct) and the {"Successful": [...], "Failed": [...]}
// response, in which each failed entry carries an SQS error code and message. The library
// reports delete and change-visibility entry failures as an Errc only, so the message text for
// each code is here; send-message-batch asks the library (Queue::explain_send_error) instead.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outcome.h"
#include "shmq/error.h"

namespace shmq::cli {

// entry_shape names the request entry type in SQS's message, e.g.
// "SendMessageBatchRequestEntry".
[[nodiscard]] std::optional<Failure> check_batch_entry_ids(std::string_view entry_shape,
                                                           const std::vector<std::string>& ids);

// The message SQS gives with a code when there is nothing more specific to say.
[[nodiscard]] std::string default_error_message(Errc code);

// {"Id", "SenderFault", "Code", "Message"}, as BatchResultErrorEntry.
[[nodiscard]] boost::json::object failed_entry(std::string_view id, Errc code, std::string message);

// Both lists are required members of every batch result, so aws prints them even when empty.
void print_batch_response(boost::json::array successful, boost::json::array failed);

} // namespace shmq::cli
