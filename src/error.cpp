// SQS's names and HTTP statuses for shmq's error codes (one table, used by every door).
#include "shmq/error.h"

namespace shmq {

std::string_view sqs_error_code(Errc code) noexcept {
    switch (code) {
    case Errc::ok:
        return "";
    case Errc::queue_does_not_exist:
        return "AWS.SimpleQueueService.NonExistentQueue";
    case Errc::queue_name_exists:
        return "QueueAlreadyExists";
    case Errc::invalid_parameter_value:
        return "InvalidParameterValue";
    case Errc::missing_parameter:
        return "MissingParameter";
    case Errc::invalid_attribute_name:
        return "InvalidAttributeName";
    case Errc::invalid_attribute_value:
        return "InvalidAttributeValue";
    case Errc::invalid_message_contents:
        return "InvalidMessageContents";
    case Errc::message_too_long:
        return "InvalidParameterValue";
    case Errc::receipt_handle_is_invalid:
        return "ReceiptHandleIsInvalid";
    case Errc::message_not_inflight:
        return "AWS.SimpleQueueService.MessageNotInflight";
    case Errc::over_limit:
        return "OverLimit";
    case Errc::queue_full:
    case Errc::queue_bytes_full:
    case Errc::shm_full:
        return "OverLimit";
    case Errc::purge_queue_in_progress:
        return "AWS.SimpleQueueService.PurgeQueueInProgress";
    case Errc::unsupported_operation:
        return "AWS.SimpleQueueService.UnsupportedOperation";
    case Errc::too_many_entries_in_batch:
        return "AWS.SimpleQueueService.TooManyEntriesInBatchRequest";
    case Errc::empty_batch_request:
        return "AWS.SimpleQueueService.EmptyBatchRequest";
    case Errc::batch_entry_ids_not_distinct:
        return "AWS.SimpleQueueService.BatchEntryIdsNotDistinct";
    case Errc::invalid_batch_entry_id:
        return "AWS.SimpleQueueService.InvalidBatchEntryId";
    case Errc::batch_request_too_long:
        return "AWS.SimpleQueueService.BatchRequestTooLong";
    case Errc::resource_not_found:
        return "ResourceNotFoundException";
    case Errc::timed_out:
        return "RequestTimeout";
    case Errc::layout_version_mismatch:
        return "InternalError";
    case Errc::corrupt_region:
        return "InternalError";
    case Errc::system_error:
        return "InternalError";
    case Errc::not_durable:
        return "ServiceUnavailable";
    case Errc::access_denied:
        return "AccessDenied";
    case Errc::kms_not_found:
        return "KmsNotFound";
    }
    return "InternalError";
}

int sqs_http_status(Errc code) noexcept {
    switch (code) {
    case Errc::ok:
        return 200;
    case Errc::over_limit:
    case Errc::queue_full:
    case Errc::queue_bytes_full:
    case Errc::shm_full:
    case Errc::purge_queue_in_progress:
    case Errc::access_denied:
        return 403;
    case Errc::resource_not_found:
        return 404;
    case Errc::layout_version_mismatch:
    case Errc::corrupt_region:
    case Errc::system_error:
        return 500;
    case Errc::not_durable:
        return 503;
    default:
        return 400;
    }
}

bool is_sender_fault(Errc code) noexcept {
    return sqs_http_status(code) < 500;
}

} // namespace shmq
