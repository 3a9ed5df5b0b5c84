// The scenarios of shmq-benchmarks, each implemented once for shmq and once for every baseline
// that can run it, so that the ratio table compares like with like:
//   throughput: one producer process, one consumer process (the parent, timed), 64 B or 4 KiB
//               bodies, single messages or batches of 10; every message is received and
//               deleted. message_queue batches per message (it has no batch API).
//   round trip: the parent sends a 64 B ping, the peer answers with a pong on a second queue;
//               busy (non-blocking polls) or blocking (shmq: wait_time_s > 0, spin then futex).
//   idle long poll: a peer waits 2 s on an empty queue; its CPU time shows whether it sleeps.
//   footprint: tmpfs bytes a queue holds per queued 64 B message.
#pragma once

#include <benchmark/benchmark.h>
#include <cstddef>
#include <cstdint>

namespace shmq_bench {

enum class Polling : std::uint8_t { busy, blocking };

inline constexpr double idle_long_poll_s = 2.0;
inline constexpr std::uint32_t footprint_message_count = 60'000;

void shmq_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch);
void shmq_round_trip(benchmark::State& state, Polling polling);
void shmq_idle_long_poll(benchmark::State& state);
void shmq_footprint(benchmark::State& state);

void message_queue_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch);
void message_queue_round_trip(benchmark::State& state, Polling polling);
void message_queue_idle_long_poll(benchmark::State& state);
void message_queue_footprint(benchmark::State& state);

void posix_mq_round_trip(benchmark::State& state);

} // namespace shmq_bench
