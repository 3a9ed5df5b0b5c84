// The shmq side of every scenario (see scenarios.h). The parent process is the consumer (or the
// pinger) and owns the timed loop; a forked peer is the producer (or the ponger). Hot loops use
// the zero-copy path only: send/send_batch from preallocated bodies, receive_views collecting
// receipt handles into a fixed array, delete_message/delete_batch; nothing allocates. Helpers
// shared with fair_scenarios.cpp (producer, timed consumer, drain) are in shmq_helpers.h.
#include <array>
#include <optional>
#include <span>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "bench_environment.h"
#include "forked_peer.h"
#include "scenarios.h"
#include "shmq/limits.h"
#include "shmq/queue.h"
#include "shmq_helpers.h"
#include "spin_pause.h"

namespace shmq_bench {

namespace {

// Blocking scenarios long-poll this long; the peer is always woken well before.
constexpr std::int32_t blocking_wait_time_s = 1;

std::string throughput_queue_name(std::size_t body_bytes) {
    return body_bytes <= small_body_bytes ? "throughput-64" : "throughput-4k";
}

// Pong peer: receive a ping, answer with its body on the pong queue, then delete the ping
// (process, then delete: the at-least-once order SQS consumers use).
bool pong(PeerControl& control, std::int32_t wait_time_s) {
    auto ping_queue = open_queue_in_child("ping", control);
    auto pong_queue = open_queue_in_child("pong", control);
    if (!ping_queue || !pong_queue) {
        return false;
    }
    shmq::ReceiveRequest request;
    request.wait_time_s = wait_time_s;
    std::array<char, small_body_bytes> body{};
    control.child_ready.store(1, std::memory_order_release);
    if (!wait_for_go(control)) {
        return true;
    }
    while (control.stop.load(std::memory_order_relaxed) == 0) {
        shmq::ReceiptHandle handle;
        std::uint32_t count = 0;
        auto received = ping_queue->receive_views(request, [&](const shmq::MessageView& view) {
            handle = view.receipt_handle;
            std::memcpy(body.data(), view.body.data(), std::min(view.body.size(), body.size()));
            ++count;
        });
        if (!received) {
            ForkedPeer::fail(control, "receive ping: " + received.error().message);
            return false;
        }
        if (count == 0) {
            spin_pause();
            continue;
        }
        shmq::SendEntry entry;
        entry.body = std::string_view(body.data(), body.size());
        auto sent = pong_queue->send(entry);
        if (!sent) {
            ForkedPeer::fail(control, "send pong: " + sent.error().message);
            return false;
        }
        if (auto deleted = ping_queue->delete_message(handle); !deleted) {
            ForkedPeer::fail(control, "delete ping: " + deleted.message());
            return false;
        }
    }
    return true;
}

// --- FIFO ---

constexpr std::size_t dedup_id_chars = 16;
using DedupId = std::array<char, dedup_id_chars>;

// A MessageDeduplicationId: the counter as 16 hex digits (unique per queue, no allocation).
void format_dedup_id(DedupId& id, std::uint64_t counter) noexcept {
    stamp_sequence(id.data(), counter >> 32);
    stamp_sequence(id.data() + 8, counter & 0xFFFF'FFFFu);
}

static_assert(dedup_send_default_table_iterations < shmq::limits::dedup_entries_default * 65 / 100,
              "the default deduplication window must hold every fresh id of its dedup run");

std::uint32_t fifo_round = 0; // a fresh FIFO queue for every invocation, also across repetitions

// A new FIFO queue (dedup window empty) with the given deduplication window.
std::string fresh_fifo_queue(const std::string& stem, DedupWindow window) {
    shmq::QueueAttributes attributes{{"FifoQueue", "true"}};
    shmq::QueueCapacity capacity;
    capacity.slot_count = throughput_slot_count;
    capacity.dedup_entries = window == DedupWindow::largest_table ? fifo_dedup_entries : 0;
    capacity.fifo_deduplication = window != DedupWindow::none;
    return BenchEnvironment::get().create_fresh_queue(stem + "-" + std::to_string(fifo_round++) + ".fifo", attributes,
                                                      capacity);
}

// FIFO producer peer: batches of 10, group ids round-robin over group_count precomputed
// strings, a unique deduplication id per message. A full queue is retried (spinning); a send
// refused with OverLimit (the dedup window is full) ends the run with an error. Into a queue
// without deduplication the ids are only carried, so the number of messages is not capped.
bool produce_fifo(PeerControl& control, const std::string& queue_name, std::uint32_t group_count, DedupWindow window) {
    auto queue = open_queue_in_child(queue_name, control);
    if (!queue) {
        return false;
    }
    // The producer alone writes the deduplication table (768 MiB at the largest), and the
    // region is new for every invocation: fault it all in before the clock runs.
    if (populate_mappings(BenchEnvironment::get().namespace_name(), queue_name) < 0) {
        ForkedPeer::fail(control, "cannot prefault the region of " + queue_name);
        return false;
    }
    std::vector<std::string> groups;
    groups.reserve(group_count);
    for (std::uint32_t g = 0; g < group_count; ++g) {
        groups.push_back("group-" + std::to_string(g));
    }
    std::vector<std::string> bodies(batch_max, std::string(small_body_bytes, 'p'));
    std::array<DedupId, batch_max> dedup_ids{};
    std::array<shmq::SendEntry, batch_max> entries{};
    std::array<shmq::SendOutcome, batch_max> outcomes{};
    control.child_ready.store(1, std::memory_order_release);
    if (!wait_for_go(control)) {
        return true;
    }
    std::uint64_t sequence = 0;
    std::uint32_t group = 0;
    while (control.stop.load(std::memory_order_relaxed) == 0) {
        if (window != DedupWindow::none && sequence + batch_max > fifo_messages_per_queue_max) {
            ForkedPeer::fail(control, "sent " + std::to_string(sequence) +
                                          " messages into one FIFO queue: the dedup window's cap; "
                                          "use a shorter --benchmark_min_time");
            return false;
        }
        for (std::uint32_t i = 0; i < batch_max; ++i) {
            stamp_sequence(bodies[i].data(), sequence + i);
            format_dedup_id(dedup_ids[i], sequence + i);
            entries[i].body = bodies[i];
            entries[i].message_group_id = groups[group];
            entries[i].message_deduplication_id = std::string_view(dedup_ids[i].data(), dedup_id_chars);
            group = group + 1 == group_count ? 0 : group + 1;
        }
        std::uint64_t accepted = 0;
        if (!send_batch_retrying_full(*queue, control, std::span(entries), std::span(outcomes), sequence,
                                      accepted)) {
            return false;
        }
        sequence += batch_max;
    }
    return true;
}

} // namespace

void shmq_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch) {
    auto& environment = BenchEnvironment::get();
    const std::string queue_name = environment.ensure_queue(throughput_queue_name(body_bytes), throughput_slot_count);
    std::string error;
    auto queue = queue_name.empty() ? std::nullopt : open_queue(queue_name, error);
    if (!queue) {
        state.SkipWithError((environment.error() + error).c_str());
        return;
    }
    ForkedPeer producer([&](PeerControl& control) { return produce(control, queue_name, body_bytes, batch); },
                        environment.child_cpu());
    if (!start_peer(state, producer)) {
        return;
    }
    const std::uint64_t moved = consume_timed(state, *queue, producer, batch);
    if (!producer.join()) {
        state.SkipWithError(("producer: " + producer.failure()).c_str());
    }
    drain(*queue);
    state.SetItemsProcessed(static_cast<std::int64_t>(moved));
    state.SetBytesProcessed(static_cast<std::int64_t>(moved * body_bytes));
}

void shmq_round_trip(benchmark::State& state, Polling polling) {
    auto& environment = BenchEnvironment::get();
    const std::int32_t wait_time_s = polling == Polling::busy ? 0 : blocking_wait_time_s;
    std::string error;
    std::optional<shmq::Queue> ping_queue;
    std::optional<shmq::Queue> pong_queue;
    if (!environment.ensure_queue("ping", throughput_slot_count).empty() &&
        !environment.ensure_queue("pong", throughput_slot_count).empty()) {
        ping_queue = open_queue("ping", error);
        pong_queue = open_queue("pong", error);
    }
    if (!ping_queue || !pong_queue) {
        state.SkipWithError((environment.error() + error).c_str());
        return;
    }
    ForkedPeer peer([&](PeerControl& control) { return pong(control, wait_time_s); }, environment.child_cpu());
    if (!start_peer(state, peer)) {
        return;
    }
    std::vector<std::int64_t> samples_ns;
    samples_ns.reserve(static_cast<std::size_t>(state.max_iterations));
    std::array<char, small_body_bytes> body{};
    body.fill('p'); // bodies must be in the SQS character set
    shmq::SendEntry entry;
    entry.body = std::string_view(body.data(), body.size());
    shmq::ReceiveRequest request;
    request.wait_time_s = wait_time_s;
    std::uint64_t sequence = 0;
    std::uint32_t empty_polls = 0;
    for (auto _ : state) {
        stamp_sequence(body.data(), sequence++);
        const std::int64_t start_ns = monotonic_ns();
        if (auto sent = ping_queue->send(entry); !sent) {
            state.SkipWithError(("send ping: " + sent.error().message).c_str());
            break;
        }
        shmq::ReceiptHandle handle;
        std::uint32_t count = 0;
        while (count == 0) {
            auto received = pong_queue->receive_views(request, [&](const shmq::MessageView& view) {
                handle = view.receipt_handle;
                ++count;
            });
            if (!received) {
                state.SkipWithError(("receive pong: " + received.error().message).c_str());
                break;
            }
            if (count == 0 && ++empty_polls % empty_polls_between_liveness_checks == 0 && !peer.child_alive()) {
                state.SkipWithError(("peer died: " + peer.failure()).c_str());
                break;
            }
        }
        if (count == 0) {
            break;
        }
        samples_ns.push_back(monotonic_ns() - start_ns);
        if (auto deleted = pong_queue->delete_message(handle); !deleted) {
            state.SkipWithError(("delete pong: " + deleted.message()).c_str());
            break;
        }
    }
    peer.request_stop();
    // A blocked peer sees the stop after its next message; do not make it sit out its poll.
    (void)ping_queue->send(entry);
    if (!peer.join()) {
        state.SkipWithError(("peer: " + peer.failure()).c_str());
    }
    drain(*ping_queue);
    drain(*pong_queue);
    state.SetItemsProcessed(static_cast<std::int64_t>(samples_ns.size()));
    report_latency_percentiles(state, samples_ns);
}

void shmq_idle_long_poll(benchmark::State& state) {
    auto& environment = BenchEnvironment::get();
    if (environment.ensure_queue("idle", shmq::limits::slot_count_min).empty()) {
        state.SkipWithError(environment.error().c_str());
        return;
    }
    double cpu_ms = 0;
    double wall_s = 0;
    for (auto _ : state) {
        ForkedPeer sleeper(
            [](PeerControl& control) {
                auto queue = open_queue_in_child("idle", control);
                if (!queue) {
                    return false;
                }
                shmq::ReceiveRequest request;
                request.wait_time_s = static_cast<std::int32_t>(idle_long_poll_s);
                control.child_ready.store(1, std::memory_order_release);
                if (!wait_for_go(control)) {
                    return true;
                }
                rusage before{};
                rusage after{};
                ::getrusage(RUSAGE_SELF, &before);
                const std::int64_t start_ns = monotonic_ns();
                std::uint32_t count = 0;
                auto received = queue->receive_views(request, [&](const shmq::MessageView&) { ++count; });
                const std::int64_t wall_ns = monotonic_ns() - start_ns;
                ::getrusage(RUSAGE_SELF, &after);
                if (!received || count != 0) {
                    ForkedPeer::fail(control, "long poll on an empty queue did not come back empty");
                    return false;
                }
                const auto cpu_ns = [](const rusage& usage) {
                    return (static_cast<std::int64_t>(usage.ru_utime.tv_sec) +
                            static_cast<std::int64_t>(usage.ru_stime.tv_sec)) *
                               1'000'000'000 +
                           (static_cast<std::int64_t>(usage.ru_utime.tv_usec) +
                            static_cast<std::int64_t>(usage.ru_stime.tv_usec)) *
                               1'000;
                };
                control.result_i64[0] = cpu_ns(after) - cpu_ns(before);
                control.result_i64[1] = wall_ns;
                return true;
            },
            environment.child_cpu());
        if (!start_peer(state, sleeper)) {
            return;
        }
        if (!sleeper.join(idle_long_poll_s + 10.0, /*stop=*/false)) {
            state.SkipWithError(("sleeper: " + sleeper.failure()).c_str());
            return;
        }
        cpu_ms += static_cast<double>(sleeper.control().result_i64[0]) / 1e6;
        wall_s += static_cast<double>(sleeper.control().result_i64[1]) / 1e9;
    }
    state.counters["cpu_ms_per_wall_s"] = benchmark::Counter(wall_s > 0 ? cpu_ms / wall_s : 0);
    state.counters["wall_s"] = benchmark::Counter(wall_s, benchmark::Counter::kAvgIterations);
}

void shmq_footprint(benchmark::State& state) {
    auto& environment = BenchEnvironment::get();
    static std::uint32_t round = 0; // a fresh queue every time, also across repetitions
    for (auto _ : state) {
        const std::string queue_name =
            environment.ensure_queue("footprint-" + std::to_string(round++), throughput_slot_count);
        std::string error;
        auto queue = queue_name.empty() ? std::nullopt : open_queue(queue_name, error);
        if (!queue) {
            state.SkipWithError((environment.error() + error).c_str());
            return;
        }
        const std::string region_path = mapped_file_containing(environment.namespace_name(), queue_name);
        const std::int64_t before_bytes = allocated_bytes(region_path);
        if (before_bytes < 0) {
            state.SkipWithError(("cannot find the region file of " + queue_name).c_str());
            return;
        }
        std::array<char, small_body_bytes> body{};
        body.fill('p'); // bodies must be in the SQS character set
        shmq::SendEntry entry;
        entry.body = std::string_view(body.data(), body.size());
        for (std::uint32_t i = 0; i < footprint_message_count; ++i) {
            stamp_sequence(body.data(), i);
            if (auto sent = queue->send(entry); !sent) {
                state.SkipWithError(("send: " + sent.error().message).c_str());
                return;
            }
        }
        const std::int64_t after_bytes = allocated_bytes(region_path);
        const shmq::QueueInspection inspection = queue->inspect();
        const auto messages = static_cast<double>(footprint_message_count);
        state.counters["bytes_per_msg"] = benchmark::Counter(static_cast<double>(after_bytes) / messages);
        state.counters["touched_bytes_per_msg"] =
            benchmark::Counter(static_cast<double>(after_bytes - before_bytes) / messages);
        state.counters["virtual_bytes_per_slot"] =
            benchmark::Counter(static_cast<double>(inspection.region_bytes) / std::max(1u, inspection.slot_count));
        state.counters["resident_MiB"] = benchmark::Counter(static_cast<double>(after_bytes) / (1024.0 * 1024.0));
        queue.reset();
        environment.drop_queue(queue_name);
    }
}

void shmq_fifo_throughput(benchmark::State& state, std::uint32_t group_count, DedupWindow window) {
    auto& environment = BenchEnvironment::get();
    const std::string queue_name = fresh_fifo_queue("fifo-throughput", window);
    std::string error;
    auto queue = queue_name.empty() ? std::nullopt : open_queue(queue_name, error);
    if (!queue) {
        state.SkipWithError((environment.error() + error).c_str());
        return;
    }
    std::uint64_t moved = 0;
    {
        ForkedPeer producer(
            [&](PeerControl& control) { return produce_fifo(control, queue_name, group_count, window); },
            environment.child_cpu());
        if (!start_peer(state, producer)) {
            queue.reset();
            environment.drop_queue(queue_name);
            return;
        }
        moved = consume_timed(state, *queue, producer, batch_max);
        if (!producer.join() && !state.error_occurred()) {
            state.SkipWithError(("producer: " + producer.failure()).c_str());
        }
    }
    queue.reset();
    environment.drop_queue(queue_name); // frees its region (and 768 MiB deduplication table)
    state.SetItemsProcessed(static_cast<std::int64_t>(moved));
    state.SetBytesProcessed(static_cast<std::int64_t>(moved * small_body_bytes));
    state.counters["groups"] = benchmark::Counter(static_cast<double>(group_count));
}

void shmq_dedup_send(benchmark::State& state, DedupSend kind, DedupWindow window) {
    auto& environment = BenchEnvironment::get();
    const bool fifo = kind != DedupSend::standard;
    if (kind == DedupSend::fifo_repeated_id && window == DedupWindow::none) {
        state.SkipWithError("a repeated deduplication id needs a queue with a deduplication window");
        return;
    }
    const std::string queue_name =
        fifo ? fresh_fifo_queue("dedup", window) : environment.ensure_queue("dedup-standard", throughput_slot_count);
    std::string error;
    auto queue = queue_name.empty() ? std::nullopt : open_queue(queue_name, error);
    if (!queue) {
        state.SkipWithError((environment.error() + error).c_str());
        return;
    }
    const auto finish = [&] {
        drain(*queue);
        queue.reset();
        if (fifo) {
            environment.drop_queue(queue_name);
        }
    };
    if (fifo && populate_mappings(environment.namespace_name(), queue_name) < 0) {
        state.SkipWithError(("cannot prefault the region of " + queue_name).c_str());
        finish();
        return;
    }
    std::array<char, small_body_bytes> body{};
    body.fill('p');
    DedupId dedup_id{};
    format_dedup_id(dedup_id, 0);
    shmq::SendEntry entry;
    entry.body = std::string_view(body.data(), body.size());
    if (fifo) {
        entry.message_group_id = "group-0";
        entry.message_deduplication_id = std::string_view(dedup_id.data(), dedup_id_chars);
    }
    // Hit: id 0 is sent once (and consumed) before the clock runs; every timed send repeats it.
    std::uint64_t counter = 0;
    if (kind == DedupSend::fifo_repeated_id) {
        if (auto sent = queue->send_message(entry); !sent) {
            state.SkipWithError(("first send: " + sent.error().message).c_str());
            finish();
            return;
        }
        drain(*queue);
    }
    constexpr std::uint32_t sends_between_drains = 1000;
    std::uint32_t pending = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t first_sequence = 0;
    for (auto _ : state) {
        if (kind == DedupSend::fifo_fresh_id) {
            format_dedup_id(dedup_id, counter++);
        }
        stamp_sequence(body.data(), counter);
        auto sent = queue->send_message(entry);
        if (!sent) {
            state.SkipWithError(("send: " + sent.error().message).c_str());
            break;
        }
        if (kind == DedupSend::fifo_repeated_id) {
            // A duplicate gets the original's SequenceNumber back.
            if (first_sequence == 0) {
                first_sequence = sent->sequence_number;
            }
            duplicates += sent->sequence_number == first_sequence ? 1u : 0u;
            continue;
        }
        if (++pending == sends_between_drains) {
            state.PauseTiming();
            drain(*queue);
            pending = 0;
            state.ResumeTiming();
        }
    }
    if (kind == DedupSend::fifo_repeated_id) {
        state.counters["duplicates"] = benchmark::Counter(static_cast<double>(duplicates));
        const shmq::QueueInspection inspection = queue->inspect();
        if (inspection.ready != 0 && !state.error_occurred()) {
            state.SkipWithError("a repeated deduplication id enqueued a message");
        }
    }
    finish();
    state.SetItemsProcessed(state.iterations());
}

} // namespace shmq_bench
