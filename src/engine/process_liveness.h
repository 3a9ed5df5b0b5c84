// Whether a process we recorded (pid and start time) still runs: dead-process recovery, and
// Durability=sync senders checking on shmqd.
#pragma once

#include <cstdint>

namespace shmq::engine {

// Start time of a process in clock ticks (field 22 of /proc/<pid>/stat); 0 if unreadable.
[[nodiscard]] std::uint64_t process_start_ticks(std::uint32_t pid);
// False when pid is gone or now names another process (start_ticks 0: not checked).
[[nodiscard]] bool process_alive(std::uint32_t pid, std::uint64_t start_ticks);

// One process checked on often (a Durability=sync sender's shmqd, once or more per send): the
// first check of an identity (pid, start time) reads /proc as process_alive does and opens a
// pidfd, later checks of the same identity are one poll() on it (readable once the process has
// exited, zombie included). Where pidfds are unavailable every check is process_alive.
// Process-local; one thread at a time.
class ProcessWatch {
  public:
    ProcessWatch() = default;
    ~ProcessWatch();
    ProcessWatch(const ProcessWatch&) = delete;
    ProcessWatch& operator=(const ProcessWatch&) = delete;

    [[nodiscard]] bool alive(std::uint32_t pid, std::uint64_t start_ticks) noexcept;

  private:
    void forget() noexcept;

    int pidfd_ = -1; // refers to (pid_, start_ticks_), seen alive when opened
    std::uint32_t pid_ = 0;
    std::uint64_t start_ticks_ = 0;
};

} // namespace shmq::engine
