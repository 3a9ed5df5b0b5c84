// Prometheus text for GET /metrics (see metrics.h).
#include "metrics.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>

namespace shmq::daemon {
namespace {

// A label value as the text format wants it (backslash, quote and newline escaped).
std::string label(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
        }
        out += c == '\n' ? 'n' : c;
    }
    return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
    out += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
    char number[64];
    std::snprintf(number, sizeof number, "%.17g", value);
    out += std::string(name) + (labels.empty() ? "" : "{" + std::string(labels) + "}") + " " + number + "\n";
}

// One histogram's samples: its buckets cumulated (count(i) observations in bucket i, whose upper
// bound is upper_s(i) seconds; the last bucket is +Inf), then _sum and _count.
template <typename Count, typename UpperBound>
void histogram(std::string& out, std::string_view name, std::string_view labels, std::size_t buckets,
               const Count& count, const UpperBound& upper_s, double sum_s) {
    const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
        cumulative += count(i);
        char bound[32];
        if (i + 1 < buckets) {
            std::snprintf(bound, sizeof bound, "%g", upper_s(i));
        } else {
            std::snprintf(bound, sizeof bound, "+Inf");
        }
        sample(out, std::string(name) + "_bucket", prefix + "le=\"" + bound + "\"", static_cast<double>(cumulative));
    }
    sample(out, std::string(name) + "_sum", labels, sum_s);
    sample(out, std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

void render_bridges(std::string& out, std::span<const bridge::BridgeView> bridges) {
    if (bridges.empty()) {
        return;
    }
    const auto bridge_label = [](const bridge::BridgeView& view) {
        return "bridge=\"" + label(view.settings->name) + "\",direction=\"" +
               bridge::direction_name(view.settings->direction) + "\"";
    };
    const auto load = [](const auto& value) { return static_cast<double>(value.load(std::memory_order_relaxed)); };
    family(out, "shmq_bridge_messages_total", "counter",
           "Messages a bridge carried (now on the other side), sent again after a failure, or saw refused.");
    for (const bridge::BridgeView& view : bridges) {
        sample(out, "shmq_bridge_messages_total", bridge_label(view) + ",outcome=\"carried\"",
               load(view.metrics->carried));
        sample(out, "shmq_bridge_messages_total", bridge_label(view) + ",outcome=\"retried\"",
               load(view.metrics->retried));
        sample(out, "shmq_bridge_messages_total", bridge_label(view) + ",outcome=\"failed\"",
               load(view.metrics->failed));
    }
    family(out, "shmq_bridge_requests_total", "counter", "Requests to SQS, by result.");
    for (const bridge::BridgeView& view : bridges) {
        const double all = load(view.metrics->requests);
        const double failed = load(view.metrics->request_errors);
        sample(out, "shmq_bridge_requests_total", bridge_label(view) + ",result=\"ok\"", all - failed);
        sample(out, "shmq_bridge_requests_total", bridge_label(view) + ",result=\"error\"", failed);
    }
    const struct {
        std::string_view name, type, help;
        const std::atomic<std::int64_t> bridge::BridgeMetrics::*field;
    } gauges[] = {
        {"shmq_bridge_requests_in_flight", "gauge", "Requests to SQS sent and not answered.",
         &bridge::BridgeMetrics::requests_in_flight},
        {"shmq_bridge_lag_milliseconds", "gauge", "Age of the oldest message the bridge holds and has not carried.",
         &bridge::BridgeMetrics::lag_ms},
    };
    for (const auto& gauge : gauges) {
        family(out, gauge.name, gauge.type, gauge.help);
        for (const bridge::BridgeView& view : bridges) {
            sample(out, gauge.name, bridge_label(view), load(view.metrics->*gauge.field));
        }
    }
    family(out, "shmq_bridge_visibility_extensions_total", "counter", "Visibility renewals of messages held.");
    for (const bridge::BridgeView& view : bridges) {
        sample(out, "shmq_bridge_visibility_extensions_total", bridge_label(view), load(view.metrics->extended));
    }
    family(out, "shmq_bridge_circuit", "gauge", "1 for the state the bridge's circuit is in.");
    for (const bridge::BridgeView& view : bridges) {
        for (const bridge::CircuitState state :
             {bridge::CircuitState::closed, bridge::CircuitState::open, bridge::CircuitState::half_open}) {
            sample(out, "shmq_bridge_circuit",
                   bridge_label(view) + ",state=\"" + bridge::circuit_state_name(state) + "\"",
                   view.metrics->circuit_state() == state ? 1 : 0);
        }
    }
    family(out, "shmq_bridge_request_seconds", "histogram", "Requests to SQS: sent to answered.");
    for (const bridge::BridgeView& view : bridges) {
        const bridge::LatencyHistogram& latency = view.metrics->latency;
        histogram(
            out, "shmq_bridge_request_seconds", bridge_label(view), bridge::LatencyHistogram::bucket_count,
            [&](std::size_t i) { return latency.bucket(i); },
            [](std::size_t i) { return static_cast<double>(bridge::LatencyHistogram::bucket_upper_ms(i)) / 1000.0; },
            static_cast<double>(latency.sum_ns()) * 1e-9);
    }
}

} // namespace

void JournalMetrics::observe_commit(std::int64_t latency_ns) noexcept {
    const double seconds = static_cast<double>(latency_ns) * 1e-9;
    std::size_t bucket = 0;
    while (bucket < latency_bounds_s.size() && seconds > latency_bounds_s[bucket]) {
        ++bucket;
    }
    commit_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    commits.fetch_add(1, std::memory_order_relaxed);
    commit_ns_total.fetch_add(static_cast<std::uint64_t>(latency_ns), std::memory_order_relaxed);
}

std::string render_bridge_status(std::span<const bridge::BridgeView> bridges) {
    boost::json::array list;
    for (const bridge::BridgeView& view : bridges) {
        const bridge::BridgeSettings& settings = *view.settings;
        const bridge::BridgeMetrics& metrics = *view.metrics;
        const auto load = [](const auto& value) { return value.load(std::memory_order_relaxed); };
        list.push_back(boost::json::object{
            {"Name", settings.name},
            {"Queue", settings.local_queue},
            {"Direction", bridge::direction_name(settings.direction)},
            {"RemoteQueueUrl", settings.remote_queue_url},
            {"EndpointUrl", settings.endpoint_url},
            {"Region", settings.region},
            {"Circuit", bridge::circuit_state_name(metrics.circuit_state())},
            {"Carried", load(metrics.carried)},
            {"Retried", load(metrics.retried)},
            {"Failed", load(metrics.failed)},
            {"Requests", load(metrics.requests)},
            {"RequestErrors", load(metrics.request_errors)},
            {"RequestsInFlight", load(metrics.requests_in_flight)},
            {"LagMilliseconds", load(metrics.lag_ms)},
            {"LastError", metrics.last_error()},
        });
    }
    return boost::json::serialize(boost::json::object{{"Bridges", std::move(list)}});
}

std::string render_metrics(const Client& client, const JournalMetrics* journal,
                           std::span<const bridge::BridgeView> bridges) {
    std::string out;
    render_bridges(out, bridges);
    // Per queue: one inspection each (it counts slot states; a scrape every few seconds is cheap).
    struct Row {
        std::string name;
        QueueInspection inspection;
    };
    std::vector<Row> rows;
    if (auto page = client.list_queues({}, -1); page) {
        for (const std::string& url : page->queue_urls) {
            auto name = queue_name_from_url(url);
            if (auto queue = name ? client.open_queue(name->text()) : Result<Queue>(name.error()); queue) {
                rows.push_back({name->text(), queue->inspect()});
            }
        }
    }
    family(out, "shmq_queue_messages", "gauge", "Messages in the queue by state.");
    for (const Row& row : rows) {
        const std::string queue = "queue=\"" + label(row.name) + "\"";
        sample(out, "shmq_queue_messages", queue + ",state=\"ready\"", row.inspection.ready);
        sample(out, "shmq_queue_messages", queue + ",state=\"in_flight\"", row.inspection.in_flight);
        sample(out, "shmq_queue_messages", queue + ",state=\"delayed\"", row.inspection.delayed);
    }
    family(out, "shmq_queue_receivers_waiting", "gauge", "Receivers in a long poll, asleep until a message.");
    for (const Row& row : rows) {
        sample(out, "shmq_queue_receivers_waiting", "queue=\"" + label(row.name) + "\"",
               row.inspection.sleeping_receivers);
    }
    const struct {
        std::string_view name, help;
        std::uint64_t QueueInspection::*field;
    } counters[] = {
        {"shmq_queue_sent_total", "Messages sent.", &QueueInspection::sent_total},
        {"shmq_queue_received_total", "Messages received.", &QueueInspection::received_total},
        {"shmq_queue_deleted_total", "Messages deleted.", &QueueInspection::deleted_total},
        {"shmq_queue_expired_total", "Messages dropped at the end of their retention.",
         &QueueInspection::expired_total},
        {"shmq_queue_dead_lettered_total", "Messages moved to the dead-letter queue.",
         &QueueInspection::dead_lettered_total},
    };
    for (const auto& counter : counters) {
        family(out, counter.name, "counter", counter.help);
        for (const Row& row : rows) {
            sample(out, counter.name, "queue=\"" + label(row.name) + "\"",
                   static_cast<double>(row.inspection.*counter.field));
        }
    }
    if (journal == nullptr) {
        return out;
    }
    const auto load = [](const std::atomic<std::uint64_t>& value) {
        return static_cast<double>(value.load(std::memory_order_relaxed));
    };
    const std::uint64_t appended = journal->appended_sequence.load(std::memory_order_relaxed);
    const std::uint64_t durable = journal->durable_sequence.load(std::memory_order_relaxed);
    family(out, "shmq_journal_lag_records", "gauge", "Journal records appended but not yet durable.");
    sample(out, "shmq_journal_lag_records", "", static_cast<double>(appended > durable ? appended - durable : 0));
    family(out, "shmq_journal_durable_sequence", "gauge", "Sequence of the last durable journal record.");
    sample(out, "shmq_journal_durable_sequence", "", static_cast<double>(durable));
    family(out, "shmq_journal_commit_seconds", "histogram", "Journal commits: submitted write to completed fdatasync.");
    histogram(
        out, "shmq_journal_commit_seconds", "", journal->commit_buckets.size(),
        [&](std::size_t i) { return journal->commit_buckets[i].load(std::memory_order_relaxed); },
        [](std::size_t i) { return JournalMetrics::latency_bounds_s[i]; }, load(journal->commit_ns_total) * 1e-9);
    const struct {
        std::string_view name, type, help;
        const std::atomic<std::uint64_t>& value;
    } gauges[] = {
        {"shmq_journal_segments", "gauge", "Journal segment files.", journal->segments},
        {"shmq_journal_disk_bytes", "gauge", "Bytes of the journal's segment files.", journal->disk_bytes},
        {"shmq_journal_live_bytes", "gauge", "Bytes of the journal's standing records.", journal->live_bytes},
        {"shmq_journal_corrupt_regions_total", "counter", "Corrupt journal regions recovery skipped.",
         journal->corrupt_regions},
        {"shmq_journal_unreadable_records_total", "counter", "Journal records recovery could not decode.",
         journal->unreadable_records},
        {"shmq_journal_compacted_segments_total", "counter", "Segments compaction removed.",
         journal->compacted_segments},
        {"shmq_journal_carried_records_total", "counter", "Standing records compaction carried forward.",
         journal->carried_records},
    };
    for (const auto& gauge : gauges) {
        family(out, gauge.name, gauge.type, gauge.help);
        sample(out, gauge.name, "", load(gauge.value));
    }
    return out;
}

} // namespace shmq::daemon
