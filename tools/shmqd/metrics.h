// Metrics for GET /metrics (Prometheus text format 0.0.4), and the bridges' status for GET
// /bridges: per queue, its messages by state
// (ready, in flight, delayed), receivers asleep in long polls, and its counters (sent, received,
// deleted, expired, moved to a dead-letter queue); for the journal, what shmqd's loop publishes in JournalMetrics (records
// appended and durable, so the lag between them; fdatasync latency of commits as a histogram;
// segments, disk and live bytes; corrupt regions found by recovery; compaction); per bridge to SQS,
// messages carried, retried and failed, requests (answered, failed, in flight, latency as a
// histogram), lag (age of the oldest message held, not yet carried) and circuit state.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include <span>

#include "bridge/bridge_metrics.h"
#include "shmq/client.h"

namespace shmq::daemon {

// Written by the daemon's thread, read by the endpoint's connection threads.
struct JournalMetrics {
    // Upper bounds of the commit latency buckets, in seconds (then +Inf).
    static constexpr std::array<double, 10> latency_bounds_s{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                             0.005,  0.01,    0.025,  0.05,  0.1};

    std::atomic<std::uint64_t> appended_sequence{0};
    std::atomic<std::uint64_t> durable_sequence{0};
    std::atomic<std::uint64_t> segments{0};
    std::atomic<std::uint64_t> disk_bytes{0};
    std::atomic<std::uint64_t> live_bytes{0};
    std::atomic<std::uint64_t> corrupt_regions{0};
    std::atomic<std::uint64_t> unreadable_records{0};
    std::atomic<std::uint64_t> compacted_segments{0};
    std::atomic<std::uint64_t> carried_records{0};
    std::array<std::atomic<std::uint64_t>, latency_bounds_s.size() + 1> commit_buckets{};
    std::atomic<std::uint64_t> commits{0};
    std::atomic<std::uint64_t> commit_ns_total{0};

    // One commit became durable latency_ns after it was submitted.
    void observe_commit(std::int64_t latency_ns) noexcept;
};

// The whole /metrics text. journal may be null (no journal figures).
[[nodiscard]] std::string render_metrics(const Client& client, const JournalMetrics* journal,
                                         std::span<const bridge::BridgeView> bridges = {});

// GET /bridges: each bridge's settings (no secret) and state, as a JSON object
// {"Bridges": [{"Name", "Queue", "Direction", "RemoteQueueUrl", "Region", "Circuit", "Carried", ...}]}.
[[nodiscard]] std::string render_bridge_status(std::span<const bridge::BridgeView> bridges);

} // namespace shmq::daemon
