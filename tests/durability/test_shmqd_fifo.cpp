// Goal: a durable FIFO queue comes back from a reboot as it was: every undeleted message, in
// its group's order, with its SequenceNumber; messages in flight visible again; the
// deduplication window intact (ids of live and of deleted messages still refuse duplicates,
// answered with the original identity), and new sends numbered after the old ones. A shmqd
// SIGKILLed right after the last Durability=sync send returned loses none of it. Method: the
// real shmqd, a private namespace, shared memory wiped as a reboot does.
#include <map>

#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

struct Sent {
    MessageId id;
    std::uint64_t sequence_number = 0;
};

SendOutcome send_fifo(Queue& queue, const std::string& body, const std::string& group, const std::string& dedup) {
    SendEntry entry;
    entry.body = body;
    entry.message_group_id = group;
    entry.message_deduplication_id = dedup;
    std::vector<SendOutcome> outcomes(1);
    REQUIRE(queue.send_batch({&entry, 1}, outcomes));
    REQUIRE(outcomes[0].error == Errc::ok);
    return outcomes[0];
}

std::vector<ReceivedMessage> receive_some(Queue& queue, std::int32_t visibility_s) {
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    request.visibility_timeout_s = visibility_s;
    auto received = queue.receive(request);
    REQUIRE(received);
    return std::move(received.value());
}

} // namespace

TEST_CASE("shmqd: a durable FIFO queue keeps group order, SequenceNumbers and its deduplication window",
          "[durability]") {
    const char* durability = GENERATE("async", "sync");
    CAPTURE(durability);
    TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("orders.fifo", {{"FifoQueue", "true"}, {"Durability", durability}}));
    ChildProcess daemon = start_daemon(ns, data);
    auto queue = client.open_queue("orders.fifo");
    REQUIRE(queue);
    std::map<std::string, Sent> sent; // body -> identity
    for (int i = 0; i < 30; ++i) {
        for (const std::string group : {"a", "b", "c"}) {
            const std::string body = group + "-" + std::to_string(i);
            const SendOutcome outcome = send_fifo(queue.value(), body, group, "dedup-" + body);
            sent[body] = {outcome.message_id, outcome.sequence_number};
        }
    }
    // Group a: its first 5 received and deleted. Group b: its first 10 left in flight.
    std::map<std::string, std::vector<std::string>> expected; // group -> bodies in order
    for (int i = 0; i < 30; ++i) {
        for (const std::string group : {"a", "b", "c"}) {
            if (group != "a" || i >= 5) {
                expected[group].push_back(group + "-" + std::to_string(i));
            }
        }
    }
    int deleted = 0;
    int held = 0;
    while (deleted < 5 || held < 10) {
        const auto received = receive_some(queue.value(), 3600);
        REQUIRE_FALSE(received.empty());
        for (const ReceivedMessage& message : received) {
            if (message.message_group_id == "a" && deleted < 5) {
                REQUIRE(message.body == "a-" + std::to_string(deleted));
                REQUIRE(queue->delete_message(message.receipt_handle));
                ++deleted;
            } else if (message.message_group_id == "b") {
                ++held; // stays in flight
            } else {
                REQUIRE(queue->change_visibility(message.receipt_handle, 0)); // back to its group's head
            }
        }
    }
    // One more send: with Durability=sync, the deletes before it are durable when it returns.
    const SendOutcome marker = send_fifo(queue.value(), "z-0", "z", "dedup-z-0");
    sent["z-0"] = {marker.message_id, marker.sequence_number};
    expected["z"].push_back("z-0");
    if (std::string(durability) == "sync") {
        daemon.kill_now(); // every send returned after its fdatasync
        (void)daemon.wait();
    } else {
        stop_daemon(daemon); // async: what was acknowledged is journaled on a clean stop
    }

    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data);
    auto restored = client.open_queue("orders.fifo");
    REQUIRE(restored);
    CHECK(client.get_queue_attributes("orders.fifo", {"Durability"})->at("Durability") == durability);
    // Duplicates of a deleted and of a live message: the original identity, nothing enqueued.
    const SendOutcome of_deleted = send_fifo(restored.value(), "again", "a", "dedup-a-0");
    CHECK(of_deleted.message_id == sent["a-0"].id);
    CHECK(of_deleted.sequence_number == sent["a-0"].sequence_number);
    const SendOutcome of_live = send_fifo(restored.value(), "again", "c", "dedup-c-7");
    CHECK(of_live.message_id == sent["c-7"].id);
    // Everything back, in group order, with its number (group b's in-flight ones visible).
    std::map<std::string, std::vector<std::string>> received_order;
    for (int round = 0; round < 1000; ++round) {
        const auto received = receive_some(restored.value(), 30);
        if (received.empty()) {
            break;
        }
        for (const ReceivedMessage& message : received) {
            received_order[message.message_group_id].push_back(message.body);
            CHECK(message.message_id == sent[message.body].id);
            CHECK(message.sequence_number == sent[message.body].sequence_number);
            REQUIRE(restored->delete_message(message.receipt_handle));
        }
    }
    CHECK(received_order == expected);
    // New sends are numbered after every restored one.
    std::uint64_t largest = 0;
    for (const auto& [body, identity] : sent) {
        largest = std::max(largest, identity.sequence_number);
    }
    CHECK(send_fifo(restored.value(), "new", "a", "dedup-new").sequence_number > largest);
    stop_daemon(restarted);
}
