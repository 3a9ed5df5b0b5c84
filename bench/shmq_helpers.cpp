// See shmq_helpers.h.
#include "shmq_helpers.h"

#include <array>
#include <string>
#include <vector>

#include "bench_environment.h"
#include "spin_pause.h"

namespace shmq_bench {

std::optional<shmq::Queue> open_queue(const std::string& name, std::string& error) {
    auto opened = BenchEnvironment::get().client().open_queue(name);
    if (!opened) {
        error = "open_queue(" + name + "): " + opened.error().message;
        return std::nullopt;
    }
    return std::optional<shmq::Queue>(std::move(opened).value());
}

std::optional<shmq::Queue> open_queue_in_child(const std::string& name, PeerControl& control) {
    std::string error;
    auto queue = open_queue(name, error);
    if (!queue) {
        ForkedPeer::fail(control, error);
    }
    return queue;
}

std::uint64_t drain(shmq::Queue& queue) {
    shmq::ReceiveRequest request;
    request.max_number_of_messages = batch_max;
    request.wait_time_s = 0;
    std::array<shmq::ReceiptHandle, batch_max> handles{};
    std::array<shmq::Errc, batch_max> errors{};
    std::uint64_t drained = 0;
    for (std::uint32_t round = 0; round < throughput_slot_count; ++round) {
        std::uint32_t count = 0;
        auto received = queue.receive_views(
            request, [&](const shmq::MessageView& view) { handles[count++] = view.receipt_handle; });
        if (!received || count == 0) {
            break;
        }
        queue.delete_batch(std::span(handles.data(), count), std::span(errors.data(), count));
        drained += count;
    }
    return drained;
}

std::uint64_t consume_timed(benchmark::State& state, shmq::Queue& queue, ForkedPeer& producer, std::uint32_t batch) {
    shmq::ReceiveRequest request;
    request.max_number_of_messages = batch;
    request.wait_time_s = 0;
    std::array<shmq::ReceiptHandle, batch_max> handles{};
    std::array<shmq::Errc, batch_max> errors{};
    std::uint64_t moved = 0;
    std::uint64_t folded = 0;
    std::uint32_t empty_polls = 0;
    for (auto _ : state) {
        std::uint32_t count = 0;
        while (count == 0) {
            auto received = queue.receive_views(request, [&](const shmq::MessageView& view) {
                handles[count++] = view.receipt_handle;
                folded ^= fold_body(view.body);
            });
            if (!received) {
                state.SkipWithError(("receive_views: " + received.error().message).c_str());
                break;
            }
            if (count == 0 && ++empty_polls % empty_polls_between_liveness_checks == 0 && !producer.child_alive()) {
                state.SkipWithError(("producer died: " + producer.failure()).c_str());
                break;
            }
        }
        if (count == 0) {
            break;
        }
        if (batch == 1) {
            if (auto deleted = queue.delete_message(handles[0]); !deleted) {
                state.SkipWithError(("delete_message: " + deleted.message()).c_str());
                break;
            }
        } else {
            queue.delete_batch(std::span(handles.data(), count), std::span(errors.data(), count));
        }
        moved += count;
    }
    benchmark::DoNotOptimize(folded);
    return moved;
}

bool produce(PeerControl& control, const std::string& queue_name, std::size_t body_bytes, std::uint32_t batch,
             std::span<const std::string_view> tenants) {
    auto queue = open_queue_in_child(queue_name, control);
    if (!queue) {
        return false;
    }
    std::vector<std::string> bodies(batch, std::string(body_bytes, 'p'));
    std::array<shmq::SendEntry, batch_max> entries{};
    std::array<shmq::SendOutcome, batch_max> outcomes{};
    control.child_ready.store(1, std::memory_order_release);
    if (!wait_for_go(control)) {
        return true;
    }
    std::uint64_t sequence = 0;
    std::uint64_t accepted = 0;
    while (control.stop.load(std::memory_order_relaxed) == 0) {
        for (std::uint32_t i = 0; i < batch; ++i) {
            stamp_sequence(bodies[i].data(), sequence + i);
            entries[i].body = bodies[i];
            if (!tenants.empty()) {
                entries[i].message_group_id = tenants[(sequence + i) % tenants.size()];
            }
        }
        if (batch == 1) {
            auto sent = queue->send(entries[0]);
            if (sent) {
                ++sequence;
                ++accepted;
            } else if (sent.code() == shmq::Errc::queue_full) {
                spin_pause();
            } else {
                ForkedPeer::fail(control, "send: " + sent.error().message);
                return false;
            }
            continue;
        }
        if (!send_batch_retrying_full(*queue, control, std::span(entries.data(), batch),
                                      std::span(outcomes.data(), batch), std::nullopt, accepted)) {
            return false;
        }
        sequence += batch;
    }
    control.result_i64[0] = static_cast<std::int64_t>(accepted);
    return true;
}

bool send_batch_retrying_full(shmq::Queue& queue, PeerControl& control, std::span<shmq::SendEntry> entries,
                              std::span<shmq::SendOutcome> outcomes, std::optional<std::uint64_t> sent_before,
                              std::uint64_t& accepted) {
    std::size_t pending = entries.size();
    while (pending > 0 && control.stop.load(std::memory_order_relaxed) == 0) {
        auto status = queue.send_batch(entries.first(pending), outcomes.first(pending));
        if (!status) {
            ForkedPeer::fail(control, "send_batch: " + status.message());
            return false;
        }
        std::size_t kept = 0;
        for (std::size_t i = 0; i < pending; ++i) {
            if (outcomes[i].error == shmq::Errc::queue_full) {
                entries[kept++] = entries[i];
            } else if (outcomes[i].error != shmq::Errc::ok) {
                const std::string where =
                    sent_before ? " after " + std::to_string(*sent_before) + " messages" : std::string();
                ForkedPeer::fail(control, "send_batch entry" + where + ": " +
                                              std::string(shmq::sqs_error_code(outcomes[i].error)));
                return false;
            }
        }
        accepted += pending - kept;
        pending = kept;
        if (pending > 0) {
            spin_pause();
        }
    }
    return true;
}

bool start_peer(benchmark::State& state, ForkedPeer& peer) {
    if (!peer.wait_ready()) {
        state.SkipWithError(("peer did not start: " + peer.failure()).c_str());
        return false;
    }
    peer.go();
    return true;
}

} // namespace shmq_bench
