// The system clock: CLOCK_REALTIME through the vDSO (no syscall on x86-64 Linux).
#include "shmq/clock.h"

#include <ctime>

namespace shmq {

std::int64_t SystemClock::now_ns() const noexcept {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

const SystemClock& SystemClock::instance() noexcept {
    static const SystemClock clock;
    return clock;
}

} // namespace shmq
