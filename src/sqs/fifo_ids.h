// SQS's rules and keys for FIFO identifiers: MessageGroupId and MessageDeduplicationId
// validation (1..128 alphanumeric and punctuation characters), the content-based deduplication
// id (hex SHA-256 of the body), and the 128-bit keys the region indexes them by (XXH3).
#pragma once

#include <string>
#include <string_view>

#include "shmq/error.h"
#include "shmq/layout/fifo_layout.h"
#include "shmq/message.h"

namespace shmq::sqs {

[[nodiscard]] bool is_valid_fifo_id(std::string_view id) noexcept;
// SQS's error for a MessageGroupId or MessageDeduplicationId that is not a valid id (parameter
// names which), an empty one included.
[[nodiscard]] Status invalid_fifo_id(std::string_view parameter, std::string_view value);
// Errors SQS gives for the FIFO fields of a send, given the queue's kind and settings.
[[nodiscard]] Status validate_fifo_fields(const SendEntry& entry, bool fifo_queue, bool content_based_deduplication);
[[nodiscard]] std::string content_deduplication_id(std::string_view body);
[[nodiscard]] layout::FifoKey group_key(std::string_view group_id) noexcept;
// With DeduplicationScope=messageGroup the same dedup id in two groups is two messages.
[[nodiscard]] layout::FifoKey deduplication_key(std::string_view deduplication_id, std::string_view group_id,
                                                bool per_group) noexcept;
// SQS prints SequenceNumber as a large, increasing, non-consecutive decimal.
[[nodiscard]] constexpr std::uint64_t sequence_number_of(std::uint64_t counter) noexcept {
    return 10'000'000'000'000'000'000ull + counter * 256;
}
// The counter a SequenceNumber was made from (recovery continues after the largest).
[[nodiscard]] constexpr std::uint64_t sequence_counter_of(std::uint64_t sequence_number) noexcept {
    return sequence_number < 10'000'000'000'000'000'000ull ? 0
                                                           : (sequence_number - 10'000'000'000'000'000'000ull) / 256;
}

} // namespace shmq::sqs
