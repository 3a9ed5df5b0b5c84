// What the shmqd tests share: a temporary data directory, the real shmqd binary started and
// stopped, a reboot's loss of shared memory, and reading a queue back.
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/test_namespace.h"

namespace shmq::testing {

struct DataDir {
    std::string path;
    DataDir() {
        path = (std::filesystem::temp_directory_path() / ("shmqd-test-" + std::to_string(getpid()))).string();
        std::filesystem::remove_all(path);
    }
    ~DataDir() { std::filesystem::remove_all(path); }
    DataDir(const DataDir&) = delete;
    DataDir& operator=(const DataDir&) = delete;

    [[nodiscard]] std::string journal() const { return path + "/journal"; }
    // The journal's segment files, oldest first.
    [[nodiscard]] std::vector<std::filesystem::path> segments() const {
        std::vector<std::filesystem::path> out;
        for (const auto& entry : std::filesystem::directory_iterator(journal())) {
            if (entry.path().extension() == ".seg") {
                out.push_back(entry.path());
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }
};

// Starts shmqd (extra arguments and environment as given; its HTTP endpoint on a free loopback
// port, whose URL goes to endpoint_url if asked) and waits until it has recovered, restored and
// journaled what exists.
inline ChildProcess start_daemon(const TestNamespace& ns, const DataDir& data,
                                 const std::vector<std::string>& extra_arguments = {},
                                 const std::map<std::string, std::string>& environment = {},
                                 std::string* endpoint_url = nullptr) {
    std::vector<std::string> arguments{"--data-dir", data.path, "--namespace", ns.name(), "--listen", "127.0.0.1:0"};
    arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
    ChildProcess daemon = ChildProcess::exec(SHMQD_BINARY, arguments, environment);
    const std::string listening = daemon.read_line();
    const std::string prefix = "shmqd listening on ";
    REQUIRE(listening.starts_with(prefix));
    if (endpoint_url != nullptr) {
        *endpoint_url = listening.substr(prefix.size());
    }
    REQUIRE(daemon.read_line() == "shmqd ready");
    return daemon;
}

inline void stop_daemon(ChildProcess& daemon) {
    kill(daemon.pid(), SIGTERM);
    const int status = daemon.wait();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

// Waits (up to 10 s) for a shmqd that is dying or about to die (a sync send just failed, or it
// hit a crash point) to be reaped; false if it never ended.
inline bool wait_for_exit(ChildProcess& daemon, int& status) {
    bool ended = daemon.exited(&status);
    for (int waited_ms = 0; !ended && waited_ms < 10'000; waited_ms += 10) {
        usleep(10'000);
        ended = daemon.exited(&status);
    }
    return ended;
}

// What a reboot does to shared memory: every region of the namespace is gone.
inline void wipe_regions(const TestNamespace& ns) {
    for (const auto& entry : std::filesystem::directory_iterator(ns.client().namespace_dir())) {
        std::filesystem::remove_all(entry.path());
    }
}

// Receives every visible message (and leaves it in flight), by MessageId text.
inline std::map<std::string, ReceivedMessage> receive_all(Queue& queue) {
    std::map<std::string, ReceivedMessage> out;
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    for (int round = 0; round < 100'000; ++round) {
        auto received = queue.receive(request);
        REQUIRE(received);
        if (received->empty()) {
            break;
        }
        for (ReceivedMessage& message : received.value()) {
            out.emplace(message.message_id.to_string(), std::move(message));
        }
    }
    return out;
}

} // namespace shmq::testing
