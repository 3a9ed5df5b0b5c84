// Fair queues (see scenarios.h): what fair dispatch gives a quiet tenant queued behind a noisy
// tenant's backlog, and what tenants cost a busy standard queue, each against the same workload
// without MessageGroupIds in the same run. A queue that carried tenants is never reused without
// them: a region that once saw a tenant keeps the fair receive path for good.
//
// Every scenario checks its own outcome and fails (SkipWithError) otherwise: every message sent
// is received exactly once, no tenant count is left behind, and the workload is the intended
// one (the backlog is judged noisy; the 16 tenants are judged apart, in 16 distinct buckets).
#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench_environment.h"
#include "forked_peer.h"
#include "scenarios.h"
#include "shmq/queue.h"
#include "shmq_helpers.h"

namespace shmq_bench {

namespace {

constexpr std::uint32_t dwell_slot_count = 1u << 15;
static_assert(dwell_slot_count >= quiet_dwell_backlog + quiet_dwell_messages);
// Ring cells are first touched (page faults) as ring positions advance, and every round pushes
// the whole backlog through the ready ring and, with tenants, the deferred ring: untimed rounds
// first, until every cell of both rings (2 x slots each) has been used once.
constexpr std::uint32_t dwell_warmup_rounds = (2 * dwell_slot_count + quiet_dwell_backlog - 1) / quiet_dwell_backlog;

// A body is its sequence number (stamp_sequence: 8 hex digits), a marker saying whose it is,
// then filler: the consumer tells quiet from noisy messages alike with and without tenants.
constexpr std::size_t marker_offset = 8;
constexpr char noisy_marker = 'n';
constexpr char quiet_marker = 'q';
constexpr std::uint32_t all_quiet_seen = (1u << quiet_dwell_messages) - 1;
static_assert(quiet_dwell_messages <= 10, "a quiet message's number is the last digit of its stamp");

// Sends count 64 B messages stamped 0..count-1 and marked, in batches of 10, each with
// MessageGroupId tenant (empty: none). False, with error, on any refusal.
bool send_marked(shmq::Queue& queue, std::string_view tenant, char marker, std::uint32_t count, std::string& error) {
    std::array<std::array<char, small_body_bytes>, batch_max> bodies{};
    std::array<shmq::SendEntry, batch_max> entries{};
    std::array<shmq::SendOutcome, batch_max> outcomes{};
    for (std::uint32_t sent = 0; sent < count;) {
        const std::uint32_t batch = std::min(batch_max, count - sent);
        for (std::uint32_t i = 0; i < batch; ++i) {
            bodies[i].fill('p'); // bodies must be in the SQS character set
            stamp_sequence(bodies[i].data(), sent + i);
            bodies[i][marker_offset] = marker;
            entries[i].body = std::string_view(bodies[i].data(), bodies[i].size());
            entries[i].message_group_id = tenant;
        }
        auto status = queue.send_batch(std::span(entries.data(), batch), std::span(outcomes.data(), batch));
        if (!status) {
            error = "send_batch: " + status.message();
            return false;
        }
        for (std::uint32_t i = 0; i < batch; ++i) {
            if (outcomes[i].error != shmq::Errc::ok) {
                error = "send_batch entry: " + std::string(shmq::sqs_error_code(outcomes[i].error));
                return false;
            }
        }
        sent += batch;
    }
    return true;
}

// After a run: the queue holds nothing, and no message is still counted for a tenant.
bool left_empty(const shmq::Queue& queue, std::string& error) {
    const shmq::QueueInspection inspection = queue.inspect();
    if (inspection.ready + inspection.in_flight + inspection.delayed + inspection.writing != 0 ||
        inspection.tenant_messages != 0) {
        error = "queue not empty after the drain: " + std::to_string(inspection.ready) + " ready, " +
                std::to_string(inspection.in_flight) + " in flight, " + std::to_string(inspection.tenant_messages) +
                " counted for tenants";
        return false;
    }
    return true;
}

// count tenant ids in as many tenant buckets: tenants hashed into one bucket are judged together
// (docs/architecture.md), so candidates "tenant-<n>" are tried in turn, one message each, and
// kept when inspect() shows a new bucket in use. The queue is left empty. Empty, with error, when
// the candidates run out or a message is lost.
std::vector<std::string> tenants_in_distinct_buckets(shmq::Queue& queue, std::uint32_t count, std::string& error) {
    std::vector<std::string> names;
    std::uint32_t tried = 0;
    for (; names.size() < count && tried < 64 * count; ++tried) {
        std::string name = "tenant-" + std::to_string(tried);
        if (!send_marked(queue, name, noisy_marker, 1, error)) {
            break;
        }
        if (queue.inspect().tenant_buckets_used > names.size()) {
            names.push_back(std::move(name));
        }
    }
    const std::uint64_t drained = drain(queue);
    if (error.empty() && (names.size() != count || drained != tried)) {
        error = "tenant ids: " + std::to_string(names.size()) + " of " + std::to_string(count) +
                " distinct buckets found; " + std::to_string(drained) + " of " + std::to_string(tried) +
                " probe messages received";
    }
    return error.empty() ? names : std::vector<std::string>{};
}

// The MessageGroupIds of the fair throughput producer, message by message in turn: the tenants
// round-robin, or tenant 0 for 9 messages of every 10 and the others in turn for the 10th.
std::vector<std::string_view> tenant_schedule(std::span<const std::string> names, TenantMix mix) {
    if (mix == TenantMix::round_robin) {
        return {names.begin(), names.end()};
    }
    std::vector<std::string_view> schedule;
    for (std::size_t other = 1; other < names.size(); ++other) {
        schedule.insert(schedule.end(), 9, names[0]);
        schedule.push_back(names[other]);
    }
    return schedule;
}

} // namespace

void shmq_fair_quiet_dwell(benchmark::State& state, Tenancy tenancy) {
    auto& environment = BenchEnvironment::get();
    const bool tenants = tenancy == Tenancy::tenants;
    const std::string queue_name =
        environment.ensure_queue(tenants ? "fair-dwell-tenants" : "fair-dwell-plain", dwell_slot_count);
    std::string error;
    auto queue = queue_name.empty() ? std::nullopt : open_queue(queue_name, error);
    if (!queue) {
        state.SkipWithError((environment.error() + error).c_str());
        return;
    }
    const std::string_view noisy_tenant = tenants ? "noisy" : "";
    const std::string_view quiet_tenant = tenants ? "quiet" : "";
    constexpr std::uint64_t messages_per_round = quiet_dwell_backlog + quiet_dwell_messages;
    // The workload, untimed: the noisy backlog, then the quiet tenant's messages behind it.
    const auto fill = [&] {
        return send_marked(*queue, noisy_tenant, noisy_marker, quiet_dwell_backlog, error) &&
               send_marked(*queue, quiet_tenant, quiet_marker, quiet_dwell_messages, error);
    };
    // After a round, untimed: the rest is received; every message exactly once, none counted.
    const auto drain_and_check = [&](std::uint64_t delivered) {
        delivered += drain(*queue);
        if (delivered != messages_per_round) {
            error = "sent " + std::to_string(messages_per_round) + " messages, received " + std::to_string(delivered);
            return false;
        }
        return left_empty(*queue, error);
    };
    for (std::uint32_t round = 0; round < dwell_warmup_rounds; ++round) {
        if (!fill()) {
            state.SkipWithError(error.c_str());
            return;
        }
        // The workload must be what it claims: with tenants the backlog is noisy (one bucket).
        if (round == 0 && queue->inspect().noisy_tenant_buckets != (tenants ? 1u : 0u)) {
            state.SkipWithError(tenants ? "the noisy tenant's backlog is not judged noisy"
                                        : "a queue without MessageGroupIds has a noisy tenant");
            return;
        }
        if (!drain_and_check(0)) {
            state.SkipWithError(error.c_str());
            return;
        }
    }

    shmq::ReceiveRequest request;
    request.max_number_of_messages = batch_max;
    request.wait_time_s = 0;
    std::array<shmq::ReceiptHandle, batch_max> handles{};
    std::array<shmq::Errc, batch_max> errors{};
    std::uint64_t noisy_before_total = 0;
    std::uint64_t noisy_before_max = 0;
    std::int64_t dwell_ns_total = 0;
    for (auto _ : state) {
        state.PauseTiming();
        if (!fill()) {
            state.SkipWithError(error.c_str());
            break;
        }
        state.ResumeTiming();
        const std::int64_t start_ns = monotonic_ns();
        std::uint32_t quiet_seen = 0;
        std::uint64_t noisy_before = 0;
        std::uint64_t delivered = 0;
        bool misdelivered = false; // a wrong MessageGroupId, an unknown body, or a quiet message twice
        while (quiet_seen != all_quiet_seen && error.empty()) {
            std::uint32_t count = 0;
            auto received = queue->receive_views(request, [&](const shmq::MessageView& view) {
                handles[count++] = view.receipt_handle;
                const bool quiet = view.body.size() > marker_offset && view.body[marker_offset] == quiet_marker;
                misdelivered |= view.message_group_id != (quiet ? quiet_tenant : noisy_tenant);
                if (!quiet) {
                    noisy_before += quiet_seen != all_quiet_seen ? 1u : 0u;
                    return;
                }
                const auto digit = static_cast<std::uint32_t>(view.body[marker_offset - 1] - '0');
                const std::uint32_t bit = digit < quiet_dwell_messages ? 1u << digit : 0u;
                misdelivered |= bit == 0 || (quiet_seen & bit) != 0;
                quiet_seen |= bit;
            });
            if (!received) {
                error = "receive_views: " + received.error().message;
            } else if (count == 0) {
                error = "the queue ran empty before the quiet tenant's last message: messages lost";
            } else {
                queue->delete_batch(std::span(handles.data(), count), std::span(errors.data(), count));
                for (std::uint32_t i = 0; i < count && error.empty(); ++i) {
                    if (errors[i] != shmq::Errc::ok) {
                        error = "delete_batch entry: " + std::string(shmq::sqs_error_code(errors[i]));
                    }
                }
                delivered += count;
            }
        }
        const std::int64_t dwell_ns = monotonic_ns() - start_ns;
        if (error.empty() && misdelivered) {
            error = "a message came back with the wrong MessageGroupId, an unknown body, or twice";
        }
        if (!error.empty()) {
            state.SkipWithError(error.c_str());
            break;
        }
        state.PauseTiming();
        noisy_before_total += noisy_before;
        noisy_before_max = std::max(noisy_before_max, noisy_before);
        dwell_ns_total += dwell_ns;
        if (!drain_and_check(delivered)) {
            state.SkipWithError(error.c_str());
            break;
        }
        state.ResumeTiming();
    }
    state.counters["msgs_before_quiet"] =
        benchmark::Counter(static_cast<double>(noisy_before_total), benchmark::Counter::kAvgIterations);
    state.counters["msgs_before_quiet_max"] = benchmark::Counter(static_cast<double>(noisy_before_max));
    state.counters["dwell_ns"] =
        benchmark::Counter(static_cast<double>(dwell_ns_total), benchmark::Counter::kAvgIterations);
    state.counters["backlog"] = benchmark::Counter(static_cast<double>(quiet_dwell_backlog));
}

void shmq_fair_throughput(benchmark::State& state, TenantMix mix) {
    auto& environment = BenchEnvironment::get();
    const std::string queue_name = environment.ensure_queue("throughput-64-tenants", throughput_slot_count);
    std::string error;
    auto queue = queue_name.empty() ? std::nullopt : open_queue(queue_name, error);
    if (!queue) {
        state.SkipWithError((environment.error() + error).c_str());
        return;
    }
    const std::vector<std::string> names = tenants_in_distinct_buckets(*queue, fair_tenant_count, error);
    if (names.empty()) {
        state.SkipWithError(error.c_str());
        return;
    }
    const std::vector<std::string_view> schedule = tenant_schedule(names, mix);
    const std::uint64_t deferred_tail_before = queue->inspect().deferred_ring_tail;
    std::uint64_t moved = 0;
    std::uint64_t sent = 0;
    {
        ForkedPeer producer(
            [&](PeerControl& control) { return produce(control, queue_name, small_body_bytes, batch_max, schedule); },
            environment.child_cpu());
        if (!start_peer(state, producer)) {
            return;
        }
        moved = consume_timed(state, *queue, producer, batch_max);
        if (!producer.join() && !state.error_occurred()) {
            state.SkipWithError(("producer: " + producer.failure()).c_str());
        }
        sent = static_cast<std::uint64_t>(producer.control().result_i64[0]);
    }
    const std::uint64_t received = moved + drain(*queue);
    if (!state.error_occurred()) {
        if (received != sent) {
            state.SkipWithError(
                ("producer sent " + std::to_string(sent) + " messages, consumer received " + std::to_string(received))
                    .c_str());
        } else if (!left_empty(*queue, error)) {
            state.SkipWithError(error.c_str());
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(moved));
    state.SetBytesProcessed(static_cast<std::int64_t>(moved * small_body_bytes));
    state.counters["tenants"] = benchmark::Counter(static_cast<double>(fair_tenant_count));
    // Deferred-ring pushes per message (the ring's tail is a hint: approximate).
    const std::uint64_t set_aside = queue->inspect().deferred_ring_tail - deferred_tail_before;
    state.counters["set_aside_per_msg"] =
        benchmark::Counter(received > 0 ? static_cast<double>(set_aside) / static_cast<double>(received) : 0);
}

} // namespace shmq_bench
