// Every bound shmq enforces, in one place (SQS limits first, then the region's own). Anything
// that loops, allocates or sizes shared memory takes its bound from here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shmq::limits {

// --- Amazon SQS limits (API version 2012-11-05) ---
inline constexpr std::size_t queue_name_length_max = 80;
inline constexpr std::size_t message_size_max = 1'048'576;     // body + message attributes
inline constexpr std::size_t message_size_min_setting = 1'024; // MaximumMessageSize floor
inline constexpr std::size_t message_attributes_max = 10;
// AWSTraceHeader: SQS leaves it out of the message size; X-Ray's headers are ~100 bytes.
inline constexpr std::size_t aws_trace_header_bytes_max = 2'048;
inline constexpr std::size_t message_attribute_name_length_max = 256;
inline constexpr std::size_t message_attribute_type_length_max = 256;
inline constexpr std::size_t number_attribute_digits_max = 38;
inline constexpr std::uint32_t receive_batch_max = 10;
inline constexpr std::uint32_t send_batch_max = 10;
inline constexpr std::size_t batch_entry_id_length_max = 80;
inline constexpr std::int64_t visibility_timeout_s_max = 43'200;
inline constexpr std::int64_t visibility_timeout_s_default = 30;
inline constexpr std::int64_t delay_s_max = 900;
inline constexpr std::int64_t retention_s_min = 60;
inline constexpr std::int64_t retention_s_max = 1'209'600;
inline constexpr std::int64_t retention_s_default = 345'600;
inline constexpr std::int64_t wait_time_s_max = 20;
inline constexpr std::int64_t purge_interval_s = 60;
inline constexpr std::size_t tags_per_queue_max = 50;
inline constexpr std::size_t tag_key_length_max = 128;
inline constexpr std::size_t tag_value_length_max = 256;
inline constexpr std::size_t redrive_allow_source_queues_max = 10;
inline constexpr std::int64_t max_receive_count_max = 1'000;
inline constexpr std::size_t policy_length_max = 8'192;
// SQS's policy quotas (SQS Developer Guide, "Amazon SQS policy quotas"): per policy, but actions
// per statement; conditions count operator/key pairs.
inline constexpr std::size_t policy_statements_max = 20;
inline constexpr std::size_t policy_principals_max = 50;
inline constexpr std::size_t policy_conditions_max = 10;
inline constexpr std::size_t policy_statement_actions_max = 7;
inline constexpr std::size_t move_tasks_listed_max = 10;

// --- the region ---
// Every limit a queue's region sets, next to the CreateQueue attribute (or QueueCapacity field)
// that sets it: slots (MessageCapacity: messages held at once), the blob arena
// (MessageBytesCapacity: bytes of bodies larger than a slot's inline area) and inline bytes.
inline constexpr std::uint32_t slot_count_min = 16;
inline constexpr std::uint32_t slot_count_max = (1u << 24) - 1; // ring values: 24-bit slot + 8-bit generation
inline constexpr std::uint32_t slot_count_default = 1u << 16;
// Body + encoded attributes held in the slot itself (QueueCapacity::inline_bytes): a slot is its
// 64-byte header plus this. Standard queues: two cache lines, so a queued message of up to 64
// bytes costs 128 B of slot and 32 B of rings. FIFO messages carry their group and deduplication
// ids in the attribute trailer: 192 bytes hold a 64-byte body with ids of typical length. Larger
// messages go to the blob arena (an extra shared stack operation on each side).
inline constexpr std::size_t slot_inline_bytes_default = 64;
inline constexpr std::size_t fifo_slot_inline_bytes_default = 192;
inline constexpr std::size_t slot_inline_bytes_max = 960; // slots of up to 1 KiB
inline constexpr std::size_t blob_class_count = 7;        // 256 B, 1 KiB, ... 1 MiB
inline constexpr std::size_t blob_class_bytes_min = 256;
// MessageBytesCapacity: bytes of the blob arena, carved into chunks of about 1 MiB as size
// classes need them (layout::blob_chunk_bytes; a budget is rounded up to whole chunks). The
// smallest holds one message of the largest size. The largest is what 16-bit chunk numbers
// address. The default (layout::message_bytes_capacity_default) gives every slot room for a
// message of the largest size, whatever mix of sizes came before, up to this maximum: the
// reservation is virtual (tmpfs is sparse, a chunk's pages are reserved when it is carved), so a
// queue that never sends large bodies pays nothing for it.
inline constexpr std::uint64_t message_bytes_capacity_min = message_size_max;
inline constexpr std::uint64_t message_bytes_capacity_max = 64ull << 30;
inline constexpr std::uint32_t dedup_entries_default = 1u << 18; // FIFO dedup window: ~570 new ids/s (65 % load)
inline constexpr std::uint32_t dedup_entries_max = 1u << 24;
inline constexpr std::size_t fifo_id_length_max = 128;             // MessageGroupId, MessageDeduplicationId
inline constexpr std::uint32_t process_table_entries = 255;        // owner ids fit 8 bits, 0 = none
inline constexpr std::uint32_t pending_slots_per_process = 16;     // >= send_batch_max
inline constexpr std::uint32_t sleepers_max = 64;                  // registered futex sleepers
inline constexpr std::uint32_t timer_sweep_slots_per_call = 4'096; // bounded lazy timer work
inline constexpr std::int64_t liveness_check_interval_ns = 1'000'000'000;
inline constexpr std::int64_t sweep_lease_ns = 200'000'000;       // a dead sweeper is replaced after this
inline constexpr std::uint32_t ring_scan_max = 1u << 20;          // bounded skipping in CellRing
inline constexpr std::uint32_t fair_deferrals_per_receive = 1024; // noisy messages set aside per receive
inline constexpr std::uint32_t fifo_arrivals_per_receive = 1024;  // FIFO arrivals linked per receive (lock hold)
inline constexpr std::uint32_t spin_before_sleep = 2'000;         // then futex
// Durability=sync: a sender alone waiting on its queue spins this long either side of the wait
// it expects (its recent waits), instead of paying a futex wake-up for the whole of it.
inline constexpr std::int64_t durable_wait_spin_ns = 40'000;
// How long a Durability=sync send waits for the shmqd serving its namespace to take its queue on
// (a queue created a moment ago; shmqd's watch interval is 100 ms, slower under sanitizers).
inline constexpr std::int64_t durable_attach_wait_ns = 5'000'000'000;

static_assert(blob_class_bytes_min << (2 * (blob_class_count - 1)) == message_size_max,
              "the largest blob class must hold the largest message");
static_assert(pending_slots_per_process >= send_batch_max, "a whole batch must fit in a process's pending list");
static_assert(slot_count_max < (1u << 24), "a ring value holds a 24-bit slot index and an 8-bit generation tag");

} // namespace shmq::limits
