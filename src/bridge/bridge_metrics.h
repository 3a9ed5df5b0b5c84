// What one bridge has done and is doing, for /metrics and `shmq bridge status`: written by the
// bridge's threads, read by anyone (relaxed atomics: each number is a count or a gauge on its own;
// no reader needs two of them to agree).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "bridge/bridge_settings.h"

namespace shmq::bridge {

enum class CircuitState : int {
    closed,    // sending freely
    open,      // the last requests failed: waiting out a backoff, taking nothing new
    half_open, // one request probes whether the remote is back
};

[[nodiscard]] constexpr const char* circuit_state_name(CircuitState state) noexcept {
    switch (state) {
    case CircuitState::closed:
        return "closed";
    case CircuitState::open:
        return "open";
    case CircuitState::half_open:
        return "half_open";
    }
    return "closed";
}

// Remote request latency, in buckets of powers of two milliseconds (≤1, ≤2, ... ≤32768, more).
class LatencyHistogram {
  public:
    static constexpr std::size_t bucket_count = 17;
    static constexpr std::int64_t bucket_upper_ms(std::size_t bucket) noexcept { return std::int64_t{1} << bucket; }

    void record(std::chrono::nanoseconds latency) noexcept {
        const std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(latency).count();
        std::size_t bucket = 0;
        while (bucket + 1 < bucket_count && ms > bucket_upper_ms(bucket)) {
            ++bucket;
        }
        buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
        sum_ns_.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t bucket(std::size_t index) const noexcept {
        return buckets_[index].load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t sum_ns() const noexcept { return sum_ns_.load(std::memory_order_relaxed); }

  private:
    std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

struct BridgeMetrics {
    std::atomic<std::uint64_t> carried{0};        // messages now on the other side (and deleted here)
    std::atomic<std::uint64_t> retried{0};        // messages sent again after a failure
    std::atomic<std::uint64_t> failed{0};         // messages refused as the sender's fault
    std::atomic<std::uint64_t> extended{0};       // visibility renewals of held messages
    std::atomic<std::uint64_t> requests{0};       // remote requests answered (or failed without one)
    std::atomic<std::uint64_t> request_errors{0}; // of those, the ones that failed
    std::atomic<std::int64_t> requests_in_flight{0};
    std::atomic<std::int64_t> lag_ms{0}; // age of the oldest message the bridge holds and has not carried
    std::atomic<int> circuit{static_cast<int>(CircuitState::closed)};
    LatencyHistogram latency;

    void set_circuit(CircuitState state) noexcept { circuit.store(static_cast<int>(state), std::memory_order_relaxed); }
    [[nodiscard]] CircuitState circuit_state() const noexcept {
        return static_cast<CircuitState>(circuit.load(std::memory_order_relaxed));
    }
    void set_last_error(std::string text) {
        std::lock_guard lock(mutex_);
        last_error_ = std::move(text);
    }
    [[nodiscard]] std::string last_error() const {
        std::lock_guard lock(mutex_);
        return last_error_;
    }

  private:
    mutable std::mutex mutex_;
    std::string last_error_;
};

// One running bridge as /metrics and the status view see it (both outlive the view).
struct BridgeView {
    const BridgeSettings* settings = nullptr;
    const BridgeMetrics* metrics = nullptr;
};

[[nodiscard]] constexpr const char* direction_name(Direction direction) noexcept {
    return direction == Direction::pull ? "pull" : "forward";
}

} // namespace shmq::bridge
