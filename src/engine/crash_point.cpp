// Crash points (see crash_point.h). The environment is read once per process.
#include "engine/crash_point.h"

#ifdef SHMQ_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace shmq::engine {
namespace {

struct CrashPlan {
    const char* name = std::getenv("SHMQ_CRASH_AT");
    long after = [] {
        const char* text = std::getenv("SHMQ_CRASH_AFTER");
        return text == nullptr ? 1L : std::strtol(text, nullptr, 10);
    }();
    std::atomic<long> hits{0};
};

CrashPlan& plan() {
    static CrashPlan instance;
    return instance;
}

} // namespace

void crash_point(const char* name) noexcept {
    CrashPlan& p = plan();
    if (p.name == nullptr || std::strcmp(p.name, name) != 0) {
        return;
    }
    if (p.hits.fetch_add(1, std::memory_order_relaxed) + 1 >= p.after) {
        kill(getpid(), SIGKILL);
    }
}

} // namespace shmq::engine
#endif
