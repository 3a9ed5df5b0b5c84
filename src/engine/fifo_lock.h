// FifoLock: holds a FIFO queue's robust mutex for one critical section. EOWNERDEAD (the last
// holder died inside) makes the locker rebuild groups from slot states before going on; a
// rebuild asked for during the section (tombstones piling up) runs before the unlock.
#pragma once

#include <pthread.h>

#include <cerrno>

#include "engine/queue_engine.h"
#include "shmq/limits.h"

namespace shmq::engine {

// Holds the FIFO mutex. EOWNERDEAD: the previous holder died mid-change; rebuild, then go on.
class FifoLock {
  public:
    explicit FifoLock(QueueEngine& engine) : engine_(engine), mutex_(engine.region_->fifo_header().mutex) {
        // Critical sections are short: spin on trylock first, so a contended lock costs a few
        // hundred ns instead of a futex sleep and a ~40 µs wake-up on these machines.
        int rc = EBUSY;
        for (std::uint32_t spin = 0; spin < limits::spin_before_sleep && rc == EBUSY; ++spin) {
            rc = pthread_mutex_trylock(&mutex_);
            if (rc == EBUSY) {
                __builtin_ia32_pause();
            }
        }
        if (rc == EBUSY) {
            rc = pthread_mutex_lock(&mutex_);
        }
        if (rc == EOWNERDEAD) {
            engine_.fifo_repair();
            pthread_mutex_consistent(&mutex_);
        }
        locked_ = rc == 0 || rc == EOWNERDEAD;
    }
    ~FifoLock() {
        if (locked_) {
            if (engine_.fifo_rebuild_pending_) {
                engine_.fifo_repair(); // tombstones piled up: compact while we hold the lock
            }
            pthread_mutex_unlock(&mutex_);
        }
    }
    FifoLock(const FifoLock&) = delete;
    FifoLock& operator=(const FifoLock&) = delete;
    [[nodiscard]] bool locked() const noexcept { return locked_; }

  private:
    QueueEngine& engine_;
    pthread_mutex_t& mutex_;
    bool locked_ = false;
};

} // namespace shmq::engine
