// Process liveness from kill(pid, 0) and /proc/<pid>/stat (see process_liveness.h).
#include "engine/process_liveness.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace shmq::engine {

namespace {

// State (field 3) and start time (field 22) of /proc/<pid>/stat; false if unreadable.
bool read_stat(std::uint32_t pid, char& state, std::uint64_t& start_ticks) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(file, text)) {
        return false;
    }
    const std::size_t close = text.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos || close + 2 >= text.size()) {
        return false;
    }
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    for (int index = 3; index <= 22 && rest >> field; ++index) {
        if (index == 3) {
            state = field.empty() ? '?' : field[0];
        } else if (index == 22) {
            start_ticks = std::strtoull(field.c_str(), nullptr, 10);
            return true;
        }
    }
    return false;
}

} // namespace

std::uint64_t process_start_ticks(std::uint32_t pid) {
    char state = '?';
    std::uint64_t start_ticks = 0;
    return read_stat(pid, state, start_ticks) ? start_ticks : 0;
}

bool process_alive(std::uint32_t pid, std::uint64_t start_ticks) {
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        return false;
    }
    char state = '?';
    std::uint64_t actual_ticks = 0;
    if (!read_stat(pid, state, actual_ticks)) {
        return start_ticks == 0; // cannot tell: alive only if we never knew more than the pid
    }
    // A zombie (dead, not yet reaped) does nothing any more; same pid with another start time
    // is another process (pid reuse).
    return state != 'Z' && state != 'X' && (start_ticks == 0 || actual_ticks == start_ticks);
}

ProcessWatch::~ProcessWatch() {
    forget();
}

void ProcessWatch::forget() noexcept {
    if (pidfd_ >= 0) {
        ::close(pidfd_);
    }
    pidfd_ = -1;
    pid_ = 0;
    start_ticks_ = 0;
}

bool ProcessWatch::alive(std::uint32_t pid, std::uint64_t start_ticks) noexcept {
    if (pid == 0) {
        return false;
    }
    if (pidfd_ >= 0 && pid == pid_ && start_ticks == start_ticks_) {
        pollfd exited{pidfd_, POLLIN, 0};
        const int ready = ::poll(&exited, 1, 0);
        if (ready >= 0) {
            return ready == 0;
        }
        // poll failed (EINTR, ENOMEM): fall through to a fresh look.
    }
    forget();
#ifdef SYS_pidfd_open
    const long fd = ::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0);
#else
    const long fd = -1;
#endif
    // Opened first, checked second: a process that still has (pid, start_ticks) after the open
    // is the one the pidfd refers to (it held pid before we read its claim, and a pid belongs to
    // one process for that process's whole life).
    const bool is_alive = process_alive(pid, start_ticks);
    if (fd >= 0) {
        if (is_alive) {
            pidfd_ = static_cast<int>(fd);
            pid_ = pid;
            start_ticks_ = start_ticks;
        } else {
            ::close(static_cast<int>(fd));
        }
    }
    return is_alive;
}

} // namespace shmq::engine
