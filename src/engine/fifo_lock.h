// FifoLock: holds one of a FIFO queue's two robust mutexes (see layout/fifo_layout.h) for one
// critical section.
//  - FifoLock::group: EOWNERDEAD (the last holder died inside) makes the locker rebuild groups
//    from slot states before going on; a rebuild asked for during the section (tombstones piling
//    up) runs before the unlock.
//  - FifoLock::send: nothing to rebuild (a dead holder's half-written deduplication entry matches
//    nothing, and its unlisted messages are freed by its recovery).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cerrno>

#include "engine/queue_engine.h"
#include "shmq/limits.h"

namespace shmq::engine {

class FifoLock {
  public:
    enum Which : bool { send, group };

    FifoLock(QueueEngine& engine, Which which)
        : engine_(engine), mutex_(which == send ? engine.region_->fifo_header().send_mutex
                                                : engine.region_->fifo_header().group_mutex),
          which_(which) {
        // Critical sections are short: spin first, so a contended lock costs a few hundred ns
        // instead of a futex sleep and a ~40 µs wake-up on these machines. The spin reads the
        // lock word and tries only when it looks free, so waiters do not steal the holder's line.
        int rc = pthread_mutex_trylock(&mutex_);
        for (std::uint32_t spin = 0; spin < limits::spin_before_sleep && rc == EBUSY; ++spin) {
            __builtin_ia32_pause();
            if (std::atomic_ref<int>(mutex_.__data.__lock).load(std::memory_order_relaxed) == 0) {
                rc = pthread_mutex_trylock(&mutex_);
            }
        }
        if (rc == EBUSY) {
            rc = pthread_mutex_lock(&mutex_);
        }
        if (rc == EOWNERDEAD) {
            if (which_ == group) {
                engine_.fifo_repair();
            }
            pthread_mutex_consistent(&mutex_);
        }
        locked_ = rc == 0 || rc == EOWNERDEAD;
    }
    ~FifoLock() { unlock(); }
    // Ends the critical section before the end of the scope (a sync sender then waits for shmqd
    // without holding the send mutex).
    void unlock() noexcept {
        if (locked_) {
            if (which_ == group && engine_.fifo_rebuild_pending_) {
                engine_.fifo_repair(); // tombstones piled up: compact while we hold the lock
            }
            pthread_mutex_unlock(&mutex_);
            locked_ = false;
        }
    }
    FifoLock(const FifoLock&) = delete;
    FifoLock& operator=(const FifoLock&) = delete;
    [[nodiscard]] bool locked() const noexcept { return locked_; }

  private:
    QueueEngine& engine_;
    pthread_mutex_t& mutex_;
    Which which_;
    bool locked_ = false;
};

} // namespace shmq::engine
