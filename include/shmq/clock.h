// Time as every SQS rule sees it: nanoseconds since the Unix epoch (CLOCK_REALTIME, read
// through the vDSO, so no syscall). Tests inject a ManualClock so visibility, delay, retention
// and the dedup window run instantly and deterministically. The region stores these values, so
// all processes sharing a queue must agree on the clock: a manual clock is for single-process
// tests or for processes that share one through a test harness.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmq {

class Clock {
  public:
    virtual ~Clock() = default;
    // Thread-safe; may be called from any thread.
    [[nodiscard]] virtual std::int64_t now_ns() const noexcept = 0;
};

// The real-time clock (CLOCK_REALTIME).
class SystemClock final : public Clock {
  public:
    [[nodiscard]] std::int64_t now_ns() const noexcept override;
    [[nodiscard]] static const SystemClock& instance() noexcept;
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(std::int64_t start_ns = 1'700'000'000'000'000'000) : now_ns_(start_ns) {}
    [[nodiscard]] std::int64_t now_ns() const noexcept override { return now_ns_.load(std::memory_order_acquire); }
    void advance_ns(std::int64_t delta_ns) noexcept { now_ns_.fetch_add(delta_ns, std::memory_order_acq_rel); }
    void advance_s(std::int64_t delta_s) noexcept { advance_ns(delta_s * 1'000'000'000); }
    void set_ns(std::int64_t value_ns) noexcept { now_ns_.store(value_ns, std::memory_order_release); }

  private:
    std::atomic<std::int64_t> now_ns_;
};

} // namespace shmq
