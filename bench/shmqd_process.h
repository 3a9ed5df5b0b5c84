// Shmqd: the real shmqd binary (SHMQD_BINARY) as the durable, recovery and compaction scenarios
// run it: on a directory under the bench data directory (the journal scenarios' one, never tmpfs),
// in this run's namespace unless told another, unpinned (the benchmark process pins itself and a
// child would inherit that), its stderr in <dir>/<log_name>. start() returns once shmqd printed
// "shmqd ready" and, unless told not to, once the spare journal segment it zero-fills in the
// background after that line is on disk, so that its writeback does not land in a timed loop.
// A thread reaps shmqd the moment it exits: a zombie still counts as a live shmqd for
// Durability=sync senders (its pid and start time still match), who would then wait for it forever.
//
// Invariant: the destructor leaves no shmqd behind (SIGKILL if it still runs) and removes the
// directory when start() made it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>

namespace shmq_bench {

struct ShmqdOptions {
    // Empty: a fresh directory <bench data directory>/shmqd-<n>, removed with the Shmqd. Else this
    // one (made by new_shmqd_directory or holding an earlier shmqd's journal), which the caller
    // removes.
    std::string directory;
    std::string namespace_name;         // empty: BenchEnvironment's
    std::uint32_t segment_mib = 0;      // 0: shmqd's default (64)
    std::string log_name = "shmqd.log"; // in directory
    bool wait_spare_segment = true;
};

struct MessageRecords {
    std::uint64_t sent = 0;
    std::uint64_t deleted = 0;
    std::uint64_t records = 0; // of every type
};

// A fresh, empty directory under the bench data directory, or "" with error. The caller removes it.
[[nodiscard]] std::string new_shmqd_directory(std::string& error);

// CPU time of a process (all its threads), or -1.
[[nodiscard]] std::int64_t process_cpu_ns(pid_t pid);

class Shmqd {
  public:
    // nullptr with error when it did not start, report ready, or prepare its spare segment.
    static std::unique_ptr<Shmqd> start(std::string& error) { return start(ShmqdOptions{}, error); }
    static std::unique_ptr<Shmqd> start(const ShmqdOptions& options, std::string& error);
    ~Shmqd();
    Shmqd(const Shmqd&) = delete;
    Shmqd& operator=(const Shmqd&) = delete;

    [[nodiscard]] std::int64_t cpu_ns() const { return process_cpu_ns(pid_); }
    [[nodiscard]] const std::string& directory() const noexcept { return directory_; }
    [[nodiscard]] std::string journal_directory() const { return directory_ + "/journal"; }
    // From "shmqd ready" until its spare segment was on disk (0 when not waited for).
    [[nodiscard]] double spare_wait_ms() const noexcept { return spare_wait_ms_; }
    // Everything it wrote on stderr so far.
    [[nodiscard]] std::string log() const;
    // SIGTERM, then a bounded wait; true when it exited with status 0.
    bool stop(std::string& error);
    // The message records of its journal (read after stop).
    bool count_message_records(MessageRecords& records, std::string& error) const;

  private:
    Shmqd() = default;
    bool wait_ready(std::string& error);
    bool wait_spare_segment(std::string& error);
    // Waits up to timeout_s for the reaper; true (with its wait status) once shmqd has exited.
    bool wait_exit(double timeout_s, int& status);
    [[nodiscard]] std::string log_tail() const;

    std::string directory_;
    std::string log_path_;
    bool owns_directory_ = false;
    pid_t pid_ = -1;
    int stdout_fd_ = -1; // kept open until it exits: a write to a closed pipe would kill it
    double spare_wait_ms_ = 0;
    std::thread reaper_;
    mutable std::mutex mutex_;
    std::condition_variable exited_cv_;
    bool exited_ = false; // guarded by mutex_: pid_ may be reused once set
    int exit_status_ = 0;
};

} // namespace shmq_bench
