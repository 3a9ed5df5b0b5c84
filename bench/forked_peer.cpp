// See forked_peer.h.
#include "forked_peer.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>

#include "spin_pause.h"

namespace shmq_bench {

namespace {

using SteadyClock = std::chrono::steady_clock;

SteadyClock::time_point deadline_after(double seconds) {
    return SteadyClock::now() +
           std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
}

} // namespace

ForkedPeer::ForkedPeer(const Body& body, int child_cpu) {
    void* page = ::mmap(nullptr, sizeof(PeerControl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        return;
    }
    control_ = new (page) PeerControl{};
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (child_cpu >= 0) {
            (void)pin_to_cpu(child_cpu);
        }
        bool ok = false;
        { ok = body(*control_); }
        ::_exit(ok ? 0 : 1);
    }
    pid_ = pid;
}

ForkedPeer::~ForkedPeer() {
    if (pid_ > 0 && !joined_) {
        join();
    }
    if (control_ != nullptr) {
        control_->~PeerControl();
        ::munmap(control_, sizeof(PeerControl));
    }
}

bool ForkedPeer::wait_ready(double timeout_s) {
    if (pid_ <= 0) {
        return false;
    }
    const auto deadline = deadline_after(timeout_s);
    while (control_->child_ready.load(std::memory_order_acquire) == 0) {
        if (control_->child_failed.load(std::memory_order_acquire) != 0 || !child_alive() ||
            SteadyClock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return true;
}

bool ForkedPeer::child_alive() {
    if (pid_ <= 0 || joined_) {
        return false;
    }
    int status = 0;
    const pid_t result = ::waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
        joined_ = true;
        exit_status_ = status;
        return false;
    }
    return result == 0;
}

bool ForkedPeer::join(double timeout_s, bool stop) {
    if (pid_ <= 0) {
        return false;
    }
    if (stop) {
        request_stop();
    }
    if (!joined_) {
        const auto deadline = deadline_after(timeout_s);
        for (;;) {
            int status = 0;
            const pid_t result = ::waitpid(pid_, &status, WNOHANG);
            if (result == pid_ || result < 0) {
                exit_status_ = status;
                break;
            }
            if (SteadyClock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                exit_status_ = status;
                fail(*control_, "child did not stop in time; killed");
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        joined_ = true;
    }
    return WIFEXITED(exit_status_) && WEXITSTATUS(exit_status_) == 0 &&
           control_->child_failed.load(std::memory_order_acquire) == 0;
}

std::string ForkedPeer::failure() const {
    if (pid_ <= 0) {
        return "fork failed";
    }
    if (control_->child_failed.load(std::memory_order_acquire) != 0) {
        return std::string(control_->child_error);
    }
    if (joined_ && WIFSIGNALED(exit_status_)) {
        return "child killed by signal " + std::to_string(WTERMSIG(exit_status_));
    }
    if (joined_ && WIFEXITED(exit_status_)) {
        return "child exited with " + std::to_string(WEXITSTATUS(exit_status_));
    }
    return "child failed";
}

void ForkedPeer::fail(PeerControl& control, const std::string& message) noexcept {
    const std::size_t length = std::min(message.size(), sizeof(control.child_error) - 1);
    std::memcpy(control.child_error, message.data(), length);
    control.child_error[length] = '\0';
    control.child_failed.store(1, std::memory_order_release);
}

bool pin_to_cpu(int cpu) noexcept {
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
        return false;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(cpu), &set);
    return ::sched_setaffinity(0, sizeof(set), &set) == 0;
}

bool wait_for_go(PeerControl& control, double timeout_s) noexcept {
    const auto deadline = deadline_after(timeout_s);
    std::uint32_t spins = 0;
    while (control.go.load(std::memory_order_acquire) == 0) {
        if (control.stop.load(std::memory_order_acquire) != 0) {
            return false;
        }
        spin_pause();
        if (++spins % 1024 == 0 && SteadyClock::now() > deadline) {
            return false;
        }
    }
    return control.stop.load(std::memory_order_acquire) == 0;
}

} // namespace shmq_bench
