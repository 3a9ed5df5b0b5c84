// The bridge against a third-party SQS (issue 12, item 7): moto_server, the SQS emulator in the
// machine's Python, started on loopback. Method: one forward bridge carries a local queue to a
// moto queue and one pull bridge carries that moto queue into a second local queue; what
// arrives must be what was sent (bodies, String/Number/Binary attributes), which also checks the
// bridge's MD5s against another implementation's, and a FIFO queue's groups keep their order
// through both hops.
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <set>

#include "bridge/bridge_test_support.h"
#include "bridge/forward_bridge.h"
#include "bridge/pull_bridge.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

struct Moto {
    int port = free_loopback_port();
    // Quiet: moto logs every request on stderr.
    ChildProcess process = ChildProcess::exec(
        "/bin/sh", {"-c", "exec moto_server -H 127.0.0.1 -p " + std::to_string(port) + " > /dev/null 2>&1"});
    bridge::SqsTransport transport;

    std::shared_ptr<const bridge::RemoteEndpoint> endpoint() const {
        auto remote = std::make_shared<bridge::RemoteEndpoint>();
        remote->url = "http://127.0.0.1:" + std::to_string(port) + "/";
        remote->region = "us-east-1";
        remote->credentials = {"testing", "testing", "", "test"};
        return remote;
    }

    bridge::SqsReply call(std::string_view action, const boost::json::object& body) {
        return call_remote(transport, endpoint(), action, body);
    }

    Moto() {
        // Up once it answers (moto takes a second or two to import itself).
        REQUIRE(eventually([&] { return call("ListQueues", {}).ok(); }));
    }

    std::string create_queue(const std::string& name, const boost::json::object& attributes = {}) {
        return create_remote_queue(transport, endpoint(), name, attributes);
    }
};

} // namespace

TEST_CASE("moto: a standard queue carried out to moto_server and back keeps bodies and attributes", "[bridge]") {
    Moto moto;
    const std::string moto_url = moto.create_queue("bridged");
    LocalSide local;
    Queue out = local.ns.make_queue("to-moto");
    local.ns.make_queue("from-moto");
    constexpr int count = 150;
    send_numbered(out, 0, count);
    bridge::ForwardBridge forward(bridge_settings("out", "to-moto", bridge::Direction::forward, moto_url),
                                  moto.endpoint(), local.runtime());
    bridge::PullBridge pull(bridge_settings("in", "from-moto", bridge::Direction::pull, moto_url), moto.endpoint(),
                            local.runtime());
    forward.start();
    pull.start();
    // At least once: moto's concurrent long polls may hand one message to two of them, so a
    // local count of 150 can be 149 numbers and a duplicate while the last is still on its way.
    // Collect until every number has arrived, however many copies came with them.
    std::set<int> numbers;
    REQUIRE(eventually([&] {
        for (const ReceivedMessage& message : drain(local.ns.client(), "from-moto")) {
            const int n = std::stoi(message.attributes.at("n").string_value);
            CHECK(message.body == "message " + std::to_string(n));
            CHECK(message.attributes.at("n").data_type == "Number");
            // No AWSTraceHeader: moto 5.2.1 drops MessageSystemAttributes (it answers no
            // MD5OfMessageSystemAttributes and returns none); the shmqd remote tests carry it.
            CHECK(message.attributes.at("raw").binary_value == std::string("\0\x7f\xfe", 3));
            numbers.insert(n);
        }
        return numbers.size() == count;
    }));
    forward.stop();
    pull.stop();
    CHECK(held_locally(local.ns.client(), "to-moto") == 0);
    CHECK(*numbers.begin() == 0);
    CHECK(*numbers.rbegin() == count - 1);
    CHECK(forward.metrics().request_errors.load() == 0);
    CHECK(pull.metrics().request_errors.load() == 0);
}

TEST_CASE("moto: FIFO groups keep their order out to moto_server and back", "[bridge]") {
    Moto moto;
    const std::string moto_url = moto.create_queue("bridged.fifo", {{"FifoQueue", "true"}});
    LocalSide local;
    Queue out = local.ns.make_queue("to-moto.fifo", {{"FifoQueue", "true"}});
    local.ns.make_queue("from-moto.fifo", {{"FifoQueue", "true"}});
    const std::vector<std::string> groups{"k", "l", "m"};
    constexpr int per_group = 40;
    for (const std::string& group : groups) {
        send_numbered(out, 0, per_group, group);
    }
    bridge::ForwardBridge forward(bridge_settings("out", "to-moto.fifo", bridge::Direction::forward, moto_url),
                                  moto.endpoint(), local.runtime());
    // One long poll at a time: moto 5.2.1 hands one group's messages to several long polls that
    // wait at once (measured: 4 concurrent 3 s polls, then a batch of 10 of one group; each of 10
    // rounds split the group over 3 or 4 polls). SQS keeps a group to one receiver while any of
    // its messages is in flight, and the shmqd remote tests pull FIFO with several polls.
    bridge::BridgeSettings pull_settings = bridge_settings("in", "from-moto.fifo", bridge::Direction::pull, moto_url);
    pull_settings.requests_in_flight = 1;
    bridge::PullBridge pull(pull_settings, moto.endpoint(), local.runtime());
    forward.start();
    pull.start();
    REQUIRE(eventually([&] { return held_locally(local.ns.client(), "from-moto.fifo") == groups.size() * per_group; }));
    forward.stop();
    pull.stop();
    std::map<std::string, std::vector<int>> arrived;
    for (const ReceivedMessage& message : drain(local.ns.client(), "from-moto.fifo")) {
        arrived[message.message_group_id].push_back(std::stoi(message.attributes.at("n").string_value));
    }
    for (const std::string& group : groups) {
        std::vector<int> expected(per_group);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(arrived[group] == expected);
    }
}
