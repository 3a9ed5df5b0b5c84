// Durable sends (issue 4; see scenarios.h, "durable"): the real shmqd binary (SHMQD_BINARY) runs
// for every invocation of a scenario, on a fresh directory under the bench data directory (the
// journal scenarios' one: $SHMQ_BENCH_DATA_DIR, else ./shmq-bench-journal-<pid>; never tmpfs)
// and in this run's namespace. It is started with --data-dir and --namespace, unpinned (the
// benchmark process pins itself and a child would inherit that), its stderr in
// <dir>/shmqd.log; the run waits for "shmqd ready" on its stdout and then until the spare journal
// segment shmqd zero-fills in the background after that line is on disk, so that 64 MiB of
// writeback does not land in the timed loop. At the end it is stopped with SIGTERM and must exit
// 0; its journal is then read back (journal::scan_journal) to check the run:
//   async: every message the producer had acknowledged was received; the journal holds no
//          message live (every one journaled as sent is journaled as deleted, since all were).
//   sync:  no send failed, and the journal holds exactly one message_sent record per message
//          whose send returned (the untimed warm-up sends included). A batch run times each
//          send_batch call as one send and counts its messages as items.
// Any failure is a SkipWithError. Counters: shmqd_cpu (shmqd's CPU time over the timed wall
// time, all its threads: 1 = one core), and for async journaled_per_msg (message_sent records
// per message sent: a message deleted before shmqd copied it is never journaled).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_environment.h"
#include "forked_peer.h"
#include "journal/journal_writer.h"
#include "journal/record.h"
#include "scenarios.h"
#include "shmq/limits.h"
#include "shmq/queue.h"
#include "shmq_helpers.h"

#ifndef SHMQD_BINARY
#error "SHMQD_BINARY (the path of the shmqd executable) must be defined by the build"
#endif

namespace shmq_bench {

namespace {

// shmqd zero-fills and flushes a 64 MiB segment before it reports ready.
constexpr double shmqd_start_timeout_s = 60.0;
constexpr double shmqd_stop_timeout_s = 30.0;
constexpr double spare_segment_timeout_s = 60.0;
// A Durability=sync queue no timed run can fill (senders never wait for a free slot).
constexpr std::uint32_t sync_slot_count = 1u << 20;
// Untimed sync sends before the clock runs: shmqd serves the queue, the path is warm.
constexpr std::uint32_t sync_warmup_sends = 16;

using SteadyClock = std::chrono::steady_clock;

std::int64_t process_cpu_ns(pid_t pid) {
    clockid_t clock{};
    timespec now{};
    if (::clock_getcpuclockid(pid, &clock) != 0 || ::clock_gettime(clock, &now) != 0) {
        return -1;
    }
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

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

struct MessageRecords {
    std::uint64_t sent = 0;
    std::uint64_t deleted = 0;
};

// One shmqd process serving this run's namespace, on its own directory (removed with it). A
// thread reaps it the moment it exits: a zombie still counts as a live shmqd for Durability=sync
// senders (its pid and start time still match), who would then wait for it forever.
class Shmqd {
  public:
    // nullptr with error when it did not start, report ready, or prepare its spare segment.
    static std::unique_ptr<Shmqd> start(std::string& error);
    ~Shmqd();
    Shmqd(const Shmqd&) = delete;
    Shmqd& operator=(const Shmqd&) = delete;

    [[nodiscard]] std::int64_t cpu_ns() const { return process_cpu_ns(pid_); }
    // From "shmqd ready" until its spare segment was on disk.
    [[nodiscard]] double spare_wait_ms() const noexcept { return spare_wait_ms_; }
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
    [[nodiscard]] std::string log_tail() const { return read_tail(directory_ + "/shmqd.log", 600); }

    std::string directory_;
    pid_t pid_ = -1;
    int stdout_fd_ = -1; // kept open until it exits: a write to a closed pipe would kill it
    double spare_wait_ms_ = 0;
    std::thread reaper_;
    mutable std::mutex mutex_;
    std::condition_variable exited_cv_;
    bool exited_ = false; // guarded by mutex_: pid_ may be reused once set
    int exit_status_ = 0;
};

std::uint64_t shmqd_runs = 0;

std::unique_ptr<Shmqd> Shmqd::start(std::string& error) {
    const std::string* data = bench_data_directory(error);
    if (data == nullptr) {
        return nullptr;
    }
    std::unique_ptr<Shmqd> daemon(new Shmqd());
    daemon->directory_ = *data + "/shmqd-" + std::to_string(++shmqd_runs);
    std::error_code code;
    std::filesystem::remove_all(daemon->directory_, code);
    if (!std::filesystem::create_directories(daemon->directory_, code)) {
        error = "creating " + daemon->directory_ + ": " + code.message();
        return nullptr;
    }
    const std::string log_path = daemon->directory_ + "/shmqd.log";
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
                                       BenchEnvironment::get().namespace_name()};
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
    if (!daemon->wait_ready(error) || !daemon->wait_spare_segment(error)) {
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
    std::error_code code;
    std::filesystem::remove_all(directory_, code);
}

bool Shmqd::wait_ready(std::string& error) {
    const auto deadline = SteadyClock::now() + std::chrono::duration<double>(shmqd_start_timeout_s);
    std::string line;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) {
            error = "shmqd did not report ready within " + std::to_string(shmqd_start_timeout_s) + " s; log: " + log_tail();
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
            error = "shmqd's spare journal segment was not prepared within " +
                    std::to_string(spare_segment_timeout_s) + " s; log: " + log_tail();
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

// CPU share of shmqd over a span of wall time (1 = one core busy).
double cpu_share(std::int64_t cpu_ns, std::int64_t wall_ns) {
    return wall_ns > 0 && cpu_ns >= 0 ? static_cast<double>(cpu_ns) / static_cast<double>(wall_ns) : -1;
}

// --- Durability=sync: state shared by the sender threads of one run (Setup to Teardown) ---

struct alignas(64) SenderFigures {
    std::vector<std::int64_t> latencies_ns;
    std::uint64_t acknowledged = 0;
    bool failed = false;
};

struct SyncRun {
    std::string error; // Setup could not prepare the run
    std::string queue_name;
    std::unique_ptr<Shmqd> daemon;
    std::uint64_t warmup_acknowledged = 0;
    std::vector<SenderFigures> senders; // one per thread, each written by its thread only
};

SyncRun& sync_run() {
    static SyncRun run;
    return run;
}

std::uint32_t durable_round = 0; // a fresh queue per invocation, also across repetitions

} // namespace

void durable_async_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch) {
    auto& environment = BenchEnvironment::get();
    shmq::QueueCapacity capacity;
    capacity.slot_count = throughput_slot_count; // as shmq/throughput's memory queue
    const std::string queue_name = environment.create_fresh_queue(
        "durable-async-" + std::to_string(durable_round++), {{"Durability", "async"}}, capacity);
    std::string error;
    auto queue = queue_name.empty() ? std::nullopt : open_queue(queue_name, error);
    if (!queue) {
        state.SkipWithError((environment.error() + error).c_str());
        return;
    }
    const auto finish = [&] {
        queue.reset();
        environment.drop_queue(queue_name);
    };
    auto daemon = Shmqd::start(error);
    if (!daemon) {
        state.SkipWithError(error.c_str());
        finish();
        return;
    }
    std::uint64_t moved = 0;
    std::uint64_t sent = 0;
    std::int64_t shmqd_cpu_ns = -1;
    std::int64_t wall_ns = 0;
    {
        ForkedPeer producer([&](PeerControl& control) { return produce(control, queue_name, body_bytes, batch); },
                            environment.child_cpu());
        if (!start_peer(state, producer)) {
            finish();
            return;
        }
        const std::int64_t cpu_before = daemon->cpu_ns();
        const std::int64_t wall_before = monotonic_ns();
        moved = consume_timed(state, *queue, producer, batch);
        wall_ns = monotonic_ns() - wall_before;
        shmqd_cpu_ns = cpu_before < 0 ? -1 : daemon->cpu_ns() - cpu_before;
        if (!producer.join() && !state.error_occurred()) {
            state.SkipWithError(("producer: " + producer.failure()).c_str());
        }
        sent = static_cast<std::uint64_t>(producer.control().result_i64[0]);
    }
    // Deleted while shmqd still runs, so that their deletions are journaled too.
    const std::uint64_t received = moved + drain(*queue);
    MessageRecords records;
    if (!daemon->stop(error) || !daemon->count_message_records(records, error)) {
        if (!state.error_occurred()) {
            state.SkipWithError(error.c_str());
        }
    } else if (!state.error_occurred()) {
        if (received != sent) {
            state.SkipWithError(("producer had " + std::to_string(sent) + " messages acknowledged, consumer received " +
                                 std::to_string(received))
                                    .c_str());
        } else if (records.sent > sent || records.sent != records.deleted) {
            state.SkipWithError(("journal: " + std::to_string(records.sent) + " messages sent, " +
                                 std::to_string(records.deleted) + " deleted, for " + std::to_string(sent) +
                                 " messages sent and all deleted")
                                    .c_str());
        }
    }
    daemon.reset();
    finish();
    state.SetItemsProcessed(static_cast<std::int64_t>(moved));
    state.SetBytesProcessed(static_cast<std::int64_t>(moved * body_bytes));
    state.counters["shmqd_cpu"] = benchmark::Counter(cpu_share(shmqd_cpu_ns, wall_ns));
    state.counters["journaled_per_msg"] =
        benchmark::Counter(sent > 0 ? static_cast<double>(records.sent) / static_cast<double>(sent) : 0);
}

void durable_sync_setup(const benchmark::State& state) {
    SyncRun& run = sync_run();
    run = SyncRun{};
    run.senders.resize(static_cast<std::size_t>(state.threads()));
    auto& environment = BenchEnvironment::get();
    shmq::QueueCapacity capacity;
    capacity.slot_count = sync_slot_count;
    run.queue_name = environment.create_fresh_queue("durable-sync-" + std::to_string(durable_round++),
                                                    {{"Durability", "sync"}}, capacity);
    if (run.queue_name.empty()) {
        run.error = environment.error();
        return;
    }
    run.daemon = Shmqd::start(run.error);
    if (!run.daemon) {
        return;
    }
    auto queue = open_queue(run.queue_name, run.error);
    if (!queue) {
        return;
    }
    std::array<char, small_body_bytes> body{};
    body.fill('w');
    const shmq::SendEntry entry{.body = std::string_view(body.data(), body.size())};
    for (std::uint32_t i = 0; i < sync_warmup_sends; ++i) {
        stamp_sequence(body.data(), i);
        if (auto sent = queue->send(entry); !sent) {
            run.error = "warm-up Durability=sync send: " + sent.error().message;
            return;
        }
        ++run.warmup_acknowledged;
    }
}

void durable_sync_teardown(const benchmark::State& /*state*/) {
    SyncRun& run = sync_run();
    run.daemon.reset(); // killed if still running; its directory removed
    if (!run.queue_name.empty()) {
        BenchEnvironment::get().drop_queue(run.queue_name);
    }
    run = SyncRun{};
}

void durable_sync_send(benchmark::State& state, std::uint32_t batch) {
    SyncRun& run = sync_run();
    const auto index = static_cast<std::size_t>(state.thread_index());
    std::string error = run.error;
    if (error.empty() && (index >= run.senders.size() || !run.daemon)) {
        error = "durable/sync: the run was not set up (register with durable_sync_setup/teardown)";
    }
    std::optional<shmq::Queue> queue;
    if (error.empty()) {
        queue = open_queue(run.queue_name, error); // one handle per thread
    }
    if (!queue) {
        state.SkipWithError(error.c_str());
        for (auto _ : state) { // no iteration; keeps the threads' start and stop barriers in step
        }
        return;
    }
    SenderFigures& mine = run.senders[index];
    mine.latencies_ns.reserve(static_cast<std::size_t>(state.max_iterations));
    // batch 1: send(); otherwise send_batch() of `batch` entries, each timed as one send.
    std::array<std::array<char, small_body_bytes>, shmq::limits::send_batch_max> bodies{};
    std::array<shmq::SendEntry, shmq::limits::send_batch_max> entries{};
    std::array<shmq::SendOutcome, shmq::limits::send_batch_max> outcomes{};
    batch = std::clamp<std::uint32_t>(batch, 1, shmq::limits::send_batch_max);
    for (std::uint32_t i = 0; i < batch; ++i) {
        bodies[i].fill('p');
        entries[i] = shmq::SendEntry{.body = std::string_view(bodies[i].data(), bodies[i].size())};
    }
    std::uint32_t sequence = static_cast<std::uint32_t>(index) << 24;
    std::int64_t cpu_before = 0;
    std::int64_t wall_before = 0;
    if (index == 0) {
        cpu_before = run.daemon->cpu_ns();
        wall_before = monotonic_ns();
    }
    for (auto _ : state) {
        for (std::uint32_t i = 0; i < batch; ++i) {
            stamp_sequence(bodies[i].data(), sequence++);
        }
        // SendOptions{}: durable_wait_ns 0, no shmqd is an error.
        const std::int64_t before = monotonic_ns();
        std::string failure;
        if (batch == 1) {
            if (auto sent = queue->send(entries[0]); !sent) {
                failure = sent.error().message;
            }
        } else {
            const shmq::Status status = queue->send_batch({entries.data(), batch}, {outcomes.data(), batch});
            if (!status) {
                failure = status.message();
            }
            for (std::uint32_t i = 0; i < batch && status && failure.empty(); ++i) {
                if (outcomes[i].error != shmq::Errc::ok) {
                    failure = queue->explain_send_error(entries[i], outcomes[i].error).message();
                }
            }
        }
        const std::int64_t after = monotonic_ns();
        if (!failure.empty()) {
            mine.failed = true;
            state.SkipWithError(("Durability=sync send: " + failure).c_str());
            break;
        }
        mine.latencies_ns.push_back(after - before);
        mine.acknowledged += batch;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(mine.acknowledged));
    queue.reset();
    if (index != 0) {
        return;
    }
    // Thread 0, past Google Benchmark's stop barrier: every sender has finished sending.
    const std::int64_t wall_ns = monotonic_ns() - wall_before;
    const std::int64_t cpu_ns = cpu_before < 0 ? -1 : run.daemon->cpu_ns() - cpu_before;
    std::uint64_t acknowledged = run.warmup_acknowledged;
    bool any_failed = false;
    std::vector<std::int64_t> latencies_ns;
    for (const SenderFigures& sender : run.senders) {
        acknowledged += sender.acknowledged;
        any_failed = any_failed || sender.failed;
        latencies_ns.insert(latencies_ns.end(), sender.latencies_ns.begin(), sender.latencies_ns.end());
    }
    MessageRecords records;
    if (!run.daemon->stop(error) || !run.daemon->count_message_records(records, error)) {
        if (!state.error_occurred()) {
            state.SkipWithError(error.c_str());
        }
    } else if (!state.error_occurred() &&
               (records.sent < acknowledged || (!any_failed && records.sent != acknowledged) || records.deleted != 0)) {
        // Every send that returned must be in the journal; one that failed may be there too.
        state.SkipWithError(("journal: " + std::to_string(records.sent) + " messages sent, " +
                             std::to_string(records.deleted) + " deleted, for " + std::to_string(acknowledged) +
                             " Durability=sync sends that returned")
                                .c_str());
    }
    report_latency_percentiles(state, latencies_ns); // over every sender's sends
    state.counters["shmqd_cpu"] = benchmark::Counter(cpu_share(cpu_ns, wall_ns));
    state.counters["spare_wait_ms"] = benchmark::Counter(run.daemon->spare_wait_ms());
}

} // namespace shmq_bench
