// The shmq side of scenarios shared by more than one scenario file (shmq_scenarios.cpp,
// fair_scenarios.cpp): opening handles, the producer peer, the parent's timed consumer loop and
// the drain that leaves a queue empty for the next invocation. Hot loops use the zero-copy path
// only: send_batch from preallocated bodies, receive_views collecting receipt handles into a
// fixed array, delete_message/delete_batch; nothing allocates.
#pragma once

#include <benchmark/benchmark.h>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "forked_peer.h"
#include "shmq/limits.h"
#include "shmq/queue.h"

namespace shmq_bench {

inline constexpr std::uint32_t batch_max = shmq::limits::receive_batch_max;

// A handle on a queue of this run's namespace, or nullopt with error.
std::optional<shmq::Queue> open_queue(const std::string& name, std::string& error);
// The same in a forked peer; a failure is reported through control.
std::optional<shmq::Queue> open_queue_in_child(const std::string& name, PeerControl& control);

// Receives and deletes whatever is left so the next invocation starts from an empty queue;
// returns how many messages it deleted.
std::uint64_t drain(shmq::Queue& queue);

// The parent's timed loop of a throughput scenario: receive up to `batch` (zero-copy, reading
// every body once), delete them (DeleteMessage for single messages, else DeleteMessageBatch),
// one Google Benchmark iteration per non-empty receive. Returns the messages moved.
std::uint64_t consume_timed(benchmark::State& state, shmq::Queue& queue, ForkedPeer& producer, std::uint32_t batch);

// Producer peer: sends as fast as the queue accepts until told to stop; a full queue is
// retried (spinning), as a producer that must not drop messages would. With tenants, message i
// carries MessageGroupId tenants[i % tenants.size()] (fair queues); without, none. Reports the
// messages the queue accepted in control.result_i64[0].
bool produce(PeerControl& control, const std::string& queue_name, std::size_t body_bytes, std::uint32_t batch,
             std::span<const std::string_view> tenants = {});

// Waits for the peer to open its handles, then lets it go; false (with the error set) if it
// did not start.
bool start_peer(benchmark::State& state, ForkedPeer& peer);

// Sends entries[0..count) with send_batch, retrying (after a pause) the ones refused because the
// queue is full, until all are accepted or the run stops. On any other refusal fails the peer
// (saying after how many messages, when sent_before is given) and returns false. accepted counts
// what went in.
bool send_batch_retrying_full(shmq::Queue& queue, PeerControl& control, std::span<shmq::SendEntry> entries,
                              std::span<shmq::SendOutcome> outcomes, std::optional<std::uint64_t> sent_before,
                              std::uint64_t& accepted);

} // namespace shmq_bench
