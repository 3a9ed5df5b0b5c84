// Wire names of SQS errors (see sqs_errors.h).
#include "api/sqs_errors.h"

namespace shmq::api {

std::string_view json_error_type(Errc code) noexcept {
    switch (code) {
    case Errc::ok:
        return "";
    case Errc::queue_does_not_exist:
        return "QueueDoesNotExist";
    case Errc::queue_name_exists:
        return "QueueNameExists";
    case Errc::invalid_parameter_value:
    case Errc::message_too_long:
        return "InvalidParameterValueException";
    case Errc::missing_parameter:
        return "MissingRequiredParameterException";
    case Errc::invalid_attribute_name:
        return "InvalidAttributeName";
    case Errc::invalid_attribute_value:
        return "InvalidAttributeValue";
    case Errc::invalid_message_contents:
        return "InvalidMessageContents";
    case Errc::receipt_handle_is_invalid:
        return "ReceiptHandleIsInvalid";
    case Errc::message_not_inflight:
        return "MessageNotInflight";
    case Errc::over_limit:
    case Errc::queue_full:
    case Errc::queue_bytes_full:
    case Errc::shm_full:
        return "OverLimit";
    case Errc::purge_queue_in_progress:
        return "PurgeQueueInProgress";
    case Errc::unsupported_operation:
        return "UnsupportedOperation";
    case Errc::too_many_entries_in_batch:
        return "TooManyEntriesInBatchRequest";
    case Errc::empty_batch_request:
        return "EmptyBatchRequest";
    case Errc::batch_entry_ids_not_distinct:
        return "BatchEntryIdsNotDistinct";
    case Errc::invalid_batch_entry_id:
        return "InvalidBatchEntryId";
    case Errc::batch_request_too_long:
        return "BatchRequestTooLong";
    case Errc::resource_not_found:
        return "ResourceNotFoundException";
    case Errc::timed_out:
        return "RequestTimeout";
    case Errc::not_durable:
        return "ServiceUnavailable";
    case Errc::access_denied:
        return "AccessDenied";
    case Errc::kms_not_found:
        return "KmsNotFound";
    case Errc::layout_version_mismatch:
    case Errc::corrupt_region:
    case Errc::system_error:
        return "InternalError";
    }
    return "InternalError";
}

std::string query_error_header(Errc code) {
    return std::string(sqs_error_code(code)) + (is_sender_fault(code) ? ";Sender" : ";Receiver");
}

} // namespace shmq::api
