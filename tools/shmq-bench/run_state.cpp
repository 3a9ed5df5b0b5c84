// See run_state.h.
#include "run_state.h"

#include <time.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <sys/mman.h>

namespace shmq_bench {

namespace {

std::size_t round_up(std::size_t value, std::size_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

} // namespace

RunState::RunState(std::uint32_t producers, std::uint32_t consumers, std::uint64_t sequence_capacity)
    : producers_(producers), consumers_(consumers), sequence_capacity_(sequence_capacity),
      words_per_bitmap_(static_cast<std::size_t>((sequence_capacity + 63) / 64)) {
    const std::size_t control_bytes = round_up(sizeof(RunControl), padding_bytes);
    const std::size_t workers_bytes = sizeof(WorkerCounters) * (producers + consumers);
    const std::size_t histograms_bytes = round_up(sizeof(LatencyHistogram) * consumers, padding_bytes);
    mapping_bytes_ = control_bytes + workers_bytes + histograms_bytes;
    void* mapping = ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) {
        return;
    }
    mapping_ = mapping;
    auto* bytes = static_cast<std::byte*>(mapping);
    control_ = new (bytes) RunControl{};
    workers_ = new (bytes + control_bytes) WorkerCounters[producers + consumers]{};
    histograms_ = new (bytes + control_bytes + workers_bytes) LatencyHistogram[consumers]{};

    // Untouched pages cost nothing: only sequences actually received are ever written.
    bitmap_mapping_bytes_ = std::max<std::size_t>(1, words_per_bitmap_ * sizeof(std::uint64_t) * producers * consumers);
    void* bitmaps = ::mmap(nullptr, bitmap_mapping_bytes_, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (bitmaps == MAP_FAILED) {
        return;
    }
    bitmap_mapping_ = bitmaps;
    bitmaps_ = static_cast<std::uint64_t*>(bitmaps);
}

RunState::~RunState() {
    if (mapping_ != nullptr) {
        ::munmap(mapping_, mapping_bytes_);
    }
    if (bitmap_mapping_ != nullptr) {
        ::munmap(bitmap_mapping_, bitmap_mapping_bytes_);
    }
}

void RunState::fail(WorkerCounters& counters, const std::string& message) noexcept {
    if (counters.failed.exchange(1, std::memory_order_acq_rel) != 0) {
        return;
    }
    const std::size_t length = std::min(message.size(), sizeof(counters.error) - 1);
    std::memcpy(counters.error, message.data(), length);
    counters.error[length] = '\0';
}

CounterTotals sum_counters(const RunState& state) noexcept {
    CounterTotals totals;
    const auto add = [&](const WorkerCounters& counters, bool producer) {
        totals.sent += counters.sent.load(std::memory_order_relaxed);
        totals.received += counters.received.load(std::memory_order_relaxed);
        totals.deleted += counters.deleted.load(std::memory_order_relaxed);
        totals.redelivered += counters.redelivered.load(std::memory_order_relaxed);
        totals.duplicates += counters.duplicates.load(std::memory_order_relaxed);
        totals.foreign += counters.foreign.load(std::memory_order_relaxed);
        totals.last_receive_ns =
            std::max(totals.last_receive_ns, counters.last_receive_ns.load(std::memory_order_relaxed));
        const bool finished = counters.finished.load(std::memory_order_acquire) != 0;
        (producer ? totals.producers_finished : totals.consumers_finished) += finished ? 1 : 0;
        totals.failed += counters.failed.load(std::memory_order_acquire);
        totals.capped += counters.capped.load(std::memory_order_relaxed);
    };
    for (std::uint32_t i = 0; i < state.producers(); ++i) {
        add(state.producer(i), true);
    }
    for (std::uint32_t i = 0; i < state.consumers(); ++i) {
        add(state.consumer(i), false);
    }
    return totals;
}

DeliveryCheck check_delivery(const RunState& state) {
    DeliveryCheck check;
    for (std::uint32_t producer = 0; producer < state.producers(); ++producer) {
        const std::uint64_t sent = state.producer(producer).sent.load(std::memory_order_acquire);
        // Only words a producer's sequences reach: reading the rest would allocate its pages.
        const std::uint64_t issued =
            std::min(state.producer(producer).issued.load(std::memory_order_acquire), state.sequence_capacity());
        const auto words = static_cast<std::size_t>((issued + 63) / 64);
        std::uint64_t unique = 0;
        for (std::size_t word = 0; word < words; ++word) {
            std::uint64_t seen = 0;
            for (std::uint32_t consumer = 0; consumer < state.consumers(); ++consumer) {
                const std::uint64_t bits = state.bitmap(consumer, producer)[word];
                check.duplicates += static_cast<std::uint64_t>(std::popcount(seen & bits));
                seen |= bits;
            }
            unique += static_cast<std::uint64_t>(std::popcount(seen));
        }
        check.unique_received += unique;
        check.missing += sent > unique ? sent - unique : 0;
    }
    for (std::uint32_t consumer = 0; consumer < state.consumers(); ++consumer) {
        check.duplicates += state.consumer(consumer).duplicates.load(std::memory_order_acquire);
    }
    return check;
}

std::int64_t monotonic_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

} // namespace shmq_bench
