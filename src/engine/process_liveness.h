// Whether a process we recorded (pid and start time) still runs: dead-process recovery, and
// Durability=sync senders checking on shmqd.
#pragma once

#include <cstdint>

namespace shmq::engine {

// Start time of a process in clock ticks (field 22 of /proc/<pid>/stat); 0 if unreadable.
[[nodiscard]] std::uint64_t process_start_ticks(std::uint32_t pid);
// False when pid is gone or now names another process (start_ticks 0: not checked).
[[nodiscard]] bool process_alive(std::uint32_t pid, std::uint64_t start_ticks);

} // namespace shmq::engine
