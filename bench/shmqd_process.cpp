// See shmqd_process.h.
#include "shmqd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <vector>

#include "bench_environment.h"
#include "journal/journal_writer.h"
#include "journal/record.h"
#include "scenarios.h"

#ifndef SHMQD_BINARY
#error "SHMQD_BINARY (the path of the shmqd executable) must be defined by the build"
#endif

namespace shmq_bench {

namespace {

// shmqd zero-fills and flushes a 64 MiB segment before it reports ready; a recovery of millions of
// messages also comes before that line.
constexpr double shmqd_start_timeout_s = 120.0;
constexpr double shmqd_stop_timeout_s = 30.0;
constexpr double spare_segment_timeout_s = 60.0;

using SteadyClock = std::chrono::steady_clock;

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

std::string read_tail(const std::string& path, std::size_t bytes) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    if (all.size() > bytes) {
        all = "..." + all.substr(all.size() - bytes);
    }
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) {
        all.pop_back();
    }
    return all;
}

std::uint64_t shmqd_runs = 0;

} // namespace

std::int64_t process_cpu_ns(pid_t pid) {
    clockid_t clock{};
    timespec now{};
    if (::clock_getcpuclockid(pid, &clock) != 0 || ::clock_gettime(clock, &now) != 0) {
        return -1;
    }
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::string new_shmqd_directory(std::string& error) {
    const std::string* data = bench_data_directory(error);
    if (data == nullptr) {
        return {};
    }
    const std::string directory = *data + "/shmqd-" + std::to_string(++shmqd_runs);
    std::error_code code;
    std::filesystem::remove_all(directory, code);
    if (!std::filesystem::create_directories(directory, code)) {
        error = "creating " + directory + ": " + code.message();
        return {};
    }
    return directory;
}

std::string Shmqd::log() const {
    return read_tail(log_path_, std::string::npos);
}

std::string Shmqd::log_tail() const {
    return read_tail(log_path_, 600);
}

std::unique_ptr<Shmqd> Shmqd::start(const ShmqdOptions& options, std::string& error) {
    std::unique_ptr<Shmqd> daemon(new Shmqd());
    daemon->owns_directory_ = options.directory.empty();
    daemon->directory_ = daemon->owns_directory_ ? new_shmqd_directory(error) : options.directory;
    if (daemon->directory_.empty()) {
        return nullptr;
    }
    daemon->log_path_ = daemon->directory_ + "/" + options.log_name;
    const std::string& log_path = daemon->log_path_;
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int pipe_fds[2] = {-1, -1};
    if (log_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        error = errno_text(log_fd < 0 ? "open " + log_path : std::string("pipe2"));
        if (log_fd >= 0) {
            ::close(log_fd);
        }
        return nullptr;
    }
    // Everything the child needs is made before fork: it only calls async-signal-safe functions.
    std::vector<std::string> arguments{SHMQD_BINARY, "--data-dir", daemon->directory_, "--namespace",
                                       options.namespace_name.empty() ? BenchEnvironment::get().namespace_name()
                                                                      : options.namespace_name,
                                       "--no-listen"};
    if (options.segment_mib > 0) {
        arguments.insert(arguments.end(), {"--segment-mib", std::to_string(options.segment_mib)});
    }
    std::vector<char*> argv;
    for (std::string& argument : arguments) {
        argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    cpu_set_t every_cpu;
    CPU_ZERO(&every_cpu);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        CPU_SET(static_cast<std::size_t>(cpu), &every_cpu); // the kernel keeps the allowed ones
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        (void)::sched_setaffinity(0, sizeof(every_cpu), &every_cpu);
        if (::dup2(pipe_fds[1], STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) {
            ::_exit(126);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    ::close(log_fd);
    if (pid < 0) {
        ::close(pipe_fds[0]);
        error = errno_text("fork");
        return nullptr;
    }
    daemon->pid_ = pid;
    daemon->stdout_fd_ = pipe_fds[0];
    daemon->reaper_ = std::thread([raw = daemon.get(), pid] {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        const std::lock_guard lock(raw->mutex_);
        raw->exited_ = true;
        raw->exit_status_ = status;
        raw->exited_cv_.notify_all();
    });
    if (!daemon->wait_ready(error) || (options.wait_spare_segment && !daemon->wait_spare_segment(error))) {
        return nullptr; // the destructor kills it
    }
    return daemon;
}

Shmqd::~Shmqd() {
    if (reaper_.joinable()) {
        {
            const std::lock_guard lock(mutex_);
            if (!exited_) {
                ::kill(pid_, SIGKILL);
            }
        }
        reaper_.join();
    }
    if (stdout_fd_ >= 0) {
        ::close(stdout_fd_);
    }
    if (owns_directory_) {
        std::error_code code;
        std::filesystem::remove_all(directory_, code);
    }
}

bool Shmqd::wait_ready(std::string& error) {
    const auto deadline = SteadyClock::now() + std::chrono::duration<double>(shmqd_start_timeout_s);
    std::string line;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) {
            error =
                "shmqd did not report ready within " + std::to_string(shmqd_start_timeout_s) + " s; log: " + log_tail();
            return false;
        }
        pollfd fd{stdout_fd_, POLLIN, 0};
        const int ready = ::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
        if (ready < 0 && errno != EINTR) {
            error = errno_text("poll on shmqd's stdout");
            return false;
        }
        if (ready <= 0) {
            continue;
        }
        char bytes[256];
        const ssize_t got = ::read(stdout_fd_, bytes, sizeof(bytes));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            error = "shmqd exited before it was ready; log: " + log_tail();
            return false;
        }
        line.append(bytes, static_cast<std::size_t>(got));
        if (const auto end = line.find('\n'); end != std::string::npos) {
            if (line.substr(0, end) != "shmqd ready") {
                error = "shmqd printed \"" + line.substr(0, end) + "\" instead of \"shmqd ready\"";
                return false;
            }
            return true;
        }
    }
}

// shmqd prints ready while a background thread still zero-fills and flushes the next segment
// (journal/spare.tmp, as large as the active one): wait until it is fully written, then flush it
// ourselves so that its writeback is over before the clock runs.
bool Shmqd::wait_spare_segment(std::string& error) {
    const std::string journal = directory_ + "/journal";
    const auto started = SteadyClock::now();
    const auto deadline = started + std::chrono::duration<double>(spare_segment_timeout_s);
    std::uint64_t segment_bytes = 0;
    for (;; std::this_thread::sleep_for(std::chrono::milliseconds(1))) {
        if (SteadyClock::now() > deadline) {
            error = "shmqd's spare journal segment was not prepared within " + std::to_string(spare_segment_timeout_s) +
                    " s; log: " + log_tail();
            return false;
        }
        std::error_code code;
        if (segment_bytes == 0) {
            for (const auto& entry : std::filesystem::directory_iterator(journal, code)) {
                if (entry.path().extension() == ".seg") {
                    segment_bytes = std::max<std::uint64_t>(segment_bytes, entry.file_size(code));
                }
            }
            continue;
        }
        struct stat spare {};
        if (::stat((journal + "/spare.tmp").c_str(), &spare) == 0 &&
            static_cast<std::uint64_t>(spare.st_size) >= segment_bytes) {
            break;
        }
    }
    const std::string spare_path = journal + "/spare.tmp";
    const int fd = ::open(spare_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fdatasync(fd) != 0) {
        error = errno_text("flushing " + spare_path);
        if (fd >= 0) {
            ::close(fd);
        }
        return false;
    }
    ::close(fd);
    spare_wait_ms_ = std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
    return true;
}

bool Shmqd::wait_exit(double timeout_s, int& status) {
    std::unique_lock lock(mutex_);
    if (!exited_cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] { return exited_; })) {
        return false;
    }
    status = exit_status_;
    return true;
}

bool Shmqd::stop(std::string& error) {
    {
        const std::lock_guard lock(mutex_);
        if (!exited_ && ::kill(pid_, SIGTERM) != 0) {
            error = errno_text("SIGTERM to shmqd");
            return false;
        }
    }
    int status = 0;
    if (!wait_exit(shmqd_stop_timeout_s, status)) {
        error = "shmqd did not stop within " + std::to_string(shmqd_stop_timeout_s) + " s of SIGTERM";
        return false; // the destructor kills it
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        error = WIFEXITED(status) ? "shmqd exited with status " + std::to_string(WEXITSTATUS(status))
                                  : "shmqd was killed by signal " + std::to_string(WTERMSIG(status));
        error += "; log: " + log_tail();
        return false;
    }
    return true;
}

bool Shmqd::count_message_records(MessageRecords& records, std::string& error) const {
    records = {};
    auto scan = shmq::journal::scan_journal(directory_ + "/journal", [&](const shmq::journal::RecordView& record) {
        records.sent += record.type == shmq::journal::RecordType::message_sent ? 1u : 0u;
        records.deleted += record.type == shmq::journal::RecordType::message_deleted ? 1u : 0u;
        ++records.records;
    });
    if (!scan) {
        error = "reading shmqd's journal: " + scan.error().message;
        return false;
    }
    if (scan->corrupt_regions != 0) {
        error = "shmqd's journal has " + std::to_string(scan->corrupt_regions) + " corrupt regions after a clean stop";
        return false;
    }
    return true;
}

} // namespace shmq_bench
