// Futex sleeping and waking on region wait sets (see wait_set.h).
#include "engine/wait_set.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>
#include <linux/futex.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <sys/syscall.h>

namespace shmq::engine {
namespace {

long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value, const timespec* timeout) {
    // FUTEX_WAIT/FUTEX_WAKE without _PRIVATE: the word is shared between processes.
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, timeout, nullptr, 0);
}

void prune_dead_sleepers(layout::WaitSet& set) {
    std::uint64_t mask = set.registered_mask.load(std::memory_order_acquire);
    while (mask != 0) {
        const int index = __builtin_ctzll(mask);
        mask &= mask - 1;
        const std::uint32_t pid = set.sleeper_pid[index].load(std::memory_order_acquire);
        if (pid != 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
            std::uint32_t expected = pid;
            if (set.sleeper_pid[index].compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
                set.registered_mask.fetch_and(~(std::uint64_t{1} << index), std::memory_order_acq_rel);
            }
        }
    }
}

} // namespace

WaitSetRegistration::WaitSetRegistration(layout::WaitSet& set, std::uint32_t pid) noexcept : set_(set) {
    for (int i = 0; i < static_cast<int>(limits::sleepers_max); ++i) {
        std::uint32_t expected = 0;
        if (set.sleeper_pid[i].compare_exchange_strong(expected, pid, std::memory_order_acq_rel)) {
            // seq_cst: the waker's ring publication and this bit are ordered against each other
            // (if the waker misses the bit, our re-check of the ring sees its message).
            set.registered_mask.fetch_or(std::uint64_t{1} << i, std::memory_order_seq_cst);
            index_ = i;
            return;
        }
    }
}

WaitSetRegistration::~WaitSetRegistration() {
    if (index_ >= 0) {
        set_.registered_mask.fetch_and(~(std::uint64_t{1} << index_), std::memory_order_acq_rel);
        set_.sleeper_pid[index_].store(0, std::memory_order_release);
    }
}

void wait_on(layout::WaitSet& set, std::uint32_t seen, std::int64_t timeout_ns) noexcept {
    if (timeout_ns <= 0) {
        return;
    }
    timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
    futex(set.futex_word, FUTEX_WAIT, seen, &timeout);
}

void wake(layout::WaitSet& set, int count) noexcept {
    if (set.registered_mask.load(std::memory_order_seq_cst) == 0) {
        return;
    }
    set.futex_word.fetch_add(1, std::memory_order_seq_cst);
    const long woken = futex(set.futex_word, FUTEX_WAKE, static_cast<std::uint32_t>(count), nullptr);
    if (woken == 0 && (set.zero_wakes.fetch_add(1, std::memory_order_relaxed) & 63u) == 63u) {
        prune_dead_sleepers(set);
    }
}

void forget_sleeper(layout::WaitSet& set, std::uint32_t pid) noexcept {
    for (std::uint32_t i = 0; i < limits::sleepers_max; ++i) {
        std::uint32_t expected = pid;
        if (set.sleeper_pid[i].compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
            set.registered_mask.fetch_and(~(std::uint64_t{1} << i), std::memory_order_acq_rel);
        }
    }
}

void futex_wake_word(std::atomic<std::uint32_t>& word, int count) noexcept {
    (void)futex(word, FUTEX_WAKE, static_cast<std::uint32_t>(count), nullptr);
}

void futex_wait_any(std::span<std::atomic<std::uint32_t>* const> words, std::span<const std::uint32_t> seen,
                    std::int64_t timeout_ns) noexcept {
    // struct futex_waitv of linux/futex.h (5.16+), spelled out: Debian 12's headers predate it.
    struct Waiter {
        std::uint64_t value;
        std::uint64_t address;
        std::uint32_t flags;
        std::uint32_t reserved;
    };
    constexpr std::uint32_t futex_32 = 2;
    constexpr long futex_waitv_syscall = 449;
    std::array<Waiter, 128> waiters{};
    const std::size_t count = std::min({words.size(), seen.size(), waiters.size()});
    for (std::size_t i = 0; i < count; ++i) {
        waiters[i] = Waiter{seen[i], reinterpret_cast<std::uint64_t>(words[i]), futex_32, 0};
    }
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += timeout_ns % 1'000'000'000;
    deadline.tv_sec += timeout_ns / 1'000'000'000 + deadline.tv_nsec / 1'000'000'000;
    deadline.tv_nsec %= 1'000'000'000;
    if (count == 0 ||
        (syscall(futex_waitv_syscall, waiters.data(), count, 0, &deadline, CLOCK_MONOTONIC) < 0 && errno == ENOSYS)) {
        const timespec pause{timeout_ns / 1'000'000'000, timeout_ns % 1'000'000'000};
        nanosleep(&pause, nullptr);
    }
}

} // namespace shmq::engine
