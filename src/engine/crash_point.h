// Fault injection for crash tests: SHMQ_CRASH_POINT("name") kills the calling process with
// SIGKILL when the environment says SHMQ_CRASH_AT=name (at the N-th hit with SHMQ_CRASH_AFTER=N).
// Compiled in only with SHMQ_FAULT_INJECTION (test builds); otherwise it is nothing.
#pragma once

#ifdef SHMQ_FAULT_INJECTION
namespace shmq::engine {
void crash_point(const char* name) noexcept;
}
#define SHMQ_CRASH_POINT(name) ::shmq::engine::crash_point(name)
#else
#define SHMQ_CRASH_POINT(name) ((void)0)
#endif
