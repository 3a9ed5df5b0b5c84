// The bridge through faults (issue 12, items 4 and 7): throttling, 500s, dropped connections and
// answers slower than the bridge waits, injected by a small proxy (fault_proxy.py) between the
// bridge and its remote (a second shmqd with --credentials; the proxy passes signed requests on
// unchanged). Method: a deterministic fault schedule (one fault per request, in order), then
// everything passes; nothing may be lost, a FIFO queue's order and once-only delivery must hold
// (a slow answer's request reaches the remote after the bridge gave up on it: SQS's
// deduplication must drop the retry), and the failures must show in the metrics.
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <set>

#include "bridge/bridge_test_support.h"
#include "bridge/fault_proxy.h"
#include "bridge/forward_bridge.h"
#include "bridge/pull_bridge.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

bridge::TransportOptions impatient() {
    bridge::TransportOptions options;
    options.request_timeout = std::chrono::milliseconds(1'000); // the proxy's slow answers take 2 s
    return options;
}

} // namespace

TEST_CASE("faults: a FIFO queue forwarded through throttling, 500s, drops and timeouts arrives whole, in order, once",
          "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("faults-in.fifo", {{"FifoQueue", "true"}});
    FaultProxy proxy(remote.url(), "throttle:3,500:3,drop:3,slow:2");
    LocalSide local(impatient());
    Queue out = local.ns.make_queue("faults-out.fifo", {{"FifoQueue", "true"}});
    const std::vector<std::string> groups{"p", "q", "r"};
    constexpr int per_group = 100;
    for (const std::string& group : groups) {
        send_numbered(out, 0, per_group, group);
    }
    bridge::BridgeSettings settings =
        bridge_settings("faults", "faults-out.fifo", bridge::Direction::forward, remote_url);
    settings.requests_in_flight = 3;
    bridge::ForwardBridge bridge(settings, proxy.endpoint(remote), local.runtime());
    bridge.start();
    REQUIRE(eventually([&] { return held_locally(local.ns.client(), "faults-out.fifo") == 0; }));
    bridge.stop();
    // Every throttle, 500 and timeout was a failed request. A drop may not be: libcurl sends a
    // request again by itself, once, when a reused keep-alive connection closes before any answer.
    CHECK(bridge.metrics().request_errors.load() >= 8);
    CHECK(bridge.metrics().retried.load() > 0);
    CHECK(bridge.metrics().circuit_state() == bridge::CircuitState::closed);
    CHECK(local.log.has("ThrottlingException"));
    CHECK(local.log.has("HTTP 500 InternalFailure"));
    CHECK(local.log.has("no response"));

    std::map<std::string, std::vector<int>> arrived;
    for (const ReceivedMessage& message : drain(remote.ns().client(), "faults-in.fifo")) {
        arrived[message.message_group_id].push_back(std::stoi(message.attributes.at("n").string_value));
    }
    for (const std::string& group : groups) {
        std::vector<int> expected(per_group);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(arrived[group] == expected);
    }
}

TEST_CASE("faults: a standard queue pulled through throttling, 500s, drops and timeouts loses nothing", "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("faults-source");
    Queue source = std::move(remote.ns().client().open_queue("faults-source").value());
    constexpr int count = 200;
    send_numbered(source, 0, count);
    FaultProxy proxy(remote.url(), "throttle:2,500:2,drop:2,slow:1,throttle:1,drop:1");
    LocalSide local(impatient());
    local.ns.make_queue("faults-target");
    bridge::BridgeSettings settings = bridge_settings("faults", "faults-target", bridge::Direction::pull, remote_url);
    settings.requests_in_flight = 2;
    settings.visibility_timeout_s = 2; // a message a timed-out poll took comes back soon
    bridge::PullBridge bridge(settings, proxy.endpoint(remote), local.runtime());
    bridge.start();
    const auto remote_left = [&] {
        source.advance_timers();
        const QueueInspection inspection = source.inspect();
        return inspection.ready + inspection.in_flight;
    };
    REQUIRE(eventually([&] { return remote_left() == 0; }));
    bridge.stop();
    CHECK(bridge.metrics().request_errors.load() >= 6); // the throttles, 500s and the timeout
    std::set<int> numbers;
    std::size_t copies = 0;
    for (const ReceivedMessage& message : drain(local.ns.client(), "faults-target")) {
        numbers.insert(std::stoi(message.attributes.at("n").string_value));
        ++copies;
    }
    CHECK(numbers.size() == count); // at least once (a standard queue may get a copy after a fault)
    CHECK(copies >= count);
}
