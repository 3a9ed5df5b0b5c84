// Goal: the journal's disk use follows the live data, not the traffic. A queue that churns
// through many times its segment size while another holds long-lived messages leaves a few
// segments behind; the long-lived messages, carried forward out of the removed segments, all
// come back after a reboot, and no churned message does. A shmqd SIGKILLed in the middle of a
// compaction (carried but not yet removed, or just removed) loses and resurrects nothing.
// Method: the real shmqd with 1 MiB segments, a client's sends (Durability=sync, so that each is
// journaled) and deletes.
#include <map>
#include <set>

#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

constexpr std::size_t keeper_count = 100;
constexpr std::size_t keeper_bytes = 2048;

// The long-lived messages, each body unique.
std::set<std::string> send_keepers(Queue& keepers) {
    std::set<std::string> bodies;
    for (std::size_t i = 0; i < keeper_count; ++i) {
        std::string body = "keeper-" + std::to_string(i) + "-";
        body.resize(keeper_bytes, static_cast<char>('a' + i % 26));
        REQUIRE(keepers.send({.body = body}));
        bodies.insert(body);
    }
    return bodies;
}

// Sends and deletes `rounds` batches of ten 64 KiB messages (the stream queue is
// Durability=sync, so each batch is journaled before it is deleted: 640 KiB of records a round);
// stops early once until() holds or a send fails for want of a shmqd.
void churn(Queue& stream, int rounds, const std::function<bool()>& until = [] { return false; }) {
    const std::string body(64u << 10, 'x');
    const std::vector<SendEntry> batch(10, SendEntry{.body = body});
    std::vector<SendOutcome> outcomes(batch.size());
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    for (int round = 0; round < rounds && !until(); ++round) {
        const Status sent = stream.send_batch(batch, outcomes);
        if (!sent && sent.code() == Errc::not_durable) {
            return;
        }
        REQUIRE(sent);
        std::size_t expected = 0;
        for (const SendOutcome& outcome : outcomes) {
            expected += outcome.error == Errc::ok ? 1 : 0;
        }
        for (std::size_t received_total = 0; received_total < expected;) {
            auto received = stream.receive(request);
            REQUIRE(received);
            REQUIRE_FALSE(received->empty());
            for (const ReceivedMessage& message : received.value()) {
                REQUIRE(stream.delete_message(message.receipt_handle));
            }
            received_total += received->size();
        }
    }
}

std::uint64_t bytes_of(const std::vector<std::filesystem::path>& files) {
    std::uint64_t total = 0;
    for (const auto& file : files) {
        total += std::filesystem::file_size(file);
    }
    return total;
}

// After a reboot: every keeper is back, nothing of the stream is.
void check_after_reboot(const TestNamespace& ns, const DataDir& data, const std::set<std::string>& keepers) {
    wipe_regions(ns);
    ChildProcess daemon = start_daemon(ns, data);
    auto restored_keepers = ns.client().open_queue("keepers");
    auto restored_stream = ns.client().open_queue("stream");
    REQUIRE(restored_keepers);
    REQUIRE(restored_stream);
    std::set<std::string> bodies;
    for (const auto& [id, message] : receive_all(restored_keepers.value())) {
        bodies.insert(message.body);
    }
    CHECK(bodies.size() == keepers.size());
    CHECK(bodies == keepers);
    CHECK(receive_all(restored_stream.value()).empty());
    stop_daemon(daemon);
}

} // namespace

TEST_CASE("shmqd: compaction keeps the journal near its live data, carried messages survive a reboot",
          "[durability]") {
    TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("keepers", {{"Durability", "async"}}));
    REQUIRE(client.create_queue("stream", {{"Durability", "sync"}}));
    ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1"});
    auto keepers = client.open_queue("keepers");
    auto stream = client.open_queue("stream");
    REQUIRE(keepers);
    REQUIRE(stream);
    const std::set<std::string> keeper_bodies = send_keepers(keepers.value());
    churn(stream.value(), 100); // ~64 MiB of records through 1 MiB segments
    stop_daemon(daemon);

    // Live: ~200 KiB of keepers. Without compaction the journal would be 60 segments.
    const auto segments = data.segments();
    CAPTURE(segments.size());
    CHECK(segments.size() <= 3);
    CHECK(bytes_of(segments) <= (3u << 20));
    check_after_reboot(ns, data, keeper_bodies);
}

TEST_CASE("shmqd: a SIGKILL in the middle of a compaction loses and resurrects nothing", "[durability]") {
    const char* point = GENERATE("shmqd.compaction.after_carry", "shmqd.compaction.after_remove");
    const char* after = GENERATE("1", "3");
    CAPTURE(point, after);
    TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("keepers", {{"Durability", "async"}}));
    REQUIRE(client.create_queue("stream", {{"Durability", "sync"}}));
    ChildProcess daemon =
        start_daemon(ns, data, {"--segment-mib", "1"}, {{"SHMQ_CRASH_AT", point}, {"SHMQ_CRASH_AFTER", after}});
    auto keepers = client.open_queue("keepers");
    auto stream = client.open_queue("stream");
    REQUIRE(keepers);
    REQUIRE(stream);
    const std::set<std::string> keeper_bodies = send_keepers(keepers.value());
    int status = 0;
    churn(stream.value(), 1000, [&] { return daemon.exited(&status); });
    if (!wait_for_exit(daemon, status)) {
        FAIL("shmqd never reached " << point);
    }
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    // A batch whose sends were enqueued when shmqd died (not_durable) is deleted while it is
    // down: the restart must catch that up too.
    for (const auto& [id, message] : receive_all(stream.value())) {
        REQUIRE(stream->delete_message(message.receipt_handle));
    }
    // A restart catches up with what happened meanwhile, then a reboot.
    ChildProcess restarted = start_daemon(ns, data, {"--segment-mib", "1"});
    stop_daemon(restarted);
    check_after_reboot(ns, data, keeper_bodies);
}

TEST_CASE("shmqd: compaction keeps deleted FIFO messages' deduplication ids for their window, not their bodies",
          "[durability]") {
    TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("ids.fifo", {{"FifoQueue", "true"}, {"Durability", "sync"}}));
    REQUIRE(client.create_queue("stream", {{"Durability", "sync"}}));
    ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1"});
    auto ids = client.open_queue("ids.fifo");
    auto stream = client.open_queue("stream");
    REQUIRE(ids);
    REQUIRE(stream);
    // 20 FIFO messages of 32 KiB, sent (journaled: sync) and deleted.
    std::map<std::string, MessageId> originals;
    const std::string body(32u << 10, 'f');
    for (int i = 0; i < 20; ++i) {
        SendEntry entry{.body = body, .message_group_id = "g"};
        const std::string dedup = "order-" + std::to_string(i);
        entry.message_deduplication_id = dedup;
        auto id = ids->send(entry);
        REQUIRE(id);
        originals[dedup] = id.value();
    }
    for (int deleted = 0; deleted < 20;) {
        ReceiveRequest request;
        request.max_number_of_messages = 10;
        request.wait_time_s = 0;
        auto received = ids->receive(request);
        REQUIRE(received);
        REQUIRE_FALSE(received->empty());
        for (const ReceivedMessage& message : received.value()) {
            REQUIRE(ids->delete_message(message.receipt_handle));
            ++deleted;
        }
    }
    churn(stream.value(), 100); // their segments are compacted away meanwhile
    stop_daemon(daemon);
    CHECK(data.segments().size() <= 3);

    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data, {"--segment-mib", "1"});
    auto restored = client.open_queue("ids.fifo");
    REQUIRE(restored);
    for (const auto& [dedup, original] : originals) {
        SendEntry retry{.body = "retry", .message_group_id = "g"};
        retry.message_deduplication_id = dedup;
        auto id = restored->send(retry);
        REQUIRE(id);
        CHECK(id.value() == original); // still a duplicate
    }
    CHECK(restored->inspect().ready == 0);
    stop_daemon(restarted);
}
