// shmq-bridge-bench: what the bridge to SQS carries (issue 12, item 8), against the remote's own
// capacity measured in the same run.
//
// Remotes, started by this process on loopback: a second shmqd with --credentials (it checks
// every signature) and, when moto_server is on PATH, moto_server. Scenarios, each one iteration
// of N 64-byte messages (100,000; 300 for moto) with manual time:
//   <remote>/load_generator/send_batch   SendMessageBatch of 10 from SqsTransport, 8 requests in
//                                        flight, until N accepted: what the remote accepts.
//   <remote>/bridge/forward              N messages already in a local queue; a forward bridge
//                                        (8 requests in flight, 10 ms window) until it carried N.
//   <remote>/load_generator/receive_delete   N messages already in the remote queue; 8 chains of
//                                        ReceiveMessage(10) + DeleteMessageBatch until N deleted.
//   <remote>/bridge/pull                 N messages already in the remote queue; a pull bridge (8
//                                        long polls) until N written locally and deleted remotely.
//   shmqd/latency/{direct,bridged}       moderate load: one message every 2 ms, 500 of them; a
//                                        consumer long-polls the remote queue through shared
//                                        memory and takes each message's age (its body holds the
//                                        send time). direct: SendMessage over HTTP from the
//                                        sender; bridged: sent to the local queue, forwarded.
//                                        Figures: p50_ms, p99_ms.
// Afterwards a table of the targets: forward and pull ≥ 0.8 × the load generator of their remote;
// bridged p50 − direct p50 ≤ the batch window + 1 ms.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

#include "bridge/forward_bridge.h"
#include "bridge/pull_bridge.h"
#include "bridge/sqs_calls.h"
#include "bridge/sqs_transport.h"
#include "shmq/client.h"
#include "shmq/queue.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
namespace json = boost::json;

constexpr const char* key = "AKIDBRIDGEBENCH";
constexpr const char* secret = "bridge-bench-secret";
constexpr const char* region = "us-east-1";
constexpr std::uint32_t load_in_flight = 8;
constexpr auto batch_window = std::chrono::milliseconds(10);

std::string scratch_dir() {
    static const std::string dir = [] {
        const std::string path =
            (std::filesystem::temp_directory_path() / ("shmq-bridge-bench-" + std::to_string(getpid()))).string();
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
        return path;
    }();
    return dir;
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

// A child process whose stdout we read line by line (stderr to a log file).
struct Child {
    pid_t pid = -1;
    FILE* out = nullptr;
    Child(std::vector<std::string> arguments, const std::string& log) {
        int fds[2];
        if (::pipe(fds) != 0) {
            return;
        }
        pid = ::fork();
        if (pid == 0) {
            const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(fds[1], STDOUT_FILENO);
            ::dup2(err, STDERR_FILENO);
            ::close(fds[0]);
            std::vector<char*> argv;
            for (std::string& argument : arguments) {
                argv.push_back(argument.data());
            }
            argv.push_back(nullptr);
            ::execvp(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out = ::fdopen(fds[0], "r");
    }
    std::string line() {
        char buffer[512];
        if (out == nullptr || std::fgets(buffer, sizeof buffer, out) == nullptr) {
            return {};
        }
        std::string text(buffer);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
            text.pop_back();
        }
        return text;
    }
    ~Child() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            ::waitpid(pid, nullptr, 0);
        }
        if (out != nullptr) {
            std::fclose(out);
        }
    }
};

// One remote SQS endpoint and the namespace (for shmqd) its queues live in.
struct Remote {
    std::string name;
    std::optional<Child> process;
    std::shared_ptr<const shmq::bridge::RemoteEndpoint> endpoint;
    std::optional<shmq::Client> client; // shmqd only: its namespace, read through shared memory
    std::string error;
};

shmq::bridge::SqsTransport& transport() {
    static shmq::bridge::SqsTransport shared;
    return shared;
}

shmq::bridge::SqsReply call(const Remote& remote, std::string_view action, const json::object& body) {
    std::promise<shmq::bridge::SqsReply> answered;
    transport().submit(remote.endpoint, action, json::serialize(body),
                       [&](shmq::bridge::SqsReply&& reply) { answered.set_value(std::move(reply)); });
    return answered.get_future().get();
}

std::shared_ptr<shmq::bridge::RemoteEndpoint> endpoint_at(const std::string& url) {
    auto endpoint = std::make_shared<shmq::bridge::RemoteEndpoint>();
    endpoint->url = url + "/";
    endpoint->region = region;
    endpoint->credentials = {key, secret, "", "bench"};
    return endpoint;
}

Remote& shmqd_remote() {
    static Remote remote = [] {
        Remote made;
        made.name = "shmqd";
        const std::string dir = scratch_dir() + "/remote";
        std::filesystem::create_directories(dir);
        const std::string credentials = dir + "/credentials";
        const int fd = ::open(credentials.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const std::string line = std::string(key) + " " + secret + "\n";
        (void)!::write(fd, line.data(), line.size());
        ::close(fd);
        const std::string ns = "bridge-bench-remote-" + std::to_string(getpid());
        made.process.emplace(std::vector<std::string>{SHMQD_BINARY, "--data-dir", dir + "/data", "--namespace", ns,
                                                      "--listen", "127.0.0.1:0", "--credentials", credentials,
                                                      "--region", region},
                             dir + "/shmqd.log");
        const std::string listening = made.process->line();
        if (!listening.starts_with("shmqd listening on ") || made.process->line() != "shmqd ready") {
            made.error = "the remote shmqd did not start (see " + dir + "/shmqd.log)";
            return made;
        }
        made.endpoint = endpoint_at(listening.substr(std::string("shmqd listening on ").size()));
        shmq::ClientOptions options;
        options.namespace_name = ns;
        made.client.emplace(std::move(shmq::Client::open(options).value()));
        return made;
    }();
    return remote;
}

Remote& moto_remote() {
    static Remote remote = [] {
        Remote made;
        made.name = "moto";
        const int port = free_port();
        made.process.emplace(std::vector<std::string>{"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port)},
                             scratch_dir() + "/moto.log");
        made.endpoint = endpoint_at("http://127.0.0.1:" + std::to_string(port));
        for (int tries = 0; tries < 300; ++tries) {
            if (call(made, "ListQueues", {}).ok()) {
                return made;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        made.error = "moto_server did not answer (is it on PATH?)";
        return made;
    }();
    return remote;
}

const shmq::Client& local_client() {
    static shmq::Client client = [] {
        shmq::ClientOptions options;
        options.namespace_name = "bridge-bench-local-" + std::to_string(getpid());
        return std::move(shmq::Client::open(options).value());
    }();
    return client;
}

// A new remote queue for each invocation (names never reused: no purge or delete to wait for).
std::string fresh_remote_queue(const Remote& remote, const std::string& name) {
    static int counter = 0;
    json::object request{{"QueueName", name + "-" + std::to_string(++counter)}};
    if (remote.name == "shmqd") {
        request["Attributes"] = json::object{{"MessageCapacity", "262144"}}; // holds a whole run
    }
    const shmq::bridge::SqsReply created = call(remote, "CreateQueue", request);
    return created.ok() ? std::string(created.json.at("QueueUrl").as_string()) : std::string();
}

shmq::Queue fresh_local_queue(const std::string& name) {
    (void)local_client().delete_queue(name);
    shmq::QueueCapacity capacity;
    capacity.slot_count = 1u << 18;
    (void)local_client().create_queue(name, {}, {}, capacity);
    return std::move(local_client().open_queue(name).value());
}

// The bridges' runtime: the shared transport, log lines on stderr (a failing run says why).
shmq::bridge::BridgeRuntime bench_runtime() {
    shmq::bridge::BridgeRuntime runtime;
    runtime.client = &local_client();
    runtime.transport = &transport();
    runtime.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    return runtime;
}

std::string body_64() {
    return std::string(64, 'b');
}

void fill_local(shmq::Queue& queue, std::uint64_t count) {
    const std::string body = body_64();
    std::vector<shmq::SendEntry> entries(10);
    std::vector<shmq::SendOutcome> outcomes(10);
    for (auto& entry : entries) {
        entry.body = body;
    }
    for (std::uint64_t sent = 0; sent < count; sent += 10) {
        (void)queue.send_batch(entries, outcomes);
    }
}

// Remote messages through its API, batched, 8 requests in flight (moto has no shared memory).
void fill_remote(const Remote& remote, const std::string& url, std::uint64_t count) {
    shmq::bridge::OutgoingMessage message;
    message.body = body_64();
    const std::vector<const shmq::bridge::OutgoingMessage*> entries(10, &message);
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint32_t> in_flight{0};
    for (std::uint64_t sent = 0; sent < count; sent += 10) {
        while (in_flight.load() >= load_in_flight) {
            std::this_thread::yield();
        }
        in_flight.fetch_add(1);
        transport().submit(remote.endpoint, "SendMessageBatch", shmq::bridge::send_message_batch_body(url, entries),
                           [&](shmq::bridge::SqsReply&& reply) {
                               if (reply.ok()) {
                                   accepted.fetch_add(10);
                               }
                               in_flight.fetch_sub(1);
                           });
    }
    while (in_flight.load() > 0) {
        std::this_thread::yield();
    }
}

struct Figures {
    std::map<std::string, double> items_per_second;
    std::map<std::string, double> p50_ms;
};
Figures& figures() {
    static Figures all;
    return all;
}

void record_rate(benchmark::State& state, const std::string& name, std::uint64_t items, double seconds) {
    state.SetIterationTime(seconds);
    state.SetItemsProcessed(static_cast<std::int64_t>(items));
    figures().items_per_second[name] = static_cast<double>(items) / seconds;
}

Remote* remote_named(benchmark::State& state, int which) {
    Remote& remote = which == 0 ? shmqd_remote() : moto_remote();
    if (!remote.error.empty()) {
        state.SkipWithError(remote.error.c_str());
        return nullptr;
    }
    return &remote;
}

// moto_server answers a batch in about 0.7 s on this machine (measured: 3,000 messages took 213 s).
std::uint64_t count_for(const Remote& remote) {
    return remote.name == "moto" ? 300 : 100'000;
}

void load_send_batch(benchmark::State& state) {
    Remote* remote = remote_named(state, static_cast<int>(state.range(0)));
    if (remote == nullptr) {
        return;
    }
    const std::uint64_t count = count_for(*remote);
    for (auto _ : state) {
        const std::string url = fresh_remote_queue(*remote, "bench-load");
        const auto start = SteadyClock::now();
        fill_remote(*remote, url, count);
        record_rate(state, remote->name + "/load_generator/send_batch", count,
                    std::chrono::duration<double>(SteadyClock::now() - start).count());
    }
}

// A bridge as every scenario runs it: load_in_flight requests, the batch window.
shmq::bridge::BridgeSettings bench_settings(const std::string& local, shmq::bridge::Direction direction,
                                            const std::string& remote_url) {
    shmq::bridge::BridgeSettings settings;
    settings.name = "bench";
    settings.local_queue = local;
    settings.direction = direction;
    settings.remote_queue_url = remote_url;
    settings.requests_in_flight = load_in_flight;
    settings.batch_window = batch_window;
    return settings;
}

// Starts the bridge and returns the seconds it took to carry count messages.
double seconds_to_carry(shmq::bridge::Bridge& bridge, std::uint64_t count) {
    const auto start = SteadyClock::now();
    bridge.start();
    while (bridge.metrics().carried.load() < count) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

void bridge_forward(benchmark::State& state) {
    Remote* remote = remote_named(state, static_cast<int>(state.range(0)));
    if (remote == nullptr) {
        return;
    }
    const std::uint64_t count = count_for(*remote);
    for (auto _ : state) {
        const std::string url = fresh_remote_queue(*remote, "bench-forward");
        shmq::Queue local = fresh_local_queue("bench-forward");
        fill_local(local, count);
        shmq::bridge::ForwardBridge bridge(bench_settings("bench-forward", shmq::bridge::Direction::forward, url),
                                           remote->endpoint, bench_runtime());
        const double seconds = seconds_to_carry(bridge, count);
        bridge.stop();
        record_rate(state, remote->name + "/bridge/forward", count, seconds);
        state.counters["requests"] = static_cast<double>(bridge.metrics().requests.load());
    }
}

void load_receive_delete(benchmark::State& state) {
    Remote* remote = remote_named(state, static_cast<int>(state.range(0)));
    if (remote == nullptr) {
        return;
    }
    const std::uint64_t count = count_for(*remote);
    for (auto _ : state) {
        const std::string url = fresh_remote_queue(*remote, "bench-drain");
        fill_remote(*remote, url, count);
        std::atomic<std::uint64_t> deleted{0};
        std::atomic<std::uint32_t> chains{0};
        std::function<void()> chain = [&] {
            transport().submit(remote->endpoint, "ReceiveMessage", shmq::bridge::receive_message_body(url, 10, 1, 60),
                               [&](shmq::bridge::SqsReply&& reply) {
                                   const shmq::bridge::ReceivedBatch batch = shmq::bridge::read_receive_message(reply);
                                   if (batch.messages.empty()) {
                                       if (deleted.load() >= count) {
                                           chains.fetch_sub(1);
                                       } else {
                                           chain();
                                       }
                                       return;
                                   }
                                   std::vector<std::string> handles;
                                   for (const auto& message : batch.messages) {
                                       handles.push_back(message.receipt_handle);
                                   }
                                   const std::size_t taken = handles.size();
                                   transport().submit(remote->endpoint, "DeleteMessageBatch",
                                                      shmq::bridge::delete_message_batch_body(url, handles),
                                                      [&, taken](shmq::bridge::SqsReply&&) {
                                                          if (deleted.fetch_add(taken) + taken >= count) {
                                                              chains.fetch_sub(1);
                                                          } else {
                                                              chain();
                                                          }
                                                      });
                               });
        };
        const auto start = SteadyClock::now();
        for (std::uint32_t i = 0; i < load_in_flight; ++i) {
            chains.fetch_add(1);
            chain();
        }
        while (deleted.load() < count) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
        while (chains.load() > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        record_rate(state, remote->name + "/load_generator/receive_delete", count, seconds);
    }
}

void bridge_pull(benchmark::State& state) {
    Remote* remote = remote_named(state, static_cast<int>(state.range(0)));
    if (remote == nullptr) {
        return;
    }
    const std::uint64_t count = count_for(*remote);
    for (auto _ : state) {
        const std::string url = fresh_remote_queue(*remote, "bench-pull");
        fill_remote(*remote, url, count);
        (void)fresh_local_queue("bench-pull");
        shmq::bridge::PullBridge bridge(bench_settings("bench-pull", shmq::bridge::Direction::pull, url),
                                        remote->endpoint, bench_runtime());
        // Written locally (the remote deletes follow, pipelined; stop() waits for the last).
        const double seconds = seconds_to_carry(bridge, count);
        bridge.stop();
        record_rate(state, remote->name + "/bridge/pull", count, seconds);
    }
}

// Moderate load: one message every 2 ms; the remote consumer computes each message's age.
void latency(benchmark::State& state) {
    Remote* remote = remote_named(state, 0);
    if (remote == nullptr) {
        return;
    }
    const bool bridged = state.range(0) == 1;
    constexpr int messages = 500;
    for (auto _ : state) {
        const std::string url = fresh_remote_queue(*remote, "bench-latency");
        shmq::Queue local = fresh_local_queue("bench-latency");
        std::optional<shmq::bridge::ForwardBridge> bridge;
        if (bridged) {
            bridge.emplace(bench_settings("bench-latency", shmq::bridge::Direction::forward, url), remote->endpoint,
                           bench_runtime());
            bridge->start();
        }
        std::vector<double> ages_ms;
        std::thread consumer([&] {
            const std::string remote_name = url.substr(url.rfind('/') + 1);
            shmq::Queue queue = std::move(remote->client->open_queue(remote_name).value());
            shmq::ReceiveRequest request;
            request.max_number_of_messages = 10;
            request.wait_time_s = 1;
            while (ages_ms.size() < messages) {
                auto received = queue.receive(request);
                const auto now = SteadyClock::now().time_since_epoch();
                for (const shmq::ReceivedMessage& message : received.value()) {
                    const auto sent = std::chrono::nanoseconds(std::stoll(message.body));
                    ages_ms.push_back(std::chrono::duration<double, std::milli>(now - sent).count());
                    (void)queue.delete_message(message.receipt_handle);
                }
            }
        });
        const auto start = SteadyClock::now();
        for (int i = 0; i < messages; ++i) {
            std::this_thread::sleep_until(start + i * std::chrono::milliseconds(2));
            const std::string body = std::to_string(SteadyClock::now().time_since_epoch().count());
            if (bridged) {
                shmq::SendEntry entry;
                entry.body = body;
                (void)local.send(entry);
            } else {
                (void)call(*remote, "SendMessage", {{"QueueUrl", url}, {"MessageBody", body}});
            }
        }
        consumer.join();
        if (bridge) {
            bridge->stop();
        }
        state.SetIterationTime(std::chrono::duration<double>(SteadyClock::now() - start).count());
        std::sort(ages_ms.begin(), ages_ms.end());
        const double p50 = ages_ms[ages_ms.size() / 2];
        state.counters["p50_ms"] = p50;
        state.counters["p99_ms"] = ages_ms[ages_ms.size() * 99 / 100];
        figures().p50_ms[bridged ? "bridged" : "direct"] = p50;
    }
}

void print_targets() {
    const auto& rates = figures().items_per_second;
    std::printf("\nbridge targets (same run)\n");
    for (const std::string remote : {"shmqd", "moto"}) {
        for (const auto& [bridge, load] : {std::pair<std::string, std::string>{"forward", "send_batch"},
                                           std::pair<std::string, std::string>{"pull", "receive_delete"}}) {
            const auto b = rates.find(remote + "/bridge/" + bridge);
            const auto l = rates.find(remote + "/load_generator/" + load);
            if (b == rates.end() || l == rates.end()) {
                continue;
            }
            const double ratio = b->second / l->second;
            std::printf("  %-6s %-8s %10.0f msgs/s vs load generator %10.0f msgs/s: %.2fx (target >= 0.80: %s)\n",
                        remote.c_str(), bridge.c_str(), b->second, l->second, ratio, ratio >= 0.8 ? "met" : "MISSED");
        }
    }
    const auto& p50 = figures().p50_ms;
    if (p50.count("bridged") != 0 && p50.count("direct") != 0) {
        const double added = p50.at("bridged") - p50.at("direct");
        const double bound = static_cast<double>(batch_window.count()) + 1.0;
        std::printf("  latency p50: bridged %.2f ms, direct %.2f ms, added %.2f ms (target <= %.0f ms: %s)\n",
                    p50.at("bridged"), p50.at("direct"), added, bound, added <= bound ? "met" : "MISSED");
    }
}

} // namespace

int main(int argc, char** argv) {
    benchmark::RegisterBenchmark("shmqd/latency/direct", latency)
        ->Arg(0)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("shmqd/latency/bridged", latency)
        ->Arg(1)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    for (const int remote : {0, 1}) {
        const std::string name = remote == 0 ? "shmqd" : "moto";
        benchmark::RegisterBenchmark((name + "/load_generator/send_batch").c_str(), load_send_batch)
            ->Arg(remote)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((name + "/bridge/forward").c_str(), bridge_forward)
            ->Arg(remote)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((name + "/load_generator/receive_delete").c_str(), load_receive_delete)
            ->Arg(remote)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((name + "/bridge/pull").c_str(), bridge_pull)
            ->Arg(remote)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    print_targets();
    benchmark::Shutdown();
    std::filesystem::remove_all(scratch_dir());
    std::filesystem::remove_all(local_client().namespace_dir());
    return 0;
}
