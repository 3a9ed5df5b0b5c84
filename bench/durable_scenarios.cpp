// Durable sends (issue 4; see scenarios.h, "durable"): the real shmqd binary runs for every
// invocation of a scenario (shmqd_process.h: a fresh directory under the bench data directory,
// this run's namespace, started after "shmqd ready" and its spare segment on disk). At the end it
// is stopped with SIGTERM and must exit 0; its journal is then read back
// (journal::scan_journal) to check the run:
//   async: every message the producer had acknowledged was received; the journal holds no
//          message live (every one journaled as sent is journaled as deleted, since all were).
//   sync:  no send failed, and the journal holds exactly one message_sent record per message
//          whose send returned (the untimed warm-up sends included). A batch run times each
//          send_batch call as one send and counts its messages as items.
// Any failure is a SkipWithError. Counters: shmqd_cpu (shmqd's CPU time over the timed wall
// time, all its threads: 1 = one core), and for async journaled_per_msg (message_sent records
// per message sent: a message deleted before shmqd copied it is never journaled).
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_environment.h"
#include "forked_peer.h"
#include "scenarios.h"
#include "shmq/limits.h"
#include "shmq/queue.h"
#include "shmq_helpers.h"
#include "shmqd_process.h"

namespace shmq_bench {

namespace {

// A Durability=sync queue no timed run can fill (senders never wait for a free slot).
constexpr std::uint32_t sync_slot_count = 1u << 20;
// Untimed sync sends before the clock runs: shmqd serves the queue, the path is warm.
constexpr std::uint32_t sync_warmup_sends = 16;

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

void durable_async_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch, Sse sse) {
    auto& environment = BenchEnvironment::get();
    shmq::QueueCapacity capacity;
    capacity.slot_count = throughput_slot_count; // as shmq/throughput's memory queue
    const std::string queue_name = environment.create_fresh_queue(
        "durable-async-" + std::to_string(durable_round++),
        {{"Durability", "async"}, {"SqsManagedSseEnabled", sse == Sse::on ? "true" : "false"}}, capacity);
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

namespace {

void set_up_sync_run(const benchmark::State& state, Sse sse) {
    SyncRun& run = sync_run();
    run = SyncRun{};
    run.senders.resize(static_cast<std::size_t>(state.threads()));
    auto& environment = BenchEnvironment::get();
    shmq::QueueCapacity capacity;
    capacity.slot_count = sync_slot_count;
    run.queue_name = environment.create_fresh_queue(
        "durable-sync-" + std::to_string(durable_round++),
        {{"Durability", "sync"}, {"SqsManagedSseEnabled", sse == Sse::on ? "true" : "false"}}, capacity);
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

} // namespace

void durable_sync_setup(const benchmark::State& state) { set_up_sync_run(state, Sse::on); }
void durable_sync_setup_plain(const benchmark::State& state) { set_up_sync_run(state, Sse::off); }

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
