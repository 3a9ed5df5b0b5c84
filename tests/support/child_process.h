// Real child processes for cross-process tests: fork (optionally exec with extra environment),
// a pipe for the child's stdout, SIGKILL, and reaping with the exit status.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <utility>
#include <vector>

namespace shmq::testing {

class ChildProcess {
  public:
    // Runs body() in a forked child whose stdout is piped to us (or appended to output_path, for
    // chatty children nobody reads while they run); the child exits with body's return.
    static ChildProcess fork_run(const std::function<int()>& body, const std::string& output_path = {}) {
        ChildProcess child;
        int fds[2];
        if (pipe(fds) != 0) {
            throw std::runtime_error("pipe failed");
        }
        child.pid_ = fork();
        if (child.pid_ == 0) {
            close(fds[0]);
            if (output_path.empty()) {
                dup2(fds[1], STDOUT_FILENO);
            } else {
                const int file = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
                dup2(file, STDOUT_FILENO);
                close(file);
            }
            close(fds[1]);
            const int rc = body();
            fflush(stdout);
            _exit(rc);
        }
        close(fds[1]);
        child.stdout_fd_ = fds[0];
        return child;
    }

    // fork + exec of program with arguments and extra environment variables.
    static ChildProcess exec(const std::string& program, const std::vector<std::string>& arguments,
                             const std::map<std::string, std::string>& environment = {},
                             const std::string& output_path = {}) {
        return fork_run(
            [&] {
                for (const auto& [key, value] : environment) {
                    setenv(key.c_str(), value.c_str(), 1);
                }
                std::vector<char*> argv;
                argv.push_back(const_cast<char*>(program.c_str()));
                for (const std::string& argument : arguments) {
                    argv.push_back(const_cast<char*>(argument.c_str()));
                }
                argv.push_back(nullptr);
                execv(program.c_str(), argv.data());
                return 127;
            },
            output_path);
    }

    ChildProcess(ChildProcess&& other) noexcept
        : pid_(std::exchange(other.pid_, -1)), stdout_fd_(std::exchange(other.stdout_fd_, -1)) {}
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (stdout_fd_ >= 0) {
            close(stdout_fd_);
        }
    }

    [[nodiscard]] pid_t pid() const { return pid_; }
    void kill_now() const { kill(pid_, SIGKILL); }

    // Reaps the child and returns its wait status.
    int wait() {
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

    // True once the child has ended (it is then reaped; status_out gets its wait status).
    bool exited(int* status_out = nullptr) {
        int status = 0;
        if (pid_ < 0 || waitpid(pid_, &status, WNOHANG) != pid_) {
            return pid_ < 0;
        }
        pid_ = -1;
        if (status_out != nullptr) {
            *status_out = status;
        }
        return true;
    }

    // Everything the child wrote (reads to EOF: call after it ended or was killed).
    std::string read_all() {
        std::string out;
        char buffer[65536];
        ssize_t got = 0;
        while ((got = read(stdout_fd_, buffer, sizeof buffer)) > 0) {
            out.append(buffer, static_cast<std::size_t>(got));
        }
        return out;
    }

    // Reads one line (blocking); empty at EOF.
    std::string read_line() {
        std::string line;
        char c = 0;
        while (read(stdout_fd_, &c, 1) == 1) {
            if (c == '\n') {
                return line;
            }
            line.push_back(c);
        }
        return line;
    }

  private:
    ChildProcess() = default;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
};

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        lines.push_back(line);
    }
    return lines;
}

} // namespace shmq::testing
