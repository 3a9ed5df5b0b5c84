// Pull bridges (issue 12, items 3–5): a remote SQS queue (a second shmqd with --credentials on
// loopback) carried into a local queue. Method: messages are put into the remote queue through
// its namespace in shared memory, the bridge runs in this process with the real transport, and
// the local queue is read with the library; outages are real SIGKILLs of the remote and a restart
// on the same port. Waits are bounded polls for a state.
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <set>

#include "bridge/bridge_test_support.h"
#include "bridge/pull_bridge.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

bridge::BridgeSettings pull(const std::string& local, const std::string& remote_url) {
    bridge::BridgeSettings settings = bridge_settings("test-pull", local, bridge::Direction::pull, remote_url);
    settings.requests_in_flight = 3;
    return settings;
}

// Remote messages neither ready nor in flight any more (the timers run first).
std::uint32_t left_remotely(const Client& client, const std::string& name) {
    Queue queue = std::move(client.open_queue(name).value());
    queue.advance_timers();
    const QueueInspection inspection = queue.inspect();
    return inspection.ready + inspection.in_flight + inspection.delayed;
}

} // namespace

TEST_CASE("pull: a remote standard queue's messages arrive locally with their attributes, and are deleted there",
          "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("pull-source");
    Queue source = std::move(remote.ns().client().open_queue("pull-source").value());
    LocalSide local;
    local.ns.make_queue("pull-target");
    constexpr int count = 600;
    send_numbered(source, 0, count / 2);

    bridge::PullBridge bridge(pull("pull-target", remote_url), remote.endpoint(), local.runtime());
    bridge.start();
    send_numbered(source, count / 2, count); // while it runs: long polls wake
    REQUIRE(eventually([&] { return held_locally(local.ns.client(), "pull-target") == count; }));
    REQUIRE(eventually([&] { return left_remotely(remote.ns().client(), "pull-source") == 0; }));
    bridge.stop();

    std::set<int> numbers;
    const std::vector<ReceivedMessage> arrived = drain(local.ns.client(), "pull-target");
    for (const ReceivedMessage& message : arrived) {
        const int n = std::stoi(message.attributes.at("n").string_value);
        CHECK(message.body == "message " + std::to_string(n));
        CHECK(message.attributes.at("raw").binary_value == std::string("\0\x7f\xfe", 3));
        CHECK(message.aws_trace_header == numbered_trace_header(n));
        numbers.insert(n);
    }
    CHECK(arrived.size() == count);
    CHECK(numbers.size() == count);
    CHECK(bridge.metrics().carried.load() == count);
    CHECK(bridge.metrics().request_errors.load() == 0);
}

TEST_CASE("pull: FIFO groups arrive in order and once, through a SIGKILLed remote and its restart", "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("pull-source.fifo", {{"FifoQueue", "true"}});
    Queue source = std::move(remote.ns().client().open_queue("pull-source.fifo").value());
    LocalSide local;
    local.ns.make_queue("pull-target.fifo", {{"FifoQueue", "true"}});
    const std::vector<std::string> groups{"g1", "g2", "g3", "g4", "g5"};
    constexpr int per_group = 120;
    for (const std::string& group : groups) {
        send_numbered(source, 0, per_group / 2, group);
    }

    bridge::PullBridge bridge(pull("pull-target.fifo", remote_url), remote.endpoint(), local.runtime());
    bridge.start();
    REQUIRE(eventually([&] { return bridge.metrics().carried.load() > 0; }));
    remote.kill_now(); // mid-stream: polls and deletes in flight fail
    for (const std::string& group : groups) {
        send_numbered(source, per_group / 2, per_group, group);
    }
    REQUIRE(eventually([&] { return bridge.metrics().request_errors.load() > 0; }));
    remote.restart();
    REQUIRE(eventually([&] { return left_remotely(remote.ns().client(), "pull-source.fifo") == 0; }));
    REQUIRE(eventually([&] { return bridge.metrics().circuit_state() == bridge::CircuitState::closed; }));
    bridge.stop();
    CHECK(local.log.has("ReceiveMessage from " + remote_url));

    // Every group complete, in order, once: a message delivered again after its delete was lost
    // carries the same deduplication id (its remote MessageId) and is dropped locally.
    std::map<std::string, std::vector<int>> arrived;
    for (const ReceivedMessage& message : drain(local.ns.client(), "pull-target.fifo")) {
        arrived[message.message_group_id].push_back(std::stoi(message.attributes.at("n").string_value));
    }
    for (const std::string& group : groups) {
        std::vector<int> expected(per_group);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(arrived[group] == expected);
    }
}

TEST_CASE("pull: while the local queue is full, pulled messages wait with their remote visibility extended",
          "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("pull-many");
    Queue source = std::move(remote.ns().client().open_queue("pull-many").value());
    LocalSide local;
    Queue target = local.ns.make_queue("pull-small", {{"MessageCapacity", "16"}});
    constexpr int count = 40;
    send_numbered(source, 0, count);

    bridge::BridgeSettings settings = pull("pull-small", remote_url);
    settings.visibility_timeout_s = 2; // renewed every second while a message waits
    bridge::PullBridge bridge(settings, remote.endpoint(), local.runtime());
    bridge.start();
    REQUIRE(eventually([&] { return bridge.metrics().carried.load() == 16; }));
    // The rest wait in the bridge; their remote visibility (2 s) is renewed, so none of them
    // becomes visible remotely again while the local queue stays full.
    REQUIRE(eventually([&] { return bridge.metrics().extended.load() >= 3 * (count - 16); }));
    {
        Queue remote_queue = std::move(remote.ns().client().open_queue("pull-many").value());
        remote_queue.advance_timers();
        CHECK(remote_queue.inspect().ready == 0);
    }
    CHECK(local.log.has("refused a write"));

    // Consumed locally, the queue takes the rest.
    std::set<int> numbers;
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 1;
    REQUIRE(eventually([&] {
        auto received = target.receive(request);
        REQUIRE(received);
        for (const ReceivedMessage& message : received.value()) {
            numbers.insert(std::stoi(message.attributes.at("n").string_value));
            REQUIRE(target.delete_message(message.receipt_handle));
        }
        return numbers.size() == count;
    }));
    REQUIRE(eventually([&] { return left_remotely(remote.ns().client(), "pull-many") == 0; }));
    bridge.stop();
    CHECK(bridge.metrics().carried.load() == count);
}
