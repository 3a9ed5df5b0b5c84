// Goal: ProcessWatch (a Durability=sync sender's check on shmqd) says a process is gone as soon
// as it has exited, before its parent reaps it (a zombie journals nothing), and never mistakes
// another identity for the watched one. Method: fork a child that waits on a pipe, watch it,
// let it exit, check while it is a zombie and after reaping it.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sys/wait.h>
#include <thread>

#include "engine/process_liveness.h"

using shmq::engine::process_alive;
using shmq::engine::process_start_ticks;
using shmq::engine::ProcessWatch;

TEST_CASE("ProcessWatch: alive while it runs, gone once it exited (zombie included)", "[concurrency]") {
    int release[2] = {-1, -1};
    REQUIRE(::pipe(release) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(release[1]); // or our own copy would keep the pipe open
        char byte = 0;
        (void)!::read(release[0], &byte, 1);
        ::_exit(0);
    }
    ::close(release[0]);
    const auto pid = static_cast<std::uint32_t>(child);
    const std::uint64_t start_ticks = process_start_ticks(pid);
    REQUIRE(start_ticks != 0);
    ProcessWatch watch;
    CHECK(watch.alive(pid, start_ticks));
    CHECK(watch.alive(pid, start_ticks));           // the cached pidfd (or /proc again without pidfds)
    CHECK_FALSE(watch.alive(pid, start_ticks + 1)); // another process under the same pid
    CHECK(watch.alive(pid, start_ticks));
    CHECK_FALSE(watch.alive(0, 0));
    CHECK(watch.alive(pid, start_ticks));

    ::close(release[1]); // the child exits; nobody reaps it yet
    bool gone = false;
    for (int i = 0; i < 2000 && !gone; ++i) { // exit takes microseconds; 2 s is generous
        gone = !watch.alive(pid, start_ticks);
        if (!gone) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    CHECK(gone);
    CHECK_FALSE(process_alive(pid, start_ticks)); // a zombie is not alive for /proc either
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK_FALSE(watch.alive(pid, start_ticks));
}
