// Batch entry checks and results. The wording of each message is SQS's (from its documentation
// and responses recorded from AWS), so a client matching on it behaves the same here.
#include "api/batch_results.h"

#include <set>

#include "shmq/limits.h"

namespace shmq::api {
namespace {

bool is_valid_entry_id(std::string_view id) {
    if (id.empty() || id.size() > limits::batch_entry_id_length_max) {
        return false;
    }
    for (const char c : id) {
        const bool valid =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!valid) {
            return false;
        }
    }
    return true;
}

} // namespace

Status check_batch_entry_ids(std::string_view entry_shape, const std::vector<std::string>& ids) {
    if (ids.empty()) {
        return {Errc::empty_batch_request, "There should be at least one " + std::string(entry_shape) + " in the request."};
    }
    if (ids.size() > limits::send_batch_max) {
        return {Errc::too_many_entries_in_batch, "Maximum number of entries per request are " +
                                                     std::to_string(limits::send_batch_max) + ". You have sent " +
                                                     std::to_string(ids.size()) + "."};
    }
    std::set<std::string_view> seen;
    for (const auto& id : ids) {
        if (!is_valid_entry_id(id)) {
            return {Errc::invalid_batch_entry_id, "A batch entry id can only contain alphanumeric characters, "
                                                  "hyphens and underscores. It can be at most 80 letters long."};
        }
        if (!seen.insert(id).second) {
            return {Errc::batch_entry_ids_not_distinct, "Id " + id + " repeated."};
        }
    }
    return {};
}

std::string default_error_message(Errc code) {
    switch (code) {
    case Errc::ok:
        return {};
    case Errc::queue_does_not_exist:
        return "The specified queue does not exist.";
    case Errc::queue_name_exists:
        return "The specified queue already exists.";
    case Errc::invalid_parameter_value:
        return "An invalid or out-of-range value was supplied for the input parameter.";
    case Errc::missing_parameter:
        return "A required parameter for the specified action is not supplied.";
    case Errc::invalid_attribute_name:
        return "The specified attribute doesn't exist.";
    case Errc::invalid_attribute_value:
        return "A queue attribute value is invalid.";
    case Errc::invalid_message_contents:
        return "The message contains characters outside the allowed set.";
    case Errc::message_too_long:
        return "The message is longer than the queue's MaximumMessageSize.";
    case Errc::receipt_handle_is_invalid:
        return "The input receipt handle is invalid.";
    case Errc::message_not_inflight:
        return "The message referred to isn't in flight.";
    case Errc::over_limit:
        return "The specified action violates a limit.";
    case Errc::queue_full:
        return "The queue is full: it holds MessageCapacity messages.";
    case Errc::queue_bytes_full:
        return "The queue is full: its message bodies fill MessageBytesCapacity.";
    case Errc::shm_full:
        return "No space left in /dev/shm for the queue's message bodies.";
    case Errc::purge_queue_in_progress:
        return "Only one PurgeQueue operation on the queue is allowed every 60 seconds.";
    case Errc::unsupported_operation:
        return "Error code 400. Unsupported operation.";
    case Errc::too_many_entries_in_batch:
        return "The batch request contains more entries than permissible.";
    case Errc::empty_batch_request:
        return "The batch request doesn't contain any entries.";
    case Errc::batch_entry_ids_not_distinct:
        return "Two or more batch entries in the request have the same Id.";
    case Errc::invalid_batch_entry_id:
        return "The Id of a batch entry in a batch request doesn't abide by the specification.";
    case Errc::batch_request_too_long:
        return "The length of all the messages put together is more than the limit.";
    case Errc::resource_not_found:
        return "One or more specified resources don't exist.";
    case Errc::timed_out:
        return "The operation timed out.";
    case Errc::layout_version_mismatch:
        return "The queue's shared-memory region was made by an incompatible shmq version.";
    case Errc::corrupt_region:
        return "The queue's shared-memory region failed a consistency check.";
    case Errc::system_error:
        return "An operating-system call failed.";
    case Errc::not_durable:
        return "No shmqd made the message durable (Durability=sync).";
    case Errc::access_denied:
        return "Access to the resource is denied.";
    case Errc::kms_not_found:
        return "The specified KMS key could not be found.";
    }
    return "Unknown error.";
}

boost::json::object failed_entry(std::string_view id, Errc code, std::string message) {
    return boost::json::object{{"Id", id},
                               {"SenderFault", is_sender_fault(code)},
                               {"Code", sqs_error_code(code)},
                               {"Message", std::move(message)}};
}

} // namespace shmq::api
