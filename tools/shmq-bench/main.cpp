// shmq-bench: runs producer and consumer processes against one shmq queue and reports
// throughput, end-to-end latency percentiles and delivery counts (sent, received, deleted,
// redelivered, duplicates, missing). See bench_options.cpp for the flags.
//
// The parent only coordinates: it creates (or opens) the queue, forks the workers, starts them
// together, watches progress, decides when the run is over, then merges what the workers left
// in the shared RunState and deletes a queue it created.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <sys/wait.h>
#include <thread>

#include "bench_options.h"
#include "message_stamp.h"
#include "progress_line.h"
#include "run_report.h"
#include "run_state.h"
#include "shmq/client.h"
#include "workers.h"

namespace {

using namespace shmq_bench;

constexpr int exit_ok = 0;
constexpr int exit_error = 1;
constexpr int exit_missing = 2;
constexpr std::int64_t poll_interval_ns = 10'000'000;
constexpr std::int64_t start_timeout_ns = 30'000'000'000;
// Consumers give up when nothing arrives for this long once producers are done.
constexpr std::int64_t stall_timeout_ns = 10'000'000'000;
// Upper bound of a producer's rate, to size the sequence bitmaps of a --seconds run.
constexpr double producer_rate_bound_per_s = 80e6;

std::atomic<int> interrupt_count{0};

extern "C" void on_interrupt(int /*signal*/) {
    if (interrupt_count.fetch_add(1, std::memory_order_relaxed) >= 1) {
        // A second Ctrl-C: leave now (workers die with us through PR_SET_PDEATHSIG).
        ::signal(SIGINT, SIG_DFL);
        ::raise(SIGINT);
    }
}

std::uint64_t sequence_capacity(const BenchOptions& options) {
    if (options.messages > 0) {
        return (options.messages + options.producers - 1) / options.producers;
    }
    double per_producer = producer_rate_bound_per_s;
    if (options.rate_per_s > 0) {
        per_producer = std::min(per_producer, 2 * options.rate_per_s / options.producers + 1e6);
    }
    const double capacity = per_producer * options.seconds + 1e6;
    return static_cast<std::uint64_t>(std::min(capacity, static_cast<double>(MessageStamp::sequence_mask)));
}

std::uint64_t random_run_id() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device() ^ static_cast<std::uint64_t>(::getpid());
}

// Waits for every worker; kills any still running after timeout_ns.
void reap(std::vector<pid_t>& pids, std::int64_t timeout_ns, std::vector<std::string>& failures) {
    const std::int64_t deadline_ns = monotonic_ns() + timeout_ns;
    while (!pids.empty()) {
        for (auto it = pids.begin(); it != pids.end();) {
            int status = 0;
            const pid_t result = ::waitpid(*it, &status, WNOHANG);
            if (result == 0) {
                ++it;
                continue;
            }
            if (result == *it && WIFSIGNALED(status)) {
                failures.push_back("worker " + std::to_string(*it) + " killed by signal " +
                                   std::to_string(WTERMSIG(status)));
            }
            it = pids.erase(it);
        }
        if (!pids.empty() && monotonic_ns() > deadline_ns) {
            for (const pid_t pid : pids) {
                ::kill(pid, SIGKILL);
            }
            failures.push_back("workers did not stop in time; killed");
            for (const pid_t pid : pids) {
                ::waitpid(pid, nullptr, 0);
            }
            pids.clear();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

struct QueueChoice {
    std::string name;
    bool created = false;
    bool temporary = false;
};

shmq::Result<QueueChoice> choose_queue(const shmq::Client& client, const BenchOptions& options) {
    QueueChoice choice;
    choice.temporary = options.queue_name.empty();
    choice.name = choice.temporary ? "shmq-bench-" + std::to_string(::getpid()) : options.queue_name;
    if (!choice.temporary) {
        auto existing = client.get_queue_url(choice.name);
        if (existing) {
            return choice;
        }
        if (existing.code() != shmq::Errc::queue_does_not_exist) {
            return existing.error();
        }
    }
    shmq::QueueCapacity capacity;
    capacity.slot_count = options.slot_count;
    auto created = client.create_queue(choice.name, {}, {}, capacity);
    if (!created) {
        return created.error();
    }
    choice.created = true;
    return choice;
}

int run(const BenchOptions& options) {
    shmq::ClientOptions client_options;
    client_options.namespace_name = options.namespace_name;
    auto client = shmq::Client::open(client_options);
    if (!client) {
        std::cerr << "shmq-bench: " << client.error().message << '\n';
        return exit_error;
    }
    auto queue = choose_queue(*client, options);
    if (!queue) {
        std::cerr << "shmq-bench: queue " << options.queue_name << ": " << shmq::sqs_error_code(queue.code()) << ": "
                  << queue.error().message << '\n';
        return exit_error;
    }
    RunState state(options.producers, options.consumers, sequence_capacity(options));
    if (!state.ok()) {
        std::cerr << "shmq-bench: cannot map the shared run state\n";
        return exit_error;
    }
    WorkerPlan plan;
    plan.options = &options;
    plan.client = &*client;
    plan.queue_name = queue->name;
    plan.run_id = random_run_id();
    plan.state = &state;

    struct sigaction action {};
    action.sa_handler = on_interrupt;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);

    RunReport report;
    report.queue_name = queue->name;
    report.namespace_name = client->namespace_name();
    report.temporary_queue = queue->temporary;
    std::vector<pid_t> pids = start_workers(plan);
    RunControl& control = state.control();
    const std::uint32_t workers = options.producers + options.consumers;
    bool started = pids.size() == workers;
    if (!started) {
        report.failures.push_back("fork failed");
    }
    const std::int64_t start_deadline_ns = monotonic_ns() + start_timeout_ns;
    while (started && control.ready_count.load(std::memory_order_acquire) < workers) {
        const CounterTotals totals = sum_counters(state);
        if (totals.failed > 0 || monotonic_ns() > start_deadline_ns ||
            interrupt_count.load(std::memory_order_relaxed) > 0) {
            started = false;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    const std::int64_t start_ns = monotonic_ns();
    control.start_ns.store(start_ns, std::memory_order_release);
    if (started) {
        control.go.store(1, std::memory_order_release);
    } else {
        control.stop_producers.store(1, std::memory_order_release);
        control.stop_consumers.store(1, std::memory_order_release);
        control.go.store(1, std::memory_order_release);
    }
    ProgressLine progress(options, start_ns);
    const auto seconds_ns = static_cast<std::int64_t>(options.seconds * 1e9);
    std::uint64_t last_progress_count = 0;
    std::int64_t last_progress_ns = start_ns;
    while (started) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(poll_interval_ns));
        const std::int64_t now_ns = monotonic_ns();
        const CounterTotals totals = sum_counters(state);
        progress.maybe_update(totals, now_ns);
        if (totals.failed > 0 || interrupt_count.load(std::memory_order_relaxed) > 0) {
            report.interrupted = totals.failed == 0;
            break;
        }
        if (options.messages == 0 && now_ns - start_ns >= seconds_ns) {
            control.stop_producers.store(1, std::memory_order_release);
        }
        if (totals.sent + totals.received != last_progress_count) {
            last_progress_count = totals.sent + totals.received;
            last_progress_ns = now_ns;
        }
        const bool producers_done = totals.producers_finished == options.producers;
        if (producers_done && totals.received - totals.duplicates >= totals.sent) {
            break;
        }
        if (now_ns - last_progress_ns > stall_timeout_ns) {
            report.gave_up_waiting = true;
            break;
        }
    }
    control.stop_producers.store(1, std::memory_order_release);
    control.stop_consumers.store(1, std::memory_order_release);
    // Consumers finish their current long poll; senders wake from a blocked send.
    const std::int64_t reap_timeout_ns = (static_cast<std::int64_t>(options.wait_time_s) + 10) * 1'000'000'000;
    reap(pids, reap_timeout_ns, report.failures);
    progress.finish();

    const CounterTotals totals = sum_counters(state);
    const DeliveryCheck delivery = check_delivery(state);
    LatencyHistogram latency;
    for (std::uint32_t i = 0; i < options.consumers; ++i) {
        latency.merge(state.histogram(i));
    }
    for (std::uint32_t i = 0; i < workers; ++i) {
        WorkerCounters& counters = i < options.producers ? state.producer(i) : state.consumer(i - options.producers);
        if (counters.failed.load(std::memory_order_acquire) != 0) {
            report.failures.push_back((i < options.producers ? "producer " : "consumer ") +
                                      std::to_string(i < options.producers ? i : i - options.producers) + ": " +
                                      counters.error);
        }
    }
    report.sent = totals.sent;
    report.received = totals.received;
    report.unique_received = delivery.unique_received;
    report.deleted = totals.deleted;
    report.redelivered = totals.redelivered;
    report.duplicates = delivery.duplicates;
    report.missing = delivery.missing;
    report.foreign = totals.foreign;
    report.capped = totals.capped > 0;
    report.elapsed_s =
        totals.last_receive_ns > start_ns ? static_cast<double>(totals.last_receive_ns - start_ns) / 1e9 : 0;
    if (report.elapsed_s > 0) {
        report.msgs_per_s = static_cast<double>(delivery.unique_received) / report.elapsed_s;
        report.bytes_per_s = report.msgs_per_s * static_cast<double>(options.size_bytes);
    }
    report.p50_ns = latency.value_at_quantile(0.50);
    report.p99_ns = latency.value_at_quantile(0.99);
    report.p999_ns = latency.value_at_quantile(0.999);
    report.max_ns = latency.max_ns();

    if (queue->created && !options.keep_queue) {
        if (auto deleted = client->delete_queue(queue->name); !deleted) {
            report.failures.push_back("delete_queue: " + deleted.message());
        }
    }
    if (options.json) {
        print_json(options, report, std::cout);
    } else {
        print_table(options, report, std::cout);
    }
    if (!report.failures.empty()) {
        return exit_error;
    }
    if (options.messages > 0 && report.missing > 0) {
        return exit_missing;
    }
    return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
    shmq_bench::BenchOptions options;
    if (auto exit_code = shmq_bench::parse_options(argc, argv, options)) {
        return *exit_code;
    }
    return run(options);
}
