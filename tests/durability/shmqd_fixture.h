// What the shmqd tests share: a temporary data directory, the real shmqd binary started and
// stopped, a reboot's loss of shared memory, and reading a queue back.
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
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

inline std::string file_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// shmqd with the given arguments, its stderr written to stderr_path.
inline ChildProcess exec_capturing_stderr(const std::vector<std::string>& arguments, const std::string& stderr_path) {
    return ChildProcess::fork_run([&] {
        const int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
            return 126;
        }
        std::vector<char*> argv{const_cast<char*>(SHMQD_BINARY)};
        for (const std::string& argument : arguments) {
            argv.push_back(const_cast<char*>(argument.c_str()));
        }
        argv.push_back(nullptr);
        execv(SHMQD_BINARY, argv.data());
        return 127;
    });
}

struct Run {
    int status = 0;
    std::string stdout_text;
    std::string stderr_text;
};

// shmqd run to its end: a refusal or a --quarantine (it must not start serving).
inline Run run_to_exit(const std::vector<std::string>& arguments, const DataDir& data) {
    const std::string stderr_path = data.path + ".err";
    ChildProcess child = exec_capturing_stderr(arguments, stderr_path);
    Run run;
    const std::string first_line = child.read_line();
    if (first_line.starts_with("shmqd listening")) {
        child.kill_now();
        (void)child.wait();
        FAIL("shmqd started where it should have refused");
    }
    run.stdout_text = first_line.empty() ? child.read_all() : first_line + "\n" + child.read_all();
    run.status = child.wait();
    run.stderr_text = file_text(stderr_path);
    std::filesystem::remove(stderr_path);
    return run;
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
