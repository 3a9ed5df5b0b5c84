// See ratio_table.h.
#include "ratio_table.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <optional>
#include <span>
#include <string_view>

namespace shmq_bench {

namespace {

enum class Better : std::uint8_t { higher, lower };

struct Figure {
    std::string_view counter;
    std::string_view label;
    Better better;
};

constexpr std::array figures{
    Figure{"items_per_second", "items/s", Better::higher},
    Figure{"bytes_per_second", "bytes/s", Better::higher},
    Figure{"p50_ns", "p50", Better::lower},
    Figure{"p99_ns", "p99", Better::lower},
    Figure{"p999_ns", "p99.9", Better::lower},
    Figure{"cpu_ms_per_wall_s", "CPU ms/s", Better::lower},
    Figure{"bytes_per_msg", "bytes/msg", Better::lower},
};

constexpr double busy_host_cpu_share = 0.9;

// Scenarios where the timing process spins and so should own its CPU.
bool spins(std::string_view scenario) {
    return scenario.starts_with("throughput/") || scenario.starts_with("roundtrip/busy");
}

constexpr std::array baselines{std::string_view("boost_mq"), std::string_view("posix_mq")};

// The targets: an absolute figure and a minimum speedup over message_queue.
struct Target {
    std::string_view scenario;
    std::string_view counter;
    double absolute; // 0: none
    double speedup;  // 0: none
};

constexpr std::array targets{
    Target{"throughput/64B/batch10", "items_per_second", 20e6, 5.0},
    Target{"throughput/64B/single", "items_per_second", 8e6, 2.0},
    Target{"throughput/4KiB/batch10", "bytes_per_second", 2e9, 0},
    Target{"throughput/4KiB/single", "bytes_per_second", 2e9, 0},
    Target{"roundtrip/busy", "p50_ns", 400, 0},
    Target{"roundtrip/busy", "p99_ns", 1500, 0},
};

std::string format_value(std::string_view counter, double value) {
    char text[64];
    if (counter == "items_per_second") {
        if (value >= 1e6) {
            std::snprintf(text, sizeof(text), "%.2f M/s", value / 1e6);
        } else if (value >= 1e3) {
            std::snprintf(text, sizeof(text), "%.1f K/s", value / 1e3);
        } else {
            std::snprintf(text, sizeof(text), "%.1f /s", value);
        }
    } else if (counter == "bytes_per_second") {
        if (value >= 1e9) {
            std::snprintf(text, sizeof(text), "%.2f GB/s", value / 1e9);
        } else {
            std::snprintf(text, sizeof(text), "%.1f MB/s", value / 1e6);
        }
    } else if (counter.ends_with("_ns")) {
        if (value >= 1e6) {
            std::snprintf(text, sizeof(text), "%.2f ms", value / 1e6);
        } else if (value >= 1e4) {
            std::snprintf(text, sizeof(text), "%.1f us", value / 1e3);
        } else {
            std::snprintf(text, sizeof(text), "%.0f ns", value);
        }
    } else if (counter.starts_with("msgs_")) {
        std::snprintf(text, sizeof(text), "%.0f", value);
    } else {
        std::snprintf(text, sizeof(text), "%.3g", value);
    }
    return text;
}

std::optional<double> counter_of(const CollectedRun& run, std::string_view counter) {
    const auto found = run.counters.find(std::string(counter));
    if (found == run.counters.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::string target_verdict(std::string_view scenario, std::string_view counter, double value,
                           std::optional<double> speedup_vs_message_queue) {
    std::string verdict;
    for (const auto& target : targets) {
        if (target.scenario != scenario || target.counter != counter) {
            continue;
        }
        const bool lower = counter.ends_with("_ns");
        if (target.absolute > 0) {
            const bool met = lower ? value <= target.absolute : value >= target.absolute;
            verdict += (lower ? "<= " : ">= ") + format_value(counter, target.absolute) + (met ? " met" : " MISSED");
        }
        if (target.speedup > 0 && speedup_vs_message_queue) {
            char text[48];
            std::snprintf(text, sizeof(text), "%s>= %.0fx %s", verdict.empty() ? "" : "; ", target.speedup,
                          *speedup_vs_message_queue >= target.speedup ? "met" : "MISSED");
            verdict += text;
        }
    }
    return verdict;
}

// FIFO, fair-queue, journal and durable figures set against other figures of the same run, with
// the target ratios.
struct Comparison {
    std::string_view name;      // the FIFO, fair-queue, journal or durable benchmark
    std::string_view reference; // the benchmark it is set against
    std::string_view reference_label;
    bool cost;                     // true: lower is better (ns per item, or the counter), ratio = name / reference
    double target;                 // 0: none; throughput: ratio >= target; cost: ratio <= target (or < if strict)
    bool strict = false;           // cost target is "less than"
    std::string_view counter = {}; // empty: items_per_second; else this counter (with cost: lower is better)
    std::string_view figure = {};  // the figure's label in the table (empty: items/s, or ns/send for a cost)
    bool spins = true;             // the timed process spins: a low CPU share means a busy host
};

constexpr std::string_view standard_batch10 = "shmq/throughput/64B/batch10";
constexpr std::string_view boost_batch10 = "boost_mq/throughput/64B/batch10";

constexpr std::string_view fifo_no_dedup_send = "shmq/dedup/64B/fifo_no_dedup";
constexpr std::string_view fifo_fresh_id_send = "shmq/dedup/64B/fifo_fresh_id";

// Throughput with the largest deduplication table and without deduplication: the same targets.
constexpr std::array fifo_comparisons{
    Comparison{"shmq/fifo_throughput/64B/batch10/groups:1", standard_batch10, "standard", false, 0.20},
    Comparison{"shmq/fifo_throughput/64B/batch10/groups:1", boost_batch10, "boost_mq", false, 0},
    Comparison{"shmq/fifo_throughput/64B/batch10/groups:16", standard_batch10, "standard", false, 0.40},
    Comparison{"shmq/fifo_throughput/64B/batch10/groups:16", boost_batch10, "boost_mq", false, 0},
    Comparison{"shmq/fifo_throughput/64B/batch10/groups:1000", standard_batch10, "standard", false, 0.50},
    Comparison{"shmq/fifo_throughput/64B/batch10/groups:1000", boost_batch10, "boost_mq", false, 0},
    Comparison{"shmq/fifo_throughput/64B/batch10/nodedup/groups:1", standard_batch10, "standard", false, 0.20},
    Comparison{"shmq/fifo_throughput/64B/batch10/nodedup/groups:1", boost_batch10, "boost_mq", false, 0},
    Comparison{"shmq/fifo_throughput/64B/batch10/nodedup/groups:16", standard_batch10, "standard", false, 0.40},
    Comparison{"shmq/fifo_throughput/64B/batch10/nodedup/groups:16", boost_batch10, "boost_mq", false, 0},
    Comparison{"shmq/fifo_throughput/64B/batch10/nodedup/groups:1000", standard_batch10, "standard", false, 0.50},
    Comparison{"shmq/fifo_throughput/64B/batch10/nodedup/groups:1000", boost_batch10, "boost_mq", false, 0},
    // The cost of the window: sends on queues with one against the same FIFO send on a queue
    // created without deduplication; that one against a standard-queue send, for scale.
    Comparison{fifo_no_dedup_send, "shmq/dedup/64B/standard_send", "std send", true, 0},
    Comparison{fifo_fresh_id_send, fifo_no_dedup_send, "no dedup", true, 1.5},
    Comparison{"shmq/dedup/64B/fifo_fresh_id/default_table", fifo_no_dedup_send, "no dedup", true, 1.5},
    Comparison{"shmq/dedup/64B/fifo_repeated_id", fifo_fresh_id_send, "fresh id", true, 1.0, true},
};

constexpr std::string_view fifo_heading =
    "\nFIFO against shmq's standard queue and message_queue, same run (throughput: FIFO / "
    "reference,\n> 1 FIFO faster; nodedup: a queue created with fifo_deduplication=false; dedup: ns "
    "per send /\nreference ns per send, < 1 cheaper; \"no dedup\" is the FIFO send (group and "
    "fresh id) on a queue\nwithout deduplication, \"std send\" the standard-queue send)\n";

constexpr std::string_view fair_dwell_tenants = "shmq/fair/quiet_dwell/tenants";
constexpr std::string_view fair_dwell_plain = "shmq/fair/quiet_dwell/plain";

constexpr std::array fair_comparisons{
    Comparison{fair_dwell_tenants, fair_dwell_plain, "plain", true, 0, false, "msgs_before_quiet", "msgs"},
    Comparison{fair_dwell_tenants, fair_dwell_plain, "plain", true, 0, false, "dwell_ns", "dwell"},
    Comparison{"shmq/fair/throughput/64B/batch10/tenants:16", standard_batch10, "standard", false, 0},
    Comparison{"shmq/fair/throughput/64B/batch10/skew:90pct", standard_batch10, "standard", false, 0},
};

constexpr std::string_view journal_raw_1 = "journal/raw_fdatasync/records:1";
constexpr std::string_view journal_raw_64 = "journal/raw_fdatasync/records:64";
constexpr std::string_view journal_raw_4096 = "journal/raw_fdatasync/records:4096";

// Each writer run against the raw floor with the same records per commit. The writer's process
// sleeps in io_uring waits, so its CPU share says nothing about the host.
constexpr std::array journal_comparisons{
    Comparison{.name = "journal/writer/records:1/in_flight:1", .reference = journal_raw_1, .reference_label = "raw",
               .cost = false, .target = 0, .figure = "rec/s", .spins = false},
    Comparison{.name = "journal/writer/records:1/in_flight:4", .reference = journal_raw_1, .reference_label = "raw",
               .cost = false, .target = 0, .figure = "rec/s", .spins = false},
    Comparison{.name = "journal/writer/records:64/in_flight:1", .reference = journal_raw_64, .reference_label = "raw",
               .cost = false, .target = 0, .figure = "rec/s", .spins = false},
    Comparison{.name = "journal/writer/records:64/in_flight:4", .reference = journal_raw_64, .reference_label = "raw",
               .cost = false, .target = 0, .figure = "rec/s", .spins = false},
    Comparison{.name = "journal/writer/records:4096/in_flight:1", .reference = journal_raw_4096,
               .reference_label = "raw", .cost = false, .target = 0, .figure = "rec/s", .spins = false},
    Comparison{.name = "journal/writer/records:4096/in_flight:4", .reference = journal_raw_4096,
               .reference_label = "raw", .cost = false, .target = 0, .figure = "rec/s", .spins = false},
};

constexpr std::string_view journal_heading =
    "\nshmqd's journal writer (io_uring, segment rolls included) against the raw floor (pwrite + fdatasync of\n"
    "the same framed records into a preallocated file), same run, same records per commit (records/s:\n"
    "writer / raw, > 1 writer faster)\n";

constexpr std::string_view journal_raw_16 = "journal/raw_fdatasync/records:16";
constexpr std::string_view durable_sync_1 = "durable/sync/64B/senders:1";

// Durable sends with the real shmqd running, against memory and the raw floor (issue 4). Sync
// senders sleep until shmqd's commit covers them: their CPU share says nothing about the host.
constexpr std::array durable_comparisons{
    Comparison{.name = "durable/async/64B/batch10", .reference = standard_batch10, .reference_label = "memory",
               .cost = false, .target = 0.5},
    Comparison{.name = durable_sync_1, .reference = journal_raw_1, .reference_label = "raw", .cost = false,
               .target = 0, .figure = "msg/s", .spins = false},
    Comparison{.name = durable_sync_1, .reference = journal_raw_1, .reference_label = "raw", .cost = true,
               .target = 1.3, .counter = "p50_ns", .figure = "p50", .spins = false},
    Comparison{.name = durable_sync_1, .reference = journal_raw_1, .reference_label = "raw", .cost = true,
               .target = 0, .counter = "p99_ns", .figure = "p99", .spins = false},
    Comparison{.name = "durable/sync/64B/senders:4", .reference = durable_sync_1, .reference_label = "1 sender",
               .cost = false, .target = 0, .figure = "msg/s", .spins = false},
    Comparison{.name = "durable/sync/64B/senders:16", .reference = journal_raw_16, .reference_label = "raw",
               .cost = false, .target = 0.8, .figure = "msg/s", .spins = false},
    Comparison{.name = "durable/sync/64B/senders:16", .reference = durable_sync_1, .reference_label = "1 sender",
               .cost = false, .target = 0, .figure = "msg/s", .spins = false},
    Comparison{.name = "durable/sync/64B/batch10/senders:4", .reference = "journal/raw_fdatasync/records:40",
               .reference_label = "raw", .cost = false, .target = 0.8, .figure = "msg/s", .spins = false},
    Comparison{.name = "durable/sync/64B/batch10/senders:4", .reference = "durable/sync/64B/senders:4",
               .reference_label = "single", .cost = false, .target = 0, .figure = "msg/s", .spins = false},
    // Encryption at rest (issue 11): SQS's default (SSE on, records sealed) against the same run
    // with SqsManagedSseEnabled=false.
    Comparison{.name = "durable/async/64B/batch10", .reference = "durable/async/64B/batch10/sse:off",
               .reference_label = "SSE off", .cost = false, .target = 0.9},
    Comparison{.name = "durable/sync/64B/batch10/senders:4", .reference = "durable/sync/64B/batch10/senders:4/sse:off",
               .reference_label = "SSE off", .cost = false, .target = 0.9, .figure = "msg/s", .spins = false},
};

constexpr std::string_view durable_heading =
    "\nDurable sends with shmqd running, same run: async against the same layout on a memory queue\n"
    "(items/s, > 1 faster); sync senders against the raw floor of one fdatasync per commit (senders:1:\n"
    "records:1; senders:16: records:16, 16 records per fdatasync; batch10/senders:4: records:40), msg/s\n"
    "> 1 faster, p50/p99 of a send against p50/p99 of the raw fdatasync, < 1 faster; SSE on (sealed\n"
    "records, the default) against SSE off\n";

// Recovery against the checking read of the same journal, and churn through a Durability=sync
// queue while compaction carries 64 MiB of keepers against the same churn with nothing to carry.
constexpr std::array recovery_comparisons{
    Comparison{.name = "durable/recovery/messages:1000000", .reference = "durable/recovery/scan_only/messages:1000000",
               .reference_label = "scan", .cost = false, .target = 0, .figure = "msg/s", .spins = false},
    Comparison{.name = "durable/recovery/messages:2000000", .reference = "durable/recovery/scan_only/messages:2000000",
               .reference_label = "scan", .cost = false, .target = 0, .figure = "msg/s", .spins = false},
    Comparison{.name = "durable/compaction/disk_vs_live", .reference = "durable/compaction/no_keepers",
               .reference_label = "no keeper", .cost = false, .target = 0, .counter = "churn_MiB_per_s",
               .figure = "MiB/s", .spins = false},
    Comparison{.name = "durable/compaction/disk_vs_live", .reference = "", .reference_label = "-", .cost = true,
               .target = 0, .counter = "disk_per_live", .figure = "disk/live", .spins = false},
    Comparison{.name = "durable/compaction/disk_vs_live", .reference = "", .reference_label = "-", .cost = true,
               .target = 0, .counter = "segments", .figure = "segments", .spins = false},
};

constexpr std::string_view recovery_heading =
    "\nRecovery and compaction with shmqd, same run: recovery (start to \"shmqd ready\", N messages) against\n"
    "journal::scan_journal of the same journal (msg/s, > 1 faster; targets: >= 1 M msg/s); churn of\n"
    "Durability=sync 10 x 64 KiB batches with 64 MiB of keepers against none (MiB/s, > 1 faster);\n"
    "disk/live: *.seg bytes after the churn / keeper body bytes (target: <= 2)\n";

constexpr std::string_view fair_heading =
    "\nFair queues against the same workload without MessageGroupIds, same run (quiet_dwell: the noisy\n"
    "tenant's messages delivered before the quiet tenant's last (msgs) and consumer time until then\n"
    "(dwell), tenants / plain, < 1 quiet tenant served sooner; throughput: tenants / none, > 1 faster)\n";

void print_comparison_rows(const std::map<std::string, CollectedRun>& runs, std::span<const Comparison> comparisons,
                           std::string_view heading, std::ostream& out) {
    bool header = false;
    char line[256];
    std::string_view previous;
    for (const Comparison& comparison : comparisons) {
        const auto found = runs.find(std::string(comparison.name));
        if (found == runs.end()) {
            continue;
        }
        if (!header) {
            out << heading;
            std::snprintf(line, sizeof(line), "%-47s %-8s %11s %-9s %11s %7s  %s\n", "scenario", "figure", "value",
                          "reference", "ref value", "ratio", "target");
            out << line << std::string(107, '-') << '\n';
            header = true;
        }
        const bool first = comparison.name != previous;
        previous = comparison.name;
        const std::string_view shmq_prefix = "shmq/";
        const std::string scenario(comparison.name.starts_with(shmq_prefix) ? comparison.name.substr(shmq_prefix.size())
                                                                             : comparison.name);
        if (found->second.error) {
            if (first) {
                out << scenario << (comparison.name.starts_with(shmq_prefix) ? ": shmq run failed: " : ": run failed: ")
                    << found->second.error_message << '\n';
            }
            continue;
        }
        // A rate is shown as it is, or as ns per item when it is a cost; a counter as it is.
        const bool rate = comparison.counter.empty();
        const std::string_view read = rate ? std::string_view("items_per_second") : comparison.counter;
        const auto show = [&](double raw) { return rate && comparison.cost ? 1e9 / raw : raw; };
        const auto value = counter_of(found->second, read);
        const auto reference = runs.find(std::string(comparison.reference));
        if (!value || *value < 0 || (rate && *value == 0)) {
            continue;
        }
        std::optional<double> base;
        if (reference != runs.end() && !reference->second.error) {
            base = counter_of(reference->second, read);
        }
        const double shown = show(*value);
        const std::string_view counter = !rate ? read : comparison.cost ? "send_ns" : "items_per_second";
        char ratio_text[32] = "-";
        char base_text[32] = "-";
        std::string verdict;
        if (base && *base > 0) {
            const double ratio = shown / show(*base);
            // Counters span decades, and so do rates far off their reference.
            std::snprintf(ratio_text, sizeof(ratio_text), rate && ratio >= 0.01 ? "%.2fx" : "%.3gx", ratio);
            std::snprintf(base_text, sizeof(base_text), "%s", format_value(counter, show(*base)).c_str());
            if (comparison.target > 0) {
                char text[64];
                const bool met = comparison.cost
                                     ? (comparison.strict ? ratio < comparison.target : ratio <= comparison.target)
                                     : ratio >= comparison.target;
                std::snprintf(text, sizeof(text), "%s %.2fx %s",
                              comparison.cost ? (comparison.strict ? "<" : "<=") : ">=", comparison.target,
                              met ? "met" : "MISSED");
                verdict = text;
            }
        }
        const std::string figure(!comparison.figure.empty() ? comparison.figure
                                 : comparison.cost          ? "ns/send"
                                                            : "items/s");
        std::snprintf(line, sizeof(line), "%-47s %-8s %11s %-9s %11s %7s  %s\n", first ? scenario.c_str() : "",
                      figure.c_str(), first || !rate ? format_value(counter, shown).c_str() : "",
                      std::string(comparison.reference_label).c_str(), base_text, ratio_text, verdict.c_str());
        out << line;
        if (first && !comparison.cost && comparison.spins && found->second.cpu_share < busy_host_cpu_share) {
            std::snprintf(line, sizeof(line),
                          "%-47s host busy? the spinning consumer ran only %.0f %% of the wall time\n", "",
                          100 * found->second.cpu_share);
            out << line;
        }
    }
}

} // namespace

CollectingReporter::CollectingReporter(std::unique_ptr<benchmark::BenchmarkReporter> display)
    : display_(std::move(display)) {}

bool CollectingReporter::ReportContext(const Context& context) {
    display_->SetOutputStream(&GetOutputStream());
    display_->SetErrorStream(&GetErrorStream());
    return display_->ReportContext(context);
}

void CollectingReporter::ReportRuns(const std::vector<Run>& reports) {
    for (const Run& run : reports) {
        const std::string name = run.run_name.function_name;
        const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
        if (run.run_type == Run::RT_Aggregate && !median) {
            continue;
        }
        CollectedRun& collected = runs_[name];
        if (collected.from_median && !median) {
            continue;
        }
        collected = CollectedRun{};
        collected.error = run.error_occurred;
        collected.error_message = run.error_message;
        collected.from_median = median;
        if (run.real_accumulated_time > 0) {
            collected.cpu_share = run.cpu_accumulated_time / run.real_accumulated_time;
        }
        for (const auto& [counter_name, counter] : run.counters) {
            collected.counters[counter_name] = counter.value;
        }
    }
    display_->ReportRuns(reports);
}

void CollectingReporter::Finalize() {
    display_->Finalize();
}

void print_ratio_table(const std::map<std::string, CollectedRun>& runs, std::ostream& out) {
    out << "\nshmq against its baselines, same run (speedup > 1: shmq better)\n";
    char line[256];
    std::snprintf(line, sizeof(line), "%-26s %-10s %12s %-9s %12s %9s  %s\n", "scenario", "figure", "shmq", "baseline",
                  "baseline", "speedup", "target");
    out << line << std::string(100, '-') << '\n';
    for (const auto& [name, shmq_run] : runs) {
        if (!name.starts_with("shmq/")) {
            continue;
        }
        const std::string scenario = name.substr(5);
        if (scenario.starts_with("fifo_") || scenario.starts_with("dedup/") || scenario.starts_with("fair/")) {
            continue; // compared with other shmq figures below (print_comparison_rows)
        }
        if (shmq_run.error) {
            out << scenario << ": shmq run failed: " << shmq_run.error_message << '\n';
            continue;
        }
        for (const Figure& figure : figures) {
            const auto value = counter_of(shmq_run, figure.counter);
            if (!value) {
                continue;
            }
            bool printed = false;
            std::optional<double> speedup_vs_message_queue;
            for (const std::string_view baseline : baselines) {
                const auto found = runs.find(std::string(baseline) + "/" + scenario);
                if (found == runs.end() || found->second.error) {
                    continue;
                }
                const auto base = counter_of(found->second, figure.counter);
                if (!base) {
                    continue;
                }
                double speedup = std::nan("");
                if (*value > 0 && *base > 0) {
                    speedup = figure.better == Better::higher ? *value / *base : *base / *value;
                }
                if (baseline == "boost_mq") {
                    speedup_vs_message_queue = speedup;
                }
                char speedup_text[32] = "-";
                if (!std::isnan(speedup)) {
                    std::snprintf(speedup_text, sizeof(speedup_text), "%.2fx", speedup);
                }
                std::snprintf(
                    line, sizeof(line), "%-26s %-10s %12s %-9s %12s %9s  %s\n", printed ? "" : scenario.c_str(),
                    std::string(figure.label).c_str(), format_value(figure.counter, *value).c_str(),
                    std::string(baseline).c_str(), format_value(figure.counter, *base).c_str(), speedup_text,
                    printed ? "" : target_verdict(scenario, figure.counter, *value, speedup_vs_message_queue).c_str());
                out << line;
                // Only shmq's share tells about the host: message_queue's consumer also sleeps
                // in its mutex when the producer holds it.
                if (!printed && spins(scenario) && shmq_run.cpu_share < busy_host_cpu_share) {
                    std::snprintf(line, sizeof(line),
                                  "%-26s %-10s host busy? shmq's spinning consumer ran only %.0f %% "
                                  "of the wall time\n",
                                  "", "", 100 * shmq_run.cpu_share);
                    out << line;
                }
                printed = true;
            }
            if (!printed) {
                std::snprintf(line, sizeof(line), "%-26s %-10s %12s %-9s %12s %9s  %s\n", scenario.c_str(),
                              std::string(figure.label).c_str(), format_value(figure.counter, *value).c_str(), "-", "-",
                              "-", target_verdict(scenario, figure.counter, *value, std::nullopt).c_str());
                out << line;
            }
        }
    }
    print_comparison_rows(runs, fifo_comparisons, fifo_heading, out);
    print_comparison_rows(runs, fair_comparisons, fair_heading, out);
    print_comparison_rows(runs, journal_comparisons, journal_heading, out);
    print_comparison_rows(runs, durable_comparisons, durable_heading, out);
    print_comparison_rows(runs, recovery_comparisons, recovery_heading, out);
}

} // namespace shmq_bench
