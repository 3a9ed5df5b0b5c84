// The scenarios of shmq-benchmarks, each implemented once for shmq and once for every baseline
// that can run it, so that the ratio table compares like with like:
//   throughput: one producer process, one consumer process (the parent, timed), 64 B or 4 KiB
//               bodies, single messages or batches of 10; every message is received and
//               deleted. message_queue batches per message (it has no batch API).
//   round trip: the parent sends a 64 B ping, the peer answers with a pong on a second queue;
//               busy (non-blocking polls) or blocking (shmq: wait_time_s > 0, spin then futex).
//   idle long poll: a peer waits 2 s on an empty queue; its CPU time shows whether it sleeps.
//   footprint: tmpfs bytes a queue holds per queued 64 B message.
//   fifo throughput (shmq only): the 64 B batch-of-10 throughput layout on a FIFO queue, the
//               producer spreading messages round-robin over 1, 16 or 1,000 MessageGroupIds,
//               each with a unique MessageDeduplicationId, into a queue with the largest
//               deduplication table (1 << 24 ids) or, "nodedup", one created with
//               QueueCapacity::fifo_deduplication=false (the ids are kept, never remembered);
//               compared with the standard queue and message_queue figures of the same run.
//   dedup send (shmq only, one process): ns per 64 B SendMessage with a MessageGroupId and a
//               fresh MessageDeduplicationId on a FIFO queue without deduplication (the
//               reference: a FIFO send that pays no window), then on queues with a window: fresh
//               ids (misses) with the largest table and with the default one (262,144 entries,
//               fewer sends so that the window holds them all), one repeated id (hits: nothing
//               is enqueued); and a standard-queue send, for scale. Only the sends are timed;
//               received and deleted every 1,000 sends, untimed.
//   fair queues (shmq only; a MessageGroupId on a standard queue names a tenant):
//     quiet dwell (one process): a noisy tenant's backlog of 20,000 64 B messages, then 10 of a
//               quiet tenant; the consumer receives batches of 10 and deletes them until it has
//               all 10 quiet ones (timed; sending and the drain of the rest are not). Figures: the
//               noisy messages delivered before the quiet tenant's last, and consumer ns until
//               then, with tenants against the same workload without any MessageGroupId (plain
//               ring order) in the same run.
//     fair throughput: the 64 B batch-of-10 throughput layout with every message carrying one
//               of 16 tenant ids, round-robin (none is noisy: the cost of counting tenants) or
//               one tenant sending 90 % (noisy: its messages are set aside); compared with the
//               standard queue without tenants of the same run.
//   journal (shmqd, issue 4; journal_scenarios.cpp): 64-byte payloads framed as journal records,
//               `records` per commit, on the real disk ($SHMQ_BENCH_DATA_DIR, else
//               ./shmq-bench-journal-<pid>, removed at exit). raw_fdatasync (the floor): pwrite
//               + fdatasync into one preallocated, zero-filled 64 MiB file, wrapping to offset 0;
//               p50/p99 of the fdatasync. writer: journal::JournalWriter on a fresh directory,
//               up to in_flight commits overlapping, segment rolls included; p50/p99 of a commit
//               (submit to durable) with one in flight. Compared as writer / raw records/s.
//               raw_fdatasync/records:16 is the floor of durable/sync/64B/senders:16.
//   durable (shmqd, issue 4; durable_scenarios.cpp): the real shmqd binary, one per invocation,
//               on a fresh directory under the journal scenarios' data directory, in this run's
//               namespace; started before the clock (after "shmqd ready" and its spare segment
//               on disk), stopped with SIGTERM after it (must exit 0), its journal read back to
//               check the run. async/64B/batch10: the 64 B batch-of-10 throughput layout on a
//               fresh Durability=async queue; compared with shmq/throughput/64B/batch10 (memory).
//               sync/64B/senders:N: N threads, one handle each, sending single 64 B messages to
//               one Durability=sync queue (1 << 20 slots, no consumer), each send timed; p50/p99
//               over every send (sync/64B/batch10/senders:4: send_batch() of 10, each call
//               timed, compared with raw_fdatasync/records:40, every sender's batch in one commit).
//               Compared: senders:1 p50 with the raw fdatasync p50
//               (raw_fdatasync/records:1), senders:16 messages/s with raw_fdatasync/records:16.
//   recovery (shmqd, issue 4; recovery_scenarios.cpp): messages:N (N = 1,000,000, 2,000,000).
//               Untimed: a fresh data directory and shmqd; a Durability=async standard queue
//               (slot_count: N rounded up to a power of two) in a namespace of its own (this run's
//               namespace + "-recovery") gets N 64 B messages, send_batch of 10, none deleted;
//               shmqd stopped with SIGTERM (exit 0; its journal must hold N message_sent records,
//               no deletion); every file of that namespace's directory deleted, as a reboot would.
//               Timed (one iteration, manual time): a second shmqd on that data directory, from
//               fork until it prints "shmqd ready" (replay, the queue recreated, N messages
//               restored, the queue reconciled). Checked: its log says N restored and the queue
//               holds N. items/s = N / time; from its log replay_ms ("recovered ... in X ms") and
//               restore_ms ("restored ... in X ms"), other_ms the rest of ready_ms; shmqd_cpu its
//               CPU time over that wall time. The segments are in the page cache (just written,
//               or read by the previous run), as for scan_only.
//               scan_only/messages:N: journal::scan_journal with an empty visitor over the journal
//               the last messages:N run left (the format's checking-read floor); items/s = N /
//               time. Compared: recovery / scan_only items/s.
//   compaction (shmqd, issue 4; recovery_scenarios.cpp): shmqd with --segment-mib 8, in this run's
//               namespace. disk_vs_live: a Durability=async keepers queue gets 65,536 × 1 KiB
//               (64 MiB, never deleted); then (timed, one iteration, manual time) batches of
//               10 × 64 KiB go through a Durability=sync queue, each sent with send_batch (returns
//               once durable), received and deleted before the next, until 512 MiB went through
//               (one untimed batch first: the path is warm, the keepers durable). After a SIGTERM
//               stop (checked: every keeper, by its stamped number, has a message_sent record in
//               the journal, which has no corrupt region): disk_per_live = bytes of the journal's *.seg files / keeper body bytes,
//               segments (files), segments_removed and carried_MiB (bytes compaction rewrote, from
//               shmqd's log), peak_disk_per_live (*.seg
//               bytes sampled every 16 batches), churn_MiB_per_s. no_keepers: the same churn with
//               an empty keepers queue (nothing for compaction to carry). Compared: churn MiB/s
//               with keepers / without.
#pragma once

#include <benchmark/benchmark.h>
#include <cstddef>
#include <cstdint>
#include <string>

namespace shmq_bench {

enum class Polling : std::uint8_t { busy, blocking };

inline constexpr double idle_long_poll_s = 2.0;
inline constexpr std::uint32_t footprint_message_count = 60'000;

void shmq_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch);
void shmq_round_trip(benchmark::State& state, Polling polling);
void shmq_idle_long_poll(benchmark::State& state);
void shmq_footprint(benchmark::State& state);

// The deduplication window holds every id 5 minutes in a table of at most 1 << 24 entries:
// a FIFO run with that table stops (with an error) before it sends more than this into one
// queue. A queue without deduplication has no such cap.
inline constexpr std::uint32_t fifo_dedup_entries = 1u << 24;
inline constexpr std::uint64_t fifo_messages_per_queue_max = 11'000'000;
inline constexpr std::int64_t dedup_send_iterations = 2'000'000;
// The default table (dedup_entries 0: 262,144) refuses new ids past ~65 % load (~170,000).
inline constexpr std::int64_t dedup_send_default_table_iterations = 150'000;

// The deduplication window of a fresh FIFO queue.
enum class DedupWindow : std::uint8_t {
    largest_table, // dedup_entries = fifo_dedup_entries (768 MiB)
    default_table, // dedup_entries = 0 (262,144 entries)
    none,          // fifo_deduplication = false: no table
};

enum class DedupSend : std::uint8_t { fifo_fresh_id, fifo_repeated_id, standard };

void shmq_fifo_throughput(benchmark::State& state, std::uint32_t group_count, DedupWindow window);
// window: FIFO kinds only (a repeated id needs one); standard ignores it.
void shmq_dedup_send(benchmark::State& state, DedupSend kind, DedupWindow window);

inline constexpr std::uint32_t quiet_dwell_backlog = 20'000;
inline constexpr std::uint32_t quiet_dwell_messages = 10;
// Each round sends and drains the whole backlog (~10 ms): a fixed, small number of rounds.
inline constexpr std::int64_t quiet_dwell_iterations = 20;
inline constexpr std::uint32_t fair_tenant_count = 16;

enum class Tenancy : std::uint8_t { tenants, plain }; // plain: no message carries a MessageGroupId
enum class TenantMix : std::uint8_t { round_robin, one_at_90_percent };

void shmq_fair_quiet_dwell(benchmark::State& state, Tenancy tenancy);
void shmq_fair_throughput(benchmark::State& state, TenantMix mix);

void message_queue_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch);
void message_queue_round_trip(benchmark::State& state, Polling polling);
void message_queue_idle_long_poll(benchmark::State& state);
void message_queue_footprint(benchmark::State& state);

void posix_mq_round_trip(benchmark::State& state);

// 4,096 records per commit run a fixed number of commits: 512 × 4,096 framed records (96 B each)
// are 192 MiB, so the writer rolls to a new 64 MiB segment three times.
inline constexpr std::uint32_t journal_rolling_records = 4096;
inline constexpr std::int64_t journal_rolling_commits = 512;

void journal_raw_fdatasync(benchmark::State& state, std::uint32_t records);
void journal_writer(benchmark::State& state, std::uint32_t records, std::uint32_t in_flight);
// The data directory on the real disk of the journal and durable scenarios, created on first use;
// nullptr (with error) when it cannot be set up or is in memory.
const std::string* bench_data_directory(std::string& error);
// Removes what the journal scenarios wrote (and the data directory if they created it; the
// durable scenarios remove their own shmqd directories).
void journal_cleanup();

// Durable sends with the real shmqd running (durable_scenarios.cpp).
// Sse::on: SQS's default (SqsManagedSseEnabled=true: shmqd seals the records); off: plain records.
enum class Sse : bool { off, on };
void durable_async_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch, Sse sse);
// One sender thread per Google Benchmark thread; register with ->Threads(N) and this Setup and
// Teardown (queue, shmqd and warm-up once per run, not per thread). batch 1: send(); 2..10:
// send_batch() of that many messages (latency per call, items per message).
void durable_sync_send(benchmark::State& state, std::uint32_t batch);
void durable_sync_setup(const benchmark::State& state);
void durable_sync_setup_plain(const benchmark::State& state); // SqsManagedSseEnabled=false
void durable_sync_teardown(const benchmark::State& state);

// Recovery and compaction with the real shmqd (recovery_scenarios.cpp). Register them last: they
// run for seconds each, and the recovery wipes a namespace (its own).
inline constexpr std::uint64_t recovery_message_counts[] = {1'000'000, 2'000'000};
inline constexpr std::uint32_t compaction_keepers = 65'536;
inline constexpr std::size_t compaction_keeper_body_bytes = 1024;
inline constexpr std::size_t compaction_churn_body_bytes = 64u << 10;
inline constexpr std::uint64_t compaction_churn_bytes = 512ull << 20;
inline constexpr std::uint32_t compaction_segment_mib = 8;
inline constexpr std::uint32_t compaction_disk_sample_batches = 16;

void durable_recovery(benchmark::State& state, std::uint64_t messages);
void durable_recovery_scan_only(benchmark::State& state, std::uint64_t messages);
void durable_compaction(benchmark::State& state, std::uint32_t keepers);
// Removes the journals scan_only read and the recovery namespace.
void recovery_cleanup();

} // namespace shmq_bench
