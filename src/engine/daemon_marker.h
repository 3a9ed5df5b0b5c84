// The mark a running shmqd leaves in its namespace directory (shmqd.pid: its pid and start
// time), so that clients know a daemon journals the namespace: CreateQueue then makes queues
// Durability=async unless told otherwise (issue 4: "default async when a daemon runs"), and a
// Durability=sync send to a queue the daemon has not taken on yet (created a moment ago) waits
// for it to. Queues keep the Durability they were created with.
#pragma once

#include <cstdint>
#include <string>

#include "shmq/error.h"

namespace shmq::engine {

// shmqd: marks the namespace as served by this process (replacing a dead daemon's mark).
[[nodiscard]] Status mark_daemon(const std::string& namespace_dir, std::uint32_t pid, std::uint64_t start_ticks);
// shmqd, stopping: removes the mark if it is still its own.
void unmark_daemon(const std::string& namespace_dir, std::uint32_t pid);
// Whether a live shmqd marked the namespace.
[[nodiscard]] bool daemon_serves(const std::string& namespace_dir);

} // namespace shmq::engine
