// A peer process for one benchmark run: fork() a child that runs one function and then
// _exit()s, with a small shared mapping (PeerControl) through which parent and child agree on
// when to start and stop and pass back a few figures.
//
// Invariants: parent and child each open their own shmq handles (a Queue belongs to the
// process that opened it; nothing opened before fork is used by the child). The child never
// returns into Google Benchmark: it leaves with _exit, so no atexit handler or reporter runs
// twice. Every wait is bounded by a deadline.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>

namespace shmq_bench {

// Lives in a MAP_SHARED | MAP_ANONYMOUS page shared by parent and child.
struct PeerControl {
    std::atomic<std::uint32_t> child_ready{0}; // child: handles open, waiting for go
    std::atomic<std::uint32_t> go{0};          // parent: start the timed work
    std::atomic<std::uint32_t> stop{0};        // parent: leave the loop and exit
    std::atomic<std::uint32_t> child_failed{0};
    char child_error[256] = {};
    // Figures the child reports back; read by the parent after join().
    std::int64_t result_i64[4] = {};
};

class ForkedPeer {
  public:
    // Body of the child; returns false (after calling fail()) when something went wrong.
    using Body = std::function<bool(PeerControl& control)>;

    // Forks; the child pins itself to child_cpu (< 0: no pinning) and runs body.
    explicit ForkedPeer(const Body& body, int child_cpu);
    ForkedPeer(const ForkedPeer&) = delete;
    ForkedPeer& operator=(const ForkedPeer&) = delete;
    // Stops and joins the child if the caller has not.
    ~ForkedPeer();

    [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
    [[nodiscard]] PeerControl& control() noexcept { return *control_; }

    // Waits (bounded) until the child has opened its handles. False: child failed or timed out.
    [[nodiscard]] bool wait_ready(double timeout_s = 10.0);
    void go() noexcept { control_->go.store(1, std::memory_order_release); }
    void request_stop() noexcept { control_->stop.store(1, std::memory_order_release); }
    // True while the child runs; cheap enough to call every few thousand empty polls.
    [[nodiscard]] bool child_alive();
    // request_stop (unless stop is false: the child ends by itself), then waits (bounded;
    // SIGKILL after timeout_s). True: the child exited 0 and reported no failure.
    bool join(double timeout_s = 10.0, bool stop = true);
    // The child's failure text, or a description of how it ended.
    [[nodiscard]] std::string failure() const;

    // Child side: record why it failed.
    static void fail(PeerControl& control, const std::string& message) noexcept;

  private:
    PeerControl* control_ = nullptr;
    pid_t pid_ = -1;
    int exit_status_ = 0;
    bool joined_ = false;
};

// Pins the calling process to one CPU; false if that is impossible (fewer CPUs, cgroup).
bool pin_to_cpu(int cpu) noexcept;

// Child side: spins (with pause) until the parent says go or stop. False on stop or timeout.
bool wait_for_go(PeerControl& control, double timeout_s = 30.0) noexcept;

} // namespace shmq_bench
