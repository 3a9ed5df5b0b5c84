// Forward bridges (issue 12, items 3–5): a local queue carried to a remote SQS, a second shmqd
// started with --credentials on loopback. Method: messages are sent to the local queue with the
// library, the bridge runs in this process with the real transport, and what arrived is read
// straight from the remote shmqd's namespace in shared memory; outages are real SIGKILLs of the
// remote and a restart on the same port. Waits are bounded polls for a state (never a sleep that
// hopes): the bound only ends a test that would otherwise hang.
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <set>

#include "bridge/bridge_test_support.h"
#include "bridge/forward_bridge.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

bridge::BridgeSettings forward(const std::string& local, const std::string& remote_url) {
    bridge::BridgeSettings settings = bridge_settings("test-forward", local, bridge::Direction::forward, remote_url);
    settings.requests_in_flight = 4;
    settings.batch_window = std::chrono::milliseconds(5);
    return settings;
}

} // namespace

TEST_CASE("forward: a standard queue's messages reach SQS with their attributes and leave the local queue",
          "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("forward-in");
    LocalSide local;
    Queue out = local.ns.make_queue("forward-out");
    constexpr int count = 1000;
    send_numbered(out, 0, count / 2);

    bridge::ForwardBridge bridge(forward("forward-out", remote_url), remote.endpoint(), local.runtime());
    bridge.start();
    send_numbered(out, count / 2, count); // while it runs
    REQUIRE(eventually([&] { return bridge.metrics().carried.load() == count; }));
    CHECK(held_locally(local.ns.client(), "forward-out") == 0);

    const std::vector<ReceivedMessage> arrived = drain(remote.ns().client(), "forward-in");
    std::set<int> numbers;
    for (const ReceivedMessage& message : arrived) {
        const int n = std::stoi(message.attributes.at("n").string_value);
        CHECK(message.body == "message " + std::to_string(n));
        CHECK(message.attributes.at("raw").binary_value == std::string("\0\x7f\xfe", 3));
        CHECK(message.aws_trace_header == numbered_trace_header(n));
        numbers.insert(n);
    }
    CHECK(arrived.size() == count); // no fault: no duplicate
    CHECK(numbers.size() == count);
    CHECK(bridge.metrics().failed.load() == 0);
    CHECK(bridge.metrics().request_errors.load() == 0);
    // Batched: far fewer requests than messages.
    CHECK(bridge.metrics().requests.load() < count / 2);
    bridge.stop();
}

TEST_CASE("forward: FIFO groups keep their order, through a SIGKILLed remote and its restart", "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("forward-in.fifo", {{"FifoQueue", "true"}});
    LocalSide local;
    Queue out = local.ns.make_queue("forward-out.fifo", {{"FifoQueue", "true"}});
    const std::vector<std::string> groups{"a", "b", "c", "d"};
    constexpr int per_group = 150;
    for (const std::string& group : groups) {
        send_numbered(out, 0, per_group / 3, group);
    }

    bridge::ForwardBridge bridge(forward("forward-out.fifo", remote_url), remote.endpoint(), local.runtime());
    bridge.start();
    REQUIRE(eventually([&] { return bridge.metrics().carried.load() > 0; }));
    remote.kill_now(); // mid-stream: some of the first third carried, perhaps some batches in flight
    for (const std::string& group : groups) {
        send_numbered(out, per_group / 3, per_group, group);
    }
    // While the remote is down nothing is lost: the bridge opens its circuit and keeps the rest.
    REQUIRE(eventually([&] { return bridge.metrics().request_errors.load() > 0; }));
    const std::uint64_t carried_before_restart = bridge.metrics().carried.load();
    CHECK(held_locally(local.ns.client(), "forward-out.fifo") == groups.size() * per_group - carried_before_restart);
    remote.restart();
    REQUIRE(eventually([&] { return held_locally(local.ns.client(), "forward-out.fifo") == 0; }));
    CHECK(bridge.metrics().circuit_state() == bridge::CircuitState::closed);
    CHECK(local.log.has("SendMessageBatch to " + remote_url));
    CHECK(local.log.has("circuit is closed"));

    // Each group arrived complete, once, in order (SQS's deduplication drops a batch sent again
    // after an answer lost with the remote).
    std::map<std::string, std::vector<int>> arrived;
    for (const ReceivedMessage& message : drain(remote.ns().client(), "forward-in.fifo")) {
        arrived[message.message_group_id].push_back(std::stoi(message.attributes.at("n").string_value));
    }
    for (const std::string& group : groups) {
        std::vector<int> expected(per_group);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(arrived[group] == expected);
    }
    bridge.stop();
}

TEST_CASE("forward: wrong credentials, a wrong region or a missing remote queue are logged, counted and lose nothing",
          "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("forward-real");
    LocalSide local;
    Queue out = local.ns.make_queue("forward-kept");
    send_numbered(out, 0, 25);

    SECTION("a wrong secret") {
        bridge::ForwardBridge bridge(forward("forward-kept", remote_url), remote.endpoint("wrong-secret"),
                                     local.runtime());
        bridge.start();
        REQUIRE(eventually([&] { return local.log.has("SignatureDoesNotMatch"); }));
        CHECK(bridge.metrics().last_error().find("HTTP 403 SignatureDoesNotMatch") != std::string::npos);
        CHECK(bridge.metrics().circuit_state() != bridge::CircuitState::closed);
        bridge.stop();
    }
    SECTION("a wrong region") {
        auto elsewhere = std::make_shared<bridge::RemoteEndpoint>(*remote.endpoint());
        elsewhere->region = "ap-south-1"; // the remote serves eu-west-1
        bridge::ForwardBridge bridge(forward("forward-kept", remote_url), elsewhere, local.runtime());
        bridge.start();
        REQUIRE(eventually([&] { return bridge.metrics().request_errors.load() > 0; }));
        CHECK(bridge.metrics().last_error().find("HTTP 403") != std::string::npos);
        CHECK(bridge.metrics().last_error().find("this needs fixing") != std::string::npos);
        bridge.stop();
    }
    SECTION("a remote queue that does not exist") {
        const std::string missing_url = remote_url.substr(0, remote_url.rfind('/') + 1) + "no-such-queue";
        bridge::ForwardBridge bridge(forward("forward-kept", missing_url), remote.endpoint(), local.runtime());
        bridge.start();
        REQUIRE(eventually([&] { return local.log.has("NonExistentQueue"); }));
        CHECK(bridge.metrics().request_errors.load() > 0);
        bridge.stop();
    }
    // Stopped: every message is back in the local queue, visible at once (the timers run by
    // hand: an idle queue's counts move only when someone uses it, issue 14).
    Queue kept = std::move(local.ns.client().open_queue("forward-kept").value());
    kept.advance_timers();
    const QueueInspection inspection = kept.inspect();
    CHECK(inspection.ready == 25);
    CHECK(inspection.in_flight == 0);
    CHECK(remote.ns().client().open_queue("forward-real")->inspect().ready == 0);
}

TEST_CASE("forward: an entry SQS refuses as the sender's fault goes to the local dead-letter queue", "[bridge]") {
    RemoteSqs remote;
    // The remote takes smaller messages than the local queue: the long one is refused.
    const std::string remote_url = remote.create_queue("forward-small", {{"MaximumMessageSize", "1024"}});
    LocalSide local;
    local.ns.make_queue("forward-dead");
    Queue out = local.ns.make_queue(
        "forward-big", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + Client::queue_arn("forward-dead") +
                                              R"(","maxReceiveCount":"5"})"}});
    const std::string long_body(4000, 'L');
    SendEntry entry;
    entry.body = "short one";
    REQUIRE(out.send(entry));
    entry.body = long_body;
    REQUIRE(out.send(entry));
    entry.body = "short two";
    REQUIRE(out.send(entry));

    bridge::ForwardBridge bridge(forward("forward-big", remote_url), remote.endpoint(), local.runtime());
    bridge.start();
    REQUIRE(eventually([&] { return bridge.metrics().carried.load() == 2 && bridge.metrics().failed.load() == 1; }));
    REQUIRE(eventually([&] { return held_locally(local.ns.client(), "forward-big") == 0; }));
    // The policy changed while the bridge runs: the next refusal goes where it names now.
    local.ns.make_queue("forward-dead-2");
    REQUIRE(local.ns.client().set_queue_attributes(
        "forward-big", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + Client::queue_arn("forward-dead-2") +
                                              R"(","maxReceiveCount":"5"})"}}));
    const std::string long_again = long_body + " again";
    entry.body = long_again;
    REQUIRE(out.send(entry));
    REQUIRE(eventually([&] { return bridge.metrics().failed.load() == 2; }));
    REQUIRE(eventually([&] { return held_locally(local.ns.client(), "forward-big") == 0; }));
    bridge.stop();
    const std::vector<ReceivedMessage> dead = drain(local.ns.client(), "forward-dead");
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].body == long_body);
    const std::vector<ReceivedMessage> dead_again = drain(local.ns.client(), "forward-dead-2");
    REQUIRE(dead_again.size() == 1);
    CHECK(dead_again[0].body == long_again);
    CHECK(local.log.has("moved to dead-letter queue forward-dead "));
    CHECK(local.log.has("moved to dead-letter queue forward-dead-2 "));
    CHECK(bridge.metrics().last_error().find("refused by SQS") != std::string::npos);
    std::set<std::string> carried;
    for (const ReceivedMessage& message : drain(remote.ns().client(), "forward-small")) {
        carried.insert(message.body);
    }
    CHECK(carried == std::set<std::string>{"short one", "short two"});
}

TEST_CASE("forward: a full remote queue is waited for, never a reason to dead-letter", "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("forward-full", {{"MessageCapacity", "16"}});
    LocalSide local;
    local.ns.make_queue("forward-dead");
    Queue out = local.ns.make_queue(
        "forward-many", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + Client::queue_arn("forward-dead") +
                                               R"(","maxReceiveCount":"5"})"}});
    constexpr int count = 60;
    send_numbered(out, 0, count);
    bridge::ForwardBridge bridge(forward("forward-many", remote_url), remote.endpoint(), local.runtime());
    bridge.start();
    // The remote holds 16: once it is full, the bridge's sends fail with OverLimit and it backs
    // off (those entries are "later", whatever their SenderFault says); then a consumer drains it.
    Queue remote_queue = std::move(remote.ns().client().open_queue("forward-full").value());
    REQUIRE(eventually([&] {
        return remote_queue.inspect().ready == 16 && bridge.metrics().retried.load() > 0 && local.log.has("OverLimit");
    }));
    std::set<int> numbers;
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 1;
    REQUIRE(eventually([&] {
        auto received = remote_queue.receive(request);
        REQUIRE(received);
        for (const ReceivedMessage& message : received.value()) {
            numbers.insert(std::stoi(message.attributes.at("n").string_value));
            REQUIRE(remote_queue.delete_message(message.receipt_handle));
        }
        return numbers.size() == count;
    }));
    bridge.stop();
    CHECK(bridge.metrics().failed.load() == 0);
    CHECK(held_locally(local.ns.client(), "forward-dead") == 0);
}
