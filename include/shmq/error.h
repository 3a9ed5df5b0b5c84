// Expected failures as values. Every public call returns a Status or a Result<T>; no exception
// crosses the public API. Each Errc maps to exactly one SQS error code (sqs_error_code) so the
// CLI and the HTTP endpoint report what Amazon SQS would.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace shmq {

enum class Errc : std::uint8_t {
    ok = 0,
    queue_does_not_exist,         // AWS.SimpleQueueService.NonExistentQueue
    queue_name_exists,            // QueueAlreadyExists (JSON: QueueNameExists)
    invalid_parameter_value,      // InvalidParameterValue
    missing_parameter,            // MissingParameter
    invalid_attribute_name,       // InvalidAttributeName
    invalid_attribute_value,      // InvalidAttributeValue
    invalid_message_contents,     // InvalidMessageContents
    message_too_long,             // InvalidParameterValue (body or attributes over MaximumMessageSize)
    receipt_handle_is_invalid,    // ReceiptHandleIsInvalid
    message_not_inflight,         // AWS.SimpleQueueService.MessageNotInflight
    over_limit,                   // OverLimit (403)
    queue_full,                   // shmq: the queue holds MessageCapacity messages (SQS never fills)
    purge_queue_in_progress,      // AWS.SimpleQueueService.PurgeQueueInProgress (403)
    unsupported_operation,        // AWS.SimpleQueueService.UnsupportedOperation
    too_many_entries_in_batch,    // AWS.SimpleQueueService.TooManyEntriesInBatchRequest
    empty_batch_request,          // AWS.SimpleQueueService.EmptyBatchRequest
    batch_entry_ids_not_distinct, // AWS.SimpleQueueService.BatchEntryIdsNotDistinct
    invalid_batch_entry_id,       // AWS.SimpleQueueService.InvalidBatchEntryId
    batch_request_too_long,       // AWS.SimpleQueueService.BatchRequestTooLong
    resource_not_found,           // ResourceNotFoundException (message move tasks)
    timed_out,                    // shmq: a blocking call ran out of time
    layout_version_mismatch,      // shmq: the region was made by an incompatible shmq
    corrupt_region,               // shmq: bytes in shared memory fail their checks
    system_error,                 // shmq: an OS call failed (errno in the message)
    not_durable,                  // shmq: Durability=sync and no shmqd made the send durable (503)
    access_denied,                // AccessDenied (403): the queue's Policy grants the caller nothing
    kms_not_found,                // KmsNotFound: KmsMasterKeyId names no key of shmqd's key ring
    queue_bytes_full,             // shmq: the bodies fill the queue's MessageBytesCapacity (OverLimit)
    shm_full,                     // shmq: /dev/shm has no room for a message body (OverLimit)
};

// The SQS error code for an Errc, as the Query protocol names it (JSON adds its own prefix).
[[nodiscard]] std::string_view sqs_error_code(Errc code) noexcept;
// HTTP status SQS answers with for this error.
[[nodiscard]] int sqs_http_status(Errc code) noexcept;
// True for errors caused by the sender of a request (SQS "Sender" fault).
[[nodiscard]] bool is_sender_fault(Errc code) noexcept;

struct Error {
    Errc code = Errc::ok;
    std::string message;
};

// A status for calls with no value. Cheap when ok: the message is empty.
class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(Errc code, std::string message) : error_{code, std::move(message)} {}
    Status(Error error) : error_(std::move(error)) {} // NOLINT(google-explicit-constructor): ergonomic returns
    [[nodiscard]] bool ok() const noexcept { return error_.code == Errc::ok; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] Errc code() const noexcept { return error_.code; }
    [[nodiscard]] const std::string& message() const noexcept { return error_.message; }
    [[nodiscard]] const Error& error() const noexcept { return error_; }

  private:
    Error error_;
};

// A value or an Error (std::expected arrives with C++23; this is the part we need).
template <class T> class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::move(value)) {}     // NOLINT(google-explicit-constructor)
    Result(Error error) : state_(std::move(error)) {} // NOLINT(google-explicit-constructor)
    Result(Errc code, std::string message) : state_(Error{code, std::move(message)}) {}
    Result(Status status) : state_(status.error()) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] T& value() & { return std::get<0>(state_); }
    [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    [[nodiscard]] const Error& error() const { return std::get<1>(state_); }
    [[nodiscard]] Errc code() const noexcept { return ok() ? Errc::ok : std::get<1>(state_).code; }
    [[nodiscard]] Status status() const { return ok() ? Status{} : Status{error()}; }

  private:
    std::variant<T, Error> state_;
};

} // namespace shmq
