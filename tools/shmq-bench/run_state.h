// RunState: everything the processes of one shmq-bench run share, in one anonymous shared
// mapping made before fork (so no name, no cleanup, gone with the last process):
//
//   RunControl      start barrier, stop flags, start time (parent writes, workers read)
//   WorkerCounters  one per producer and consumer, 128-byte aligned, single writer each
//                   (the worker, relaxed stores); the parent reads them for progress
//   LatencyHistogram one per consumer, written only by it, read by the parent after exit
//   sequence bitmaps per consumer x producer: bit s set = this consumer received message s
//                   of that producer. Private per consumer, so marking costs no atomic;
//                   the parent ORs them after the run to find duplicates and missing ones.
//
// Invariants: the mapping holds only atomics and plain integers; a worker that dies leaves
// counts the parent still reads (they lag by at most one batch).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "latency_histogram.h"

namespace shmq_bench {

inline constexpr std::size_t padding_bytes = 128;

struct alignas(padding_bytes) RunControl {
    std::atomic<std::uint32_t> ready_count{0};    // workers with their queue open
    std::atomic<std::uint32_t> go{0};             // parent: start
    std::atomic<std::uint32_t> stop_producers{0}; // parent: stop sending
    std::atomic<std::uint32_t> stop_consumers{0}; // parent: stop receiving
    std::atomic<std::int64_t> start_ns{0};        // CLOCK_MONOTONIC at go
};

struct alignas(padding_bytes) WorkerCounters {
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> issued{0};   // producer: sequences used (sent or abandoned)
    std::atomic<std::uint64_t> received{0}; // messages of this run, duplicates included
    std::atomic<std::uint64_t> deleted{0};
    std::atomic<std::uint64_t> redelivered{0}; // receive_count > 1
    std::atomic<std::uint64_t> duplicates{0};  // received again by this same consumer
    std::atomic<std::uint64_t> foreign{0};     // not of this run: left in the queue
    std::atomic<std::int64_t> last_receive_ns{0};
    std::atomic<std::uint32_t> capped{0}; // producer hit the sequence capacity
    std::atomic<std::uint32_t> finished{0};
    std::atomic<std::uint32_t> failed{0};
    char error[160] = {};
};

class RunState {
  public:
    // sequence_capacity: messages one producer may send (bits per consumer x producer bitmap).
    RunState(std::uint32_t producers, std::uint32_t consumers, std::uint64_t sequence_capacity);
    RunState(const RunState&) = delete;
    RunState& operator=(const RunState&) = delete;
    ~RunState();

    [[nodiscard]] bool ok() const noexcept { return control_ != nullptr && bitmaps_ != nullptr; }
    [[nodiscard]] RunControl& control() const noexcept { return *control_; }
    [[nodiscard]] WorkerCounters& producer(std::uint32_t index) const noexcept { return workers_[index]; }
    [[nodiscard]] WorkerCounters& consumer(std::uint32_t index) const noexcept { return workers_[producers_ + index]; }
    [[nodiscard]] LatencyHistogram& histogram(std::uint32_t consumer) const noexcept { return histograms_[consumer]; }
    // Bitmap words of (consumer, producer): sequence_capacity bits.
    [[nodiscard]] std::uint64_t* bitmap(std::uint32_t consumer, std::uint32_t producer) const noexcept {
        return bitmaps_ + (static_cast<std::size_t>(consumer) * producers_ + producer) * words_per_bitmap_;
    }
    [[nodiscard]] std::uint32_t producers() const noexcept { return producers_; }
    [[nodiscard]] std::uint32_t consumers() const noexcept { return consumers_; }
    [[nodiscard]] std::uint64_t sequence_capacity() const noexcept { return sequence_capacity_; }

    // Records a worker's failure (first message wins) for the report.
    static void fail(WorkerCounters& counters, const std::string& message) noexcept;

  private:
    std::uint32_t producers_;
    std::uint32_t consumers_;
    std::uint64_t sequence_capacity_;
    std::size_t words_per_bitmap_;
    void* mapping_ = nullptr;
    std::size_t mapping_bytes_ = 0;
    void* bitmap_mapping_ = nullptr;
    std::size_t bitmap_mapping_bytes_ = 0;
    RunControl* control_ = nullptr;
    WorkerCounters* workers_ = nullptr;
    LatencyHistogram* histograms_ = nullptr;
    std::uint64_t* bitmaps_ = nullptr;
};

// Sums over workers, read with relaxed loads while the run goes on.
struct CounterTotals {
    std::uint64_t sent = 0, received = 0, deleted = 0, redelivered = 0, duplicates = 0, foreign = 0;
    std::int64_t last_receive_ns = 0;
    std::uint32_t producers_finished = 0, consumers_finished = 0, failed = 0, capped = 0;
};
[[nodiscard]] CounterTotals sum_counters(const RunState& state) noexcept;

// What the bitmaps say once every consumer has exited.
struct DeliveryCheck {
    std::uint64_t unique_received = 0;
    std::uint64_t duplicates = 0; // local duplicates plus messages received by two consumers
    std::uint64_t missing = 0;    // sent but never received
};
[[nodiscard]] DeliveryCheck check_delivery(const RunState& state);

[[nodiscard]] std::int64_t monotonic_ns() noexcept;

} // namespace shmq_bench
