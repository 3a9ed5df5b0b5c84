// The baselines of every scenario (see scenarios.h), in the same process layout as shmq:
// Boost.Interprocess message_queue for throughput, round trips, the idle long poll and the
// footprint; POSIX mq for the blocking round trip. message_queue has no batch API and no
// receipt handles: a batch is that many single sends and receives, and receive removes the
// message (there is nothing to delete). Non-blocking scenarios use try_send / try_receive in
// a spin loop, as the shmq scenarios poll with wait_time_s = 0.
#include <fcntl.h>
#include <mqueue.h>

#include <array>
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "bench_environment.h"
#include "forked_peer.h"
#include "scenarios.h"
#include "spin_pause.h"

namespace shmq_bench {

namespace {

namespace ipc = boost::interprocess;

constexpr std::size_t round_trip_queue_depth = 16;
constexpr long posix_mq_depth = 10; // the default /proc/sys/fs/mqueue/msg_max

// Creates a message_queue once per run (by suffix) and returns its name, or "" with error.
std::string ensure_message_queue(const std::string& suffix, std::size_t depth, std::size_t body_bytes,
                                 std::string& error) {
    static std::map<std::string, std::string> created;
    if (auto found = created.find(suffix); found != created.end()) {
        return found->second;
    }
    const std::string name = BenchEnvironment::get().ipc_name(suffix, false);
    try {
        ipc::message_queue::remove(name.c_str());
        ipc::message_queue queue(ipc::create_only, name.c_str(), depth, body_bytes);
    } catch (const ipc::interprocess_exception& exception) {
        error = "message_queue(" + name + "): " + exception.what();
        return {};
    }
    created.emplace(suffix, name);
    return name;
}

std::unique_ptr<ipc::message_queue> open_message_queue(const std::string& name, std::string& error) {
    try {
        return std::make_unique<ipc::message_queue>(ipc::open_only, name.c_str());
    } catch (const ipc::interprocess_exception& exception) {
        error = "open message_queue(" + name + "): " + exception.what();
        return nullptr;
    }
}

bool start_peer(benchmark::State& state, ForkedPeer& peer) {
    if (!peer.wait_ready()) {
        state.SkipWithError(("peer did not start: " + peer.failure()).c_str());
        return false;
    }
    peer.go();
    return true;
}

void drain(ipc::message_queue& queue, std::size_t body_bytes) {
    std::vector<char> buffer(body_bytes);
    std::size_t received_bytes = 0;
    unsigned int priority = 0;
    while (queue.try_receive(buffer.data(), buffer.size(), received_bytes, priority)) {
    }
}

bool produce(PeerControl& control, const std::string& name, std::size_t body_bytes, std::uint32_t batch) {
    std::string error;
    auto queue = open_message_queue(name, error);
    if (!queue) {
        ForkedPeer::fail(control, error);
        return false;
    }
    std::vector<std::string> bodies(batch, std::string(body_bytes, 'p'));
    control.child_ready.store(1, std::memory_order_release);
    if (!wait_for_go(control)) {
        return true;
    }
    std::uint64_t sequence = 0;
    while (control.stop.load(std::memory_order_relaxed) == 0) {
        for (std::uint32_t i = 0; i < batch; ++i) {
            stamp_sequence(bodies[i].data(), sequence++);
            while (!queue->try_send(bodies[i].data(), bodies[i].size(), 0)) {
                if (control.stop.load(std::memory_order_relaxed) != 0) {
                    return true;
                }
                spin_pause();
            }
        }
    }
    return true;
}

// Receives one message into buffer: spinning with try_receive (busy) or blocking.
// False when the peer died or was told to stop (blocking waits are woken by the parent).
bool receive_one(ipc::message_queue& queue, std::vector<char>& buffer, std::size_t& received_bytes, Polling polling,
                 const std::atomic<std::uint32_t>* stop, ForkedPeer* peer) {
    unsigned int priority = 0;
    if (polling == Polling::blocking) {
        queue.receive(buffer.data(), buffer.size(), received_bytes, priority);
        return true;
    }
    std::uint32_t empty_polls = 0;
    while (!queue.try_receive(buffer.data(), buffer.size(), received_bytes, priority)) {
        spin_pause();
        if (++empty_polls % empty_polls_between_liveness_checks == 0) {
            if (stop != nullptr && stop->load(std::memory_order_relaxed) != 0) {
                return false;
            }
            if (peer != nullptr && !peer->child_alive()) {
                return false;
            }
        }
        if (stop != nullptr && stop->load(std::memory_order_relaxed) != 0) {
            return false;
        }
    }
    return true;
}

void send_one(ipc::message_queue& queue, const char* body, std::size_t body_bytes, Polling polling) {
    if (polling == Polling::blocking) {
        queue.send(body, body_bytes, 0);
        return;
    }
    while (!queue.try_send(body, body_bytes, 0)) {
        spin_pause();
    }
}

} // namespace

void message_queue_throughput(benchmark::State& state, std::size_t body_bytes, std::uint32_t batch) {
    auto& environment = BenchEnvironment::get();
    std::string error;
    const bool small = body_bytes <= small_body_bytes;
    const std::string name =
        ensure_message_queue(small ? "throughput-64" : "throughput-4k",
                             small ? throughput_slot_count : throughput_4k_message_count, body_bytes, error);
    auto queue = name.empty() ? nullptr : open_message_queue(name, error);
    if (!queue) {
        state.SkipWithError(error.c_str());
        return;
    }
    ForkedPeer producer([&](PeerControl& control) { return produce(control, name, body_bytes, batch); },
                        environment.child_cpu());
    if (!start_peer(state, producer)) {
        return;
    }
    std::vector<char> buffer(body_bytes);
    std::uint64_t moved = 0;
    std::uint64_t folded = 0;
    try {
        for (auto _ : state) {
            for (std::uint32_t i = 0; i < batch; ++i) {
                std::size_t received_bytes = 0;
                if (!receive_one(*queue, buffer, received_bytes, Polling::busy, nullptr, &producer)) {
                    state.SkipWithError(("producer died: " + producer.failure()).c_str());
                    break;
                }
                folded ^= fold_body(std::string_view(buffer.data(), received_bytes));
                ++moved;
            }
        }
    } catch (const ipc::interprocess_exception& exception) {
        state.SkipWithError(exception.what());
    }
    benchmark::DoNotOptimize(folded);
    if (!producer.join()) {
        state.SkipWithError(("producer: " + producer.failure()).c_str());
    }
    drain(*queue, body_bytes);
    state.SetItemsProcessed(static_cast<std::int64_t>(moved));
    state.SetBytesProcessed(static_cast<std::int64_t>(moved * body_bytes));
}

void message_queue_round_trip(benchmark::State& state, Polling polling) {
    auto& environment = BenchEnvironment::get();
    std::string error;
    const std::string ping_name = ensure_message_queue("ping", round_trip_queue_depth, small_body_bytes, error);
    const std::string pong_name = ensure_message_queue("pong", round_trip_queue_depth, small_body_bytes, error);
    auto ping_queue = ping_name.empty() ? nullptr : open_message_queue(ping_name, error);
    auto pong_queue = pong_name.empty() ? nullptr : open_message_queue(pong_name, error);
    if (!ping_queue || !pong_queue) {
        state.SkipWithError(error.c_str());
        return;
    }
    ForkedPeer peer(
        [&](PeerControl& control) {
            std::string child_error;
            auto ping = open_message_queue(ping_name, child_error);
            auto pong = open_message_queue(pong_name, child_error);
            if (!ping || !pong) {
                ForkedPeer::fail(control, child_error);
                return false;
            }
            std::vector<char> buffer(small_body_bytes);
            control.child_ready.store(1, std::memory_order_release);
            if (!wait_for_go(control)) {
                return true;
            }
            try {
                while (control.stop.load(std::memory_order_relaxed) == 0) {
                    std::size_t received_bytes = 0;
                    if (!receive_one(*ping, buffer, received_bytes, polling, &control.stop, nullptr)) {
                        return true;
                    }
                    send_one(*pong, buffer.data(), received_bytes, polling);
                }
            } catch (const ipc::interprocess_exception& exception) {
                ForkedPeer::fail(control, exception.what());
                return false;
            }
            return true;
        },
        environment.child_cpu());
    if (!start_peer(state, peer)) {
        return;
    }
    std::vector<std::int64_t> samples_ns;
    samples_ns.reserve(static_cast<std::size_t>(state.max_iterations));
    std::vector<char> body(small_body_bytes, 'p');
    std::vector<char> buffer(small_body_bytes);
    std::uint64_t sequence = 0;
    try {
        for (auto _ : state) {
            stamp_sequence(body.data(), sequence++);
            const std::int64_t start_ns = monotonic_ns();
            send_one(*ping_queue, body.data(), body.size(), polling);
            std::size_t received_bytes = 0;
            if (!receive_one(*pong_queue, buffer, received_bytes, polling, nullptr, &peer)) {
                state.SkipWithError(("peer died: " + peer.failure()).c_str());
                break;
            }
            samples_ns.push_back(monotonic_ns() - start_ns);
        }
        peer.request_stop();
        if (polling == Polling::blocking) {
            ping_queue->send(body.data(), body.size(), 0); // wake the blocked peer
        }
    } catch (const ipc::interprocess_exception& exception) {
        state.SkipWithError(exception.what());
    }
    if (!peer.join()) {
        state.SkipWithError(("peer: " + peer.failure()).c_str());
    }
    drain(*ping_queue, small_body_bytes);
    drain(*pong_queue, small_body_bytes);
    state.SetItemsProcessed(static_cast<std::int64_t>(samples_ns.size()));
    report_latency_percentiles(state, samples_ns);
}

void message_queue_idle_long_poll(benchmark::State& state) {
    auto& environment = BenchEnvironment::get();
    std::string error;
    const std::string name = ensure_message_queue("idle", round_trip_queue_depth, small_body_bytes, error);
    if (name.empty()) {
        state.SkipWithError(error.c_str());
        return;
    }
    double cpu_ms = 0;
    double wall_s = 0;
    for (auto _ : state) {
        ForkedPeer sleeper(
            [&](PeerControl& control) {
                std::string child_error;
                auto queue = open_message_queue(name, child_error);
                if (!queue) {
                    ForkedPeer::fail(control, child_error);
                    return false;
                }
                std::vector<char> buffer(small_body_bytes);
                control.child_ready.store(1, std::memory_order_release);
                if (!wait_for_go(control)) {
                    return true;
                }
                rusage before{};
                rusage after{};
                ::getrusage(RUSAGE_SELF, &before);
                const std::int64_t start_ns = monotonic_ns();
                std::size_t received_bytes = 0;
                unsigned int priority = 0;
                const auto deadline =
                    boost::posix_time::microsec_clock::universal_time() +
                    boost::posix_time::milliseconds(static_cast<std::int64_t>(idle_long_poll_s * 1000));
                const bool got = queue->timed_receive(buffer.data(), buffer.size(), received_bytes, priority, deadline);
                const std::int64_t wall_ns = monotonic_ns() - start_ns;
                ::getrusage(RUSAGE_SELF, &after);
                if (got) {
                    ForkedPeer::fail(control, "long poll on an empty queue returned a message");
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

void message_queue_footprint(benchmark::State& state) {
    static std::uint32_t round = 0; // a fresh queue every time, also across repetitions
    for (auto _ : state) {
        std::string error;
        const std::string name = ensure_message_queue("footprint-" + std::to_string(round++), throughput_slot_count,
                                                      small_body_bytes, error);
        auto queue = name.empty() ? nullptr : open_message_queue(name, error);
        if (!queue) {
            state.SkipWithError(error.c_str());
            return;
        }
        const std::string path = "/dev/shm/" + name;
        const std::int64_t before_bytes = allocated_bytes(path);
        if (before_bytes < 0) {
            state.SkipWithError(("cannot stat " + path).c_str());
            return;
        }
        std::vector<char> body(small_body_bytes, 'p');
        for (std::uint32_t i = 0; i < footprint_message_count; ++i) {
            stamp_sequence(body.data(), i);
            if (!queue->try_send(body.data(), body.size(), 0)) {
                state.SkipWithError("message_queue full before the footprint count");
                return;
            }
        }
        const std::int64_t after_bytes = allocated_bytes(path);
        const auto messages = static_cast<double>(footprint_message_count);
        state.counters["bytes_per_msg"] = benchmark::Counter(static_cast<double>(after_bytes) / messages);
        state.counters["touched_bytes_per_msg"] =
            benchmark::Counter(static_cast<double>(after_bytes - before_bytes) / messages);
        state.counters["resident_MiB"] = benchmark::Counter(static_cast<double>(after_bytes) / (1024.0 * 1024.0));
        queue.reset();
        ipc::message_queue::remove(name.c_str());
    }
}

void posix_mq_round_trip(benchmark::State& state) {
    auto& environment = BenchEnvironment::get();
    static std::string ping_name;
    static std::string pong_name;
    if (ping_name.empty()) {
        ping_name = environment.ipc_name("ping", true);
        pong_name = environment.ipc_name("pong", true);
    }
    mq_attr attributes{};
    attributes.mq_maxmsg = posix_mq_depth;
    attributes.mq_msgsize = static_cast<long>(small_body_bytes);
    const mqd_t ping = ::mq_open(ping_name.c_str(), O_CREAT | O_RDWR, 0600, &attributes);
    const mqd_t pong = ::mq_open(pong_name.c_str(), O_CREAT | O_RDWR, 0600, &attributes);
    if (ping == static_cast<mqd_t>(-1) || pong == static_cast<mqd_t>(-1)) {
        state.SkipWithError(("mq_open: " + std::string(std::strerror(errno))).c_str());
        return;
    }
    ForkedPeer peer(
        [&](PeerControl& control) {
            // The descriptors are inherited; each process blocks on its own side.
            std::array<char, small_body_bytes> buffer{};
            control.child_ready.store(1, std::memory_order_release);
            if (!wait_for_go(control)) {
                return true;
            }
            while (control.stop.load(std::memory_order_relaxed) == 0) {
                const ssize_t received = ::mq_receive(ping, buffer.data(), buffer.size(), nullptr);
                if (received < 0) {
                    ForkedPeer::fail(control, "mq_receive: " + std::string(std::strerror(errno)));
                    return false;
                }
                if (control.stop.load(std::memory_order_relaxed) != 0) {
                    break;
                }
                if (::mq_send(pong, buffer.data(), static_cast<std::size_t>(received), 0) != 0) {
                    ForkedPeer::fail(control, "mq_send: " + std::string(std::strerror(errno)));
                    return false;
                }
            }
            return true;
        },
        environment.child_cpu());
    if (!start_peer(state, peer)) {
        ::mq_close(ping);
        ::mq_close(pong);
        return;
    }
    std::vector<std::int64_t> samples_ns;
    samples_ns.reserve(static_cast<std::size_t>(state.max_iterations));
    std::array<char, small_body_bytes> body{};
    body.fill('p');
    std::array<char, small_body_bytes> buffer{};
    std::uint64_t sequence = 0;
    for (auto _ : state) {
        stamp_sequence(body.data(), sequence++);
        const std::int64_t start_ns = monotonic_ns();
        if (::mq_send(ping, body.data(), body.size(), 0) != 0 ||
            ::mq_receive(pong, buffer.data(), buffer.size(), nullptr) < 0) {
            state.SkipWithError(("posix mq: " + std::string(std::strerror(errno))).c_str());
            break;
        }
        samples_ns.push_back(monotonic_ns() - start_ns);
    }
    peer.request_stop();
    (void)::mq_send(ping, body.data(), body.size(), 0); // wake the blocked peer
    if (!peer.join()) {
        state.SkipWithError(("peer: " + peer.failure()).c_str());
    }
    // Leave both queues empty for the next invocation.
    mq_attr nonblocking{};
    nonblocking.mq_flags = O_NONBLOCK;
    ::mq_setattr(ping, &nonblocking, nullptr);
    ::mq_setattr(pong, &nonblocking, nullptr);
    while (::mq_receive(ping, buffer.data(), buffer.size(), nullptr) >= 0) {
    }
    while (::mq_receive(pong, buffer.data(), buffer.size(), nullptr) >= 0) {
    }
    ::mq_close(ping);
    ::mq_close(pong);
    state.SetItemsProcessed(static_cast<std::int64_t>(samples_ns.size()));
    report_latency_percentiles(state, samples_ns);
}

} // namespace shmq_bench
