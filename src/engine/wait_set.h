// Sleeping and waking on a WaitSet in the region (futex on a shared word, so the non-private
// futex ops). Sleepers register their pid in one of 64 cells; wakers pay a syscall only when the
// registration mask is non-zero. A sleeper killed while registered leaves a stale bit: wakers
// that keep waking nobody check the registered pids and clear the dead ones.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "shmq/layout/region_layout.h"

namespace shmq::engine {

class WaitSetRegistration {
  public:
    // Registers the calling process; registered() is false when all 64 cells are taken (the
    // caller then polls with short sleeps instead).
    WaitSetRegistration(layout::WaitSet& set, std::uint32_t pid) noexcept;
    ~WaitSetRegistration();
    WaitSetRegistration(const WaitSetRegistration&) = delete;
    WaitSetRegistration& operator=(const WaitSetRegistration&) = delete;
    [[nodiscard]] bool registered() const noexcept { return index_ >= 0; }

  private:
    layout::WaitSet& set_;
    int index_ = -1;
};

// Blocks until the futex word moves from seen, a wake, or timeout_ns passes (<= 0: returns).
void wait_on(layout::WaitSet& set, std::uint32_t seen, std::int64_t timeout_ns) noexcept;
// Wakes up to count sleepers when any are registered. Pairs with the registration (seq_cst
// mask load after the caller's seq_cst publication).
void wake(layout::WaitSet& set, int count) noexcept;
// FUTEX_WAKE on a bare shared word (no WaitSet bookkeeping).
void futex_wake_word(std::atomic<std::uint32_t>& word, int count) noexcept;
// Sleeps until any of words moves from its value in seen, or timeout_ns passes
// (futex_waitv; where the kernel lacks it, a plain sleep of timeout_ns).
void futex_wait_any(std::span<std::atomic<std::uint32_t>* const> words, std::span<const std::uint32_t> seen,
                    std::int64_t timeout_ns) noexcept;

// Drops registrations of pid (used when recovering a dead process).
void forget_sleeper(layout::WaitSet& set, std::uint32_t pid) noexcept;

} // namespace shmq::engine
