// The CPU hint for a busy-wait iteration, so a spinning peer yields pipeline resources to the
// other hardware thread and does not flood the cache-coherence fabric.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace shmq_bench {

inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

} // namespace shmq_bench
