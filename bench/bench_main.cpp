// shmq-benchmarks: every scenario of scenarios.h for shmq and its baselines in one binary, then
// a table of each shmq figure as a ratio to its baseline from the same run.
//
// Flags: all of Google Benchmark's (--benchmark_filter, --benchmark_min_time,
// --benchmark_repetitions, --benchmark_format=json, --benchmark_out, ...), plus --no-pin
// (do not pin the consumer to the first allowed CPU and the peer to the second). Without
// --benchmark_min_time each figure is measured for 0.3 s.
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_environment.h"
#include "ratio_table.h"
#include "scenarios.h"

namespace {

using shmq_bench::Polling;

constexpr const char* default_min_time_flag = "--benchmark_min_time=0.3";
// Recovery and compaction runs take seconds each: one iteration, this many times (medians).
constexpr int recovery_repetitions = 3;

void register_benchmarks() {
    struct Throughput {
        const char* size_name;
        std::size_t body_bytes;
        const char* batch_name;
        std::uint32_t batch;
    };
    const Throughput throughputs[] = {
        {"64B", shmq_bench::small_body_bytes, "single", 1},
        {"64B", shmq_bench::small_body_bytes, "batch10", 10},
        {"4KiB", shmq_bench::large_body_bytes, "single", 1},
        {"4KiB", shmq_bench::large_body_bytes, "batch10", 10},
    };
    // Each shmq scenario is followed at once by its baselines, so host drift hits both alike.
    for (const Throughput& t : throughputs) {
        const std::string scenario = std::string("throughput/") + t.size_name + "/" + t.batch_name;
        benchmark::RegisterBenchmark(("shmq/" + scenario).c_str(), shmq_bench::shmq_throughput, t.body_bytes, t.batch)
            ->UseRealTime();
        benchmark::RegisterBenchmark(("boost_mq/" + scenario).c_str(), shmq_bench::message_queue_throughput,
                                     t.body_bytes, t.batch)
            ->UseRealTime();
        // Durability=async (shmqd running), FIFO and fair queues right after the standard queue and
        // message_queue figures they are compared with.
        if (t.batch == 10 && t.body_bytes == shmq_bench::small_body_bytes) {
            // SQS's default (SSE on: sealed records), then the same with SqsManagedSseEnabled=false.
            const std::string durable = "durable/async/" + std::string(t.size_name) + "/" + t.batch_name;
            benchmark::RegisterBenchmark(durable.c_str(), shmq_bench::durable_async_throughput, t.body_bytes, t.batch,
                                         shmq_bench::Sse::on)
                ->UseRealTime();
            benchmark::RegisterBenchmark((durable + "/sse:off").c_str(), shmq_bench::durable_async_throughput,
                                         t.body_bytes, t.batch, shmq_bench::Sse::off)
                ->UseRealTime();
            benchmark::RegisterBenchmark(("shmq/fair/" + scenario + "/tenants:16").c_str(),
                                         shmq_bench::shmq_fair_throughput, shmq_bench::TenantMix::round_robin)
                ->UseRealTime();
            benchmark::RegisterBenchmark(("shmq/fair/" + scenario + "/skew:90pct").c_str(),
                                         shmq_bench::shmq_fair_throughput, shmq_bench::TenantMix::one_at_90_percent)
                ->UseRealTime();
            // With the largest deduplication table, then without deduplication, same groups.
            for (const std::uint32_t groups : {1u, 16u, 1000u}) {
                for (const auto window : {shmq_bench::DedupWindow::largest_table, shmq_bench::DedupWindow::none}) {
                    const std::string variant = window == shmq_bench::DedupWindow::none ? "/nodedup" : "";
                    benchmark::RegisterBenchmark(
                        ("shmq/fifo_" + scenario + variant + "/groups:" + std::to_string(groups)).c_str(),
                        shmq_bench::shmq_fifo_throughput, groups, window)
                        ->UseRealTime();
                }
            }
        }
    }
    // Fixed iterations: a fresh-id run must stay well inside one queue's deduplication window
    // (fewer sends for the default table).
    struct DedupRun {
        const char* name;
        shmq_bench::DedupSend kind;
        shmq_bench::DedupWindow window;
        std::int64_t iterations;
    };
    using shmq_bench::DedupSend;
    using shmq_bench::DedupWindow;
    constexpr std::int64_t dedup_iterations = shmq_bench::dedup_send_iterations;
    const DedupRun dedup_runs[] = {
        {"shmq/dedup/64B/standard_send", DedupSend::standard, DedupWindow::none, dedup_iterations},
        {"shmq/dedup/64B/fifo_no_dedup", DedupSend::fifo_fresh_id, DedupWindow::none, dedup_iterations},
        {"shmq/dedup/64B/fifo_fresh_id", DedupSend::fifo_fresh_id, DedupWindow::largest_table, dedup_iterations},
        {"shmq/dedup/64B/fifo_fresh_id/default_table", DedupSend::fifo_fresh_id, DedupWindow::default_table,
         shmq_bench::dedup_send_default_table_iterations},
        {"shmq/dedup/64B/fifo_repeated_id", DedupSend::fifo_repeated_id, DedupWindow::largest_table, dedup_iterations},
    };
    for (const DedupRun& d : dedup_runs) {
        benchmark::RegisterBenchmark(d.name, shmq_bench::shmq_dedup_send, d.kind, d.window)
            ->Iterations(d.iterations)
            ->UseRealTime();
    }
    // Fixed rounds: each sends and drains a 20,000-message backlog; only the consumer's wait is timed.
    benchmark::RegisterBenchmark("shmq/fair/quiet_dwell/tenants", shmq_bench::shmq_fair_quiet_dwell,
                                 shmq_bench::Tenancy::tenants)
        ->Iterations(shmq_bench::quiet_dwell_iterations)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("shmq/fair/quiet_dwell/plain", shmq_bench::shmq_fair_quiet_dwell,
                                 shmq_bench::Tenancy::plain)
        ->Iterations(shmq_bench::quiet_dwell_iterations)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("shmq/roundtrip/busy", shmq_bench::shmq_round_trip, Polling::busy)->UseRealTime();
    benchmark::RegisterBenchmark("boost_mq/roundtrip/busy", shmq_bench::message_queue_round_trip, Polling::busy)
        ->UseRealTime();
    benchmark::RegisterBenchmark("shmq/roundtrip/blocking", shmq_bench::shmq_round_trip, Polling::blocking)
        ->UseRealTime();
    benchmark::RegisterBenchmark("boost_mq/roundtrip/blocking", shmq_bench::message_queue_round_trip, Polling::blocking)
        ->UseRealTime();
    benchmark::RegisterBenchmark("posix_mq/roundtrip/blocking", shmq_bench::posix_mq_round_trip)->UseRealTime();
    // One long poll is the measurement; more iterations would only repeat it.
    benchmark::RegisterBenchmark("shmq/idle_long_poll", shmq_bench::shmq_idle_long_poll)
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("boost_mq/idle_long_poll", shmq_bench::message_queue_idle_long_poll)
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("shmq/footprint/64B", shmq_bench::shmq_footprint)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("boost_mq/footprint/64B", shmq_bench::message_queue_footprint)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    // The journal writer right after the raw floor it is compared with (same records per commit).
    for (const std::uint32_t records : {1u, 64u, shmq_bench::journal_rolling_records}) {
        const std::string per_commit = "records:" + std::to_string(records);
        const std::int64_t iterations = records == shmq_bench::journal_rolling_records
                                            ? shmq_bench::journal_rolling_commits
                                            : 0; // 0: min time
        auto* raw = benchmark::RegisterBenchmark(("journal/raw_fdatasync/" + per_commit).c_str(),
                                                 shmq_bench::journal_raw_fdatasync, records)
                        ->UseRealTime();
        if (iterations > 0) {
            raw->Iterations(iterations);
        }
        for (const std::uint32_t in_flight : {1u, 4u}) {
            auto* writer = benchmark::RegisterBenchmark(
                               ("journal/writer/" + per_commit + "/in_flight:" + std::to_string(in_flight)).c_str(),
                               shmq_bench::journal_writer, records, in_flight)
                               ->UseRealTime();
            if (iterations > 0) {
                writer->Iterations(iterations);
            }
        }
    }
    // Batches of 10 from 4 senders, after the floor of 40 records per fdatasync.
    benchmark::RegisterBenchmark("journal/raw_fdatasync/records:40", shmq_bench::journal_raw_fdatasync, 40u)
        ->UseRealTime();
    benchmark::RegisterBenchmark("durable/sync/64B/batch10/senders:4", shmq_bench::durable_sync_send, 10u)
        ->Threads(4)
        ->Setup(shmq_bench::durable_sync_setup)
        ->Teardown(shmq_bench::durable_sync_teardown)
        ->UseRealTime();
    benchmark::RegisterBenchmark("durable/sync/64B/batch10/senders:4/sse:off", shmq_bench::durable_sync_send, 10u)
        ->Threads(4)
        ->Setup(shmq_bench::durable_sync_setup_plain)
        ->Teardown(shmq_bench::durable_sync_teardown)
        ->UseRealTime();
    // Durability=sync senders right after the floor of 16 of them (16 records per fdatasync).
    benchmark::RegisterBenchmark("journal/raw_fdatasync/records:16", shmq_bench::journal_raw_fdatasync, 16u)
        ->UseRealTime();
    for (const int senders : {1, 4, 16}) {
        benchmark::RegisterBenchmark(("durable/sync/64B/senders:" + std::to_string(senders)).c_str(),
                                     shmq_bench::durable_sync_send, 1u)
            ->Threads(senders)
            ->Setup(shmq_bench::durable_sync_setup)
            ->Teardown(shmq_bench::durable_sync_teardown)
            ->UseRealTime();
    }
    // Recovery, then its floor over the journal it left; compaction, then the same churn with
    // nothing to carry. Last: seconds per run (one iteration each, repeated).
    for (const std::uint64_t messages : shmq_bench::recovery_message_counts) {
        const std::string count = "messages:" + std::to_string(messages);
        benchmark::RegisterBenchmark(("durable/recovery/" + count).c_str(), shmq_bench::durable_recovery, messages)
            ->Iterations(1)
            ->Repetitions(recovery_repetitions)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("durable/recovery/scan_only/" + count).c_str(),
                                     shmq_bench::durable_recovery_scan_only, messages)
            ->Iterations(1)
            ->Repetitions(recovery_repetitions)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark("durable/compaction/disk_vs_live", shmq_bench::durable_compaction,
                                 shmq_bench::compaction_keepers)
        ->Iterations(1)
        ->Repetitions(recovery_repetitions)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("durable/compaction/no_keepers", shmq_bench::durable_compaction, 0u)
        ->Iterations(1)
        ->Repetitions(recovery_repetitions)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<char*> arguments(argv, argv + argc);
    bool pin = true;
    bool has_min_time = false;
    bool json = false;
    for (auto it = arguments.begin(); it != arguments.end();) {
        const std::string_view argument(*it);
        if (argument == "--no-pin") {
            pin = false;
            it = arguments.erase(it);
            continue;
        }
        has_min_time = has_min_time || argument.starts_with("--benchmark_min_time");
        json = json || argument == "--benchmark_format=json";
        ++it;
    }
    std::string min_time_flag = default_min_time_flag;
    if (!has_min_time) {
        arguments.insert(arguments.begin() + 1, min_time_flag.data());
    }
    int argument_count = static_cast<int>(arguments.size());
    benchmark::Initialize(&argument_count, arguments.data());
    if (benchmark::ReportUnrecognizedArguments(argument_count, arguments.data())) {
        return 1;
    }

    auto& environment = shmq_bench::BenchEnvironment::get();
    if (!environment.ok()) {
        std::cerr << "shmq-benchmarks: " << environment.error() << '\n';
        return 1;
    }
    environment.place_processes(pin);
    benchmark::AddCustomContext("shmq_namespace", environment.namespace_name());
    benchmark::AddCustomContext("placement",
                                environment.parent_cpu() >= 0
                                    ? "consumer/pinger on CPU " + std::to_string(environment.parent_cpu()) +
                                          ", producer/ponger on CPU " + std::to_string(environment.child_cpu())
                                    : std::string("not pinned"));
    register_benchmarks();

    std::unique_ptr<benchmark::BenchmarkReporter> display;
    if (json) {
        display = std::make_unique<benchmark::JSONReporter>();
    } else {
        display = std::make_unique<benchmark::ConsoleReporter>(
            ::isatty(STDOUT_FILENO) != 0 ? benchmark::ConsoleReporter::OO_Color : benchmark::ConsoleReporter::OO_None);
    }
    shmq_bench::CollectingReporter reporter(std::move(display));
    benchmark::RunSpecifiedBenchmarks(&reporter);
    // With JSON on stdout the table goes to stderr, so stdout stays one JSON document.
    shmq_bench::print_ratio_table(reporter.runs(), json ? std::cerr : std::cout);
    environment.cleanup();
    shmq_bench::recovery_cleanup();
    shmq_bench::journal_cleanup();
    benchmark::Shutdown();
    return 0;
}
