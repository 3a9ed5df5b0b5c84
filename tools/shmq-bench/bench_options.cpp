// See bench_options.h.
#include "bench_options.h"

#include <CLI/CLI.hpp>

#include "message_stamp.h"
#include "shmq/limits.h"

namespace shmq_bench {

namespace {

// Processes a run may start; each holds one entry of the queue's process table.
constexpr std::uint32_t workers_max = 64;

} // namespace

std::optional<int> parse_options(int argc, char** argv, BenchOptions& options) {
    CLI::App app{"shmq-bench: measure throughput, end-to-end latency and delivery of an shmq queue\n"
                 "with producer and consumer processes. Every body carries a send timestamp and a\n"
                 "per-producer sequence number, so the report also counts duplicates and missing\n"
                 "messages. Exit status: 0 ok, 1 error, 2 messages missing (with --messages).",
                 "shmq-bench"};
    app.add_option("--producers,-p", options.producers, "producer processes")
        ->check(CLI::Range(1u, workers_max))
        ->capture_default_str();
    app.add_option("--consumers,-c", options.consumers, "consumer processes")
        ->check(CLI::Range(1u, workers_max))
        ->capture_default_str();
    app.add_option("--size,-s", options.size_bytes, "body size in bytes")
        ->check(CLI::Range(MessageStamp::encoded_bytes, shmq::limits::message_size_max))
        ->capture_default_str();
    app.add_option("--batch,-b", options.batch, "messages per send_batch / receive / delete_batch call")
        ->check(CLI::Range(1u, shmq::limits::send_batch_max))
        ->capture_default_str();
    auto* messages = app.add_option("--messages,-n", options.messages,
                                    "send exactly this many messages in total, then wait until "
                                    "all are received; exit 2 if any is missing")
                         ->check(CLI::Range(std::uint64_t{1}, MessageStamp::sequence_mask));
    auto* seconds =
        app.add_option("--seconds,-t", options.seconds, "send for this long (default 10 when --messages is not given)")
            ->check(CLI::Range(0.001, 86'400.0));
    messages->excludes(seconds);
    app.add_option("--visibility-timeout", options.visibility_timeout_s,
                   "visibility timeout of each receive in seconds (default: the queue's)")
        ->check(CLI::Range(std::int32_t{0}, static_cast<std::int32_t>(shmq::limits::visibility_timeout_s_max)));
    app.add_option("--wait-time-seconds", options.wait_time_s,
                   "long-poll time of each receive; 0 polls without sleeping")
        ->check(CLI::Range(std::int32_t{0}, static_cast<std::int32_t>(shmq::limits::wait_time_s_max)))
        ->capture_default_str();
    app.add_option("--rate", options.rate_per_s,
                   "total send rate in messages per second, shared by the producers (default: as "
                   "fast as possible; set it to measure latency below saturation)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--queue-name,-q", options.queue_name,
                   "queue to use as is (created if missing); default: a temporary queue deleted "
                   "afterwards");
    app.add_option("--namespace", options.namespace_name,
                   "shmq namespace (default: $SHMQ_NAMESPACE, then \"default\")");
    app.add_option("--slots", options.slot_count, "capacity of a queue shmq-bench creates")
        ->check(CLI::Range(shmq::limits::slot_count_min, shmq::limits::slot_count_max))
        ->capture_default_str();
    app.add_flag("--keep-queue", options.keep_queue, "do not delete a queue shmq-bench created");
    app.add_flag("--json", options.json, "print one JSON object for the run on stdout");
    auto* progress =
        app.add_flag("--progress", options.progress, "show the progress line even when stderr is not a terminal");
    app.add_flag("--no-progress", options.no_progress, "never show the progress line")->excludes(progress);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }
    if (options.messages == 0 && options.seconds == 0) {
        options.seconds = 10;
    }
    return std::nullopt;
}

} // namespace shmq_bench
