// Goal: FIFO queues behave as SQS FIFO: creation rules, required ids, strict order within a
// group, a group blocked while any of its messages is in flight, several messages of a group per
// receive, visibility expiry and ChangeMessageVisibility 0 returning messages to the head of
// their group, the 5-minute deduplication window (explicit and content-based, queue and group
// scope, outliving deletes), SequenceNumber, expired receipt handles, FIFO dead-letter queues.
// Method: one process, a ManualClock.
#include <catch2/catch.hpp>
#include <map>

#include "engine/queue_engine.h"
#include "sqs/attribute_codec.h"
#include "sqs/fifo_ids.h"
#include "support/queue_calls.h"
#include "support/test_namespace.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

// Attributes encoded as a FIFO sender stores them (only the trailer of ids).
std::string encoded_ids(const sqs::AttributeTrailer& trailer) {
    std::string out(sqs::encoded_attributes_size(nullptr, trailer), '\0');
    sqs::encode_attributes(nullptr, trailer, std::as_writable_bytes(std::span(out)));
    return out;
}

constexpr std::int64_t minute_s = 60;

Result<MessageId> send(Queue& queue, std::string_view body, std::string_view group, std::string_view dedup = {}) {
    SendEntry entry;
    entry.body = body;
    entry.message_group_id = group;
    entry.message_deduplication_id = dedup.empty() ? body : dedup;
    return queue.send(entry);
}

std::vector<std::string> bodies(const std::vector<ReceivedMessage>& messages) {
    std::vector<std::string> out;
    for (const ReceivedMessage& message : messages) {
        out.push_back(message.body);
    }
    return out;
}

void delete_all(Queue& queue, const std::vector<ReceivedMessage>& messages) {
    for (const ReceivedMessage& message : messages) {
        REQUIRE(queue.delete_message(message.receipt_handle));
    }
}

const QueueAttributes fifo_attributes{{"FifoQueue", "true"}};

} // namespace

TEST_CASE("FIFO queues: .fifo names with FifoQueue=true, FIFO-only attributes", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    CHECK(client.create_queue("orders.fifo", {}).code() == Errc::invalid_parameter_value);
    CHECK(client.create_queue("orders", fifo_attributes).code() == Errc::invalid_parameter_value);
    REQUIRE(client.create_queue("orders.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}));
    auto attributes = client.get_queue_attributes("orders.fifo", {"All"});
    REQUIRE(attributes);
    CHECK(attributes->at("FifoQueue") == "true");
    CHECK(attributes->at("ContentBasedDeduplication") == "true");
    CHECK(attributes->at("DeduplicationScope") == "queue");
    CHECK(attributes->at("FifoThroughputLimit") == "perQueue");
    CHECK(client.create_queue("x.fifo", {{"FifoQueue", "true"}, {"FifoThroughputLimit", "perMessageGroupId"}}).code() ==
          Errc::invalid_attribute_value);
    CHECK(client.create_queue(
        "y.fifo",
        {{"FifoQueue", "true"}, {"DeduplicationScope", "messageGroup"}, {"FifoThroughputLimit", "perMessageGroupId"}}));
}

TEST_CASE("FIFO sends need a group id, a dedup id (or content-based dedup), and no per-message delay", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("ids.fifo", fifo_attributes);
    SendEntry entry;
    entry.body = "x";
    auto no_group = queue.send(entry);
    CHECK(no_group.code() == Errc::missing_parameter);
    CHECK(no_group.error().message == "The request must contain the parameter MessageGroupId.");
    entry.message_group_id = "g";
    auto no_dedup = queue.send(entry);
    CHECK(no_dedup.code() == Errc::invalid_parameter_value);
    CHECK(
        no_dedup.error().message ==
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
    entry.message_deduplication_id = "d";
    entry.delay_seconds = 2;
    CHECK(queue.send(entry).error().message == "Value 2 for parameter DelaySeconds is invalid. Reason: The request "
                                               "include parameter that is not valid for this queue type.");
    entry.delay_seconds = -1;
    entry.message_group_id = "group 123";
    CHECK(queue.send(entry).error().message ==
          "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include "
          "alphanumeric and punctuation characters. 1 to 128 in length.");
    entry.message_group_id = "g";
    CHECK(queue.send(entry));
    CHECK(queue.inspect().ready == 1);
}

TEST_CASE("within a group, strict send order, a group is blocked while any message is in flight", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("order.fifo", fifo_attributes);
    for (int i = 1; i <= 3; ++i) {
        REQUIRE(send(queue, "a" + std::to_string(i), "A"));
        REQUIRE(send(queue, "b" + std::to_string(i), "B"));
    }
    // One message: the oldest group's head.
    auto first = receive_now(queue, 1);
    REQUIRE(bodies(first) == std::vector<std::string>{"a1"});
    // Group A is blocked while a1 is in flight; B is not.
    auto second = receive_now(queue, 10);
    CHECK(bodies(second) == std::vector<std::string>{"b1", "b2", "b3"});
    CHECK(receive_now(queue, 10).empty()); // both groups blocked now
    delete_all(queue, first);
    auto third = receive_now(queue, 10);
    CHECK(bodies(third) == std::vector<std::string>{"a2", "a3"});
    delete_all(queue, second);
    delete_all(queue, third);
    CHECK(queue.inspect().free == queue.inspect().slot_count);
}

TEST_CASE("a visibility timeout or ChangeMessageVisibility 0 returns messages to their place in their group",
          "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("again.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "10"}});
    for (const char* body : {"m1", "m2", "m3"}) {
        REQUIRE(send(queue, body, "G"));
    }
    auto held = receive_now(queue, 2);
    REQUIRE(bodies(held) == std::vector<std::string>{"m1", "m2"});
    CHECK(receive_now(queue).empty());
    clock.advance_s(10);
    auto back = receive_now(queue, 10);
    REQUIRE(bodies(back) == std::vector<std::string>{"m1", "m2", "m3"});
    CHECK(back[0].receive_count == 2);
    CHECK(back[2].receive_count == 1);
    // The old handles are expired now: FIFO refuses them.
    auto stale = queue.delete_message(held[0].receipt_handle);
    CHECK(stale.code() == Errc::invalid_parameter_value);
    CHECK(stale.message().find("The receipt handle has expired.") != std::string::npos);
    // As SQS answers (recorded: test_fifo_group_visibility_extends_with_change_message_visibility):
    // a group's visible messages are delivered in order up to the first one still in flight.
    REQUIRE(queue.change_visibility(back[0].receipt_handle, 0));
    REQUIRE(queue.change_visibility(back[2].receipt_handle, 0));
    const auto head_again = receive_now(queue, 10);
    REQUIRE(bodies(head_again) == std::vector<std::string>{"m1"}); // m2 in flight: m3 waits behind it
    REQUIRE(queue.change_visibility(back[1].receipt_handle, 0));
    CHECK(receive_now(queue).empty()); // m1 in flight again: nothing after it
    REQUIRE(queue.change_visibility(head_again[0].receipt_handle, 0));
    const auto all = receive_now(queue, 10);
    REQUIRE(bodies(all) == std::vector<std::string>{"m1", "m2", "m3"});
    // The oldest message's own timer: it comes back while a later one is held longer.
    REQUIRE(queue.change_visibility(all[1].receipt_handle, 100));
    REQUIRE(queue.change_visibility(all[2].receipt_handle, 0));
    clock.advance_s(10);
    CHECK(bodies(receive_now(queue, 10)) == std::vector<std::string>{"m1"});
}

TEST_CASE("deduplication: 5 minutes, outliving deletes, same MessageId, content-based", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("dedup.fifo", fifo_attributes);
    SendEntry entry;
    entry.body = "payment";
    entry.message_group_id = "g";
    entry.message_deduplication_id = "tx-1";
    std::vector<SendEntry> one{entry};
    std::vector<SendOutcome> original(1), duplicate(1);
    REQUIRE(queue.send_batch(one, original));
    REQUIRE(original[0].error == Errc::ok);
    CHECK(original[0].sequence_number >= 10'000'000'000'000'000'000ull);
    REQUIRE(queue.send_batch(one, duplicate));
    CHECK(duplicate[0].error == Errc::ok);
    CHECK(duplicate[0].message_id == original[0].message_id);
    CHECK(duplicate[0].sequence_number == original[0].sequence_number);
    CHECK(queue.inspect().ready == 1);
    auto received = receive_now(queue);
    REQUIRE(received.size() == 1);
    CHECK(received[0].message_deduplication_id == "tx-1");
    CHECK(received[0].message_group_id == "g");
    CHECK(received[0].sequence_number == original[0].sequence_number);
    delete_all(queue, received);
    clock.advance_s(5 * minute_s - 1);
    REQUIRE(queue.send_batch(one, duplicate));
    CHECK(duplicate[0].message_id == original[0].message_id); // still remembered after the delete
    CHECK(queue.inspect().ready == 0);
    clock.advance_s(1);
    REQUIRE(queue.send_batch(one, duplicate));
    CHECK(duplicate[0].message_id != original[0].message_id); // the window has passed
    CHECK(duplicate[0].sequence_number > original[0].sequence_number);
    CHECK(queue.inspect().ready == 1);

    Queue content = ns.make_queue("content.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
    SendEntry by_body;
    by_body.body = "same body";
    by_body.message_group_id = "g";
    auto a = content.send(by_body);
    auto b = content.send(by_body);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a.value() == b.value());
    auto got = receive_now(content);
    REQUIRE(got.size() == 1);
    // SQS reports the body's SHA-256 as the deduplication id.
    CHECK(got[0].message_deduplication_id == "8f6372a8b1509601faa57ff3a292cfcccb95aa2325c18b8e50b0c035ea1648fe");
}

TEST_CASE("DeduplicationScope messageGroup keeps the same dedup id apart per group", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue per_queue = ns.make_queue("scope-queue.fifo", fifo_attributes);
    REQUIRE(send(per_queue, "x", "g1", "same"));
    REQUIRE(send(per_queue, "y", "g2", "same"));
    CHECK(per_queue.inspect().ready == 1);
    Queue per_group = ns.make_queue(
        "scope-group.fifo",
        {{"FifoQueue", "true"}, {"DeduplicationScope", "messageGroup"}, {"FifoThroughputLimit", "perMessageGroupId"}});
    REQUIRE(send(per_group, "x", "g1", "same"));
    REQUIRE(send(per_group, "y", "g2", "same"));
    REQUIRE(send(per_group, "z", "g2", "same"));
    CHECK(per_group.inspect().ready == 2);
}

TEST_CASE("a full deduplication window refuses the send instead of forgetting", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue(
        "small.fifo", fifo_attributes, {},
        QueueCapacity{.slot_count = 0, .message_bytes_capacity = 0, .permissions = 0600, .dedup_entries = 64}));
    auto queue = client.open_queue("small.fifo");
    REQUIRE(queue);
    int refused = 0;
    for (int i = 0; i < 80; ++i) {
        auto sent = send(queue.value(), "m" + std::to_string(i), "g");
        if (!sent) {
            CHECK(sent.code() == Errc::over_limit);
            ++refused;
        }
    }
    CHECK(refused == 16);
    CHECK(queue->inspect().ready == 64);
    clock.advance_s(5 * minute_s);
    auto after = send(queue.value(), "after the window", "g", "after-the-window");
    INFO((after ? std::string("ok") : after.error().message));
    CHECK(after);
}

TEST_CASE("queue delay on a FIFO queue keeps group order", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("delayed.fifo", {{"FifoQueue", "true"}, {"DelaySeconds", "5"}});
    for (const char* body : {"d1", "d2", "d3"}) {
        REQUIRE(send(queue, body, "G"));
    }
    CHECK(receive_now(queue).empty());
    clock.advance_s(5);
    CHECK(bodies(receive_now(queue, 10)) == std::vector<std::string>{"d1", "d2", "d3"});
}

TEST_CASE("FIFO dead-letter queues: FIFO only, group kept", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue("standard-dlq"));
    const std::string to_standard =
        R"({"deadLetterTargetArn":")" + Client::queue_arn("standard-dlq") + R"(","maxReceiveCount":1})";
    CHECK(client.create_queue("src.fifo", {{"FifoQueue", "true"}, {"RedrivePolicy", to_standard}}).code() ==
          Errc::invalid_parameter_value);
    Queue dead = ns.make_queue("dlq.fifo", fifo_attributes);
    const std::string to_fifo =
        R"({"deadLetterTargetArn":")" + Client::queue_arn("dlq.fifo") + R"(","maxReceiveCount":1})";
    Queue source =
        ns.make_queue("src.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "1"}, {"RedrivePolicy", to_fifo}});
    REQUIRE(send(source, "p1", "G"));
    REQUIRE(send(source, "p2", "G"));
    REQUIRE(bodies(receive_now(source, 1)) == std::vector<std::string>{"p1"});
    clock.advance_s(1);
    // p1 exceeds maxReceiveCount: it moves, and p2 (next in the group) is delivered.
    CHECK(bodies(receive_now(source, 1)) == std::vector<std::string>{"p2"});
    auto moved = receive_now(dead);
    REQUIRE(moved.size() == 1);
    CHECK(moved[0].body == "p1");
    CHECK(moved[0].message_group_id == "G");
    CHECK(moved[0].dead_letter_source_queue == "src.fifo");
}

TEST_CASE("retention and purge on FIFO queues", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("expire.fifo", {{"FifoQueue", "true"}, {"MessageRetentionPeriod", "60"}});
    REQUIRE(send(queue, "old", "G"));
    clock.advance_s(30);
    REQUIRE(send(queue, "young", "G"));
    clock.advance_s(30);
    CHECK(bodies(receive_now(queue)) == std::vector<std::string>{"young"});
    REQUIRE(send(queue, "x", "H"));
    REQUIRE(ns.client().purge_queue("expire.fifo"));
    CHECK(queue.inspect().free == queue.inspect().slot_count);
    REQUIRE(send(queue, "after purge", "G", "p2"));
    CHECK(bodies(receive_now(queue)) == std::vector<std::string>{"after purge"});
}

TEST_CASE("a standard queue keeps a MessageGroupId and refuses a MessageDeduplicationId", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("tenants");
    SendEntry entry;
    entry.body = "t";
    entry.message_group_id = "tenant-7";
    REQUIRE(queue.send(entry));
    auto got = receive_now(queue);
    REQUIRE(got.size() == 1);
    CHECK(got[0].message_group_id == "tenant-7");
    CHECK(got[0].sequence_number == 0);
    entry.message_deduplication_id = "d";
    CHECK(queue.send(entry).code() == Errc::invalid_parameter_value);
}

TEST_CASE("many groups interleaved: each group's order holds across batches", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("many.fifo", fifo_attributes);
    constexpr int groups = 50;
    constexpr int per_group = 20;
    for (int i = 0; i < per_group; ++i) {
        for (int g = 0; g < groups; ++g) {
            REQUIRE(send(queue, std::to_string(g) + ":" + std::to_string(i), "group-" + std::to_string(g)));
        }
    }
    std::map<int, int> next;
    int received = 0;
    for (int round = 0; round < 10'000 && received < groups * per_group; ++round) {
        auto batch = receive_now(queue, 10);
        for (const ReceivedMessage& message : batch) {
            const int g = std::stoi(message.body.substr(0, message.body.find(':')));
            const int i = std::stoi(message.body.substr(message.body.find(':') + 1));
            CHECK(i == next[g]);
            next[g] = i + 1;
            CHECK(message.message_group_id == "group-" + std::to_string(g));
        }
        received += static_cast<int>(batch.size());
        delete_all(queue, batch);
    }
    CHECK(received == groups * per_group);
    CHECK(queue.inspect().free == queue.inspect().slot_count);
}

TEST_CASE("SendMessageBatch on a FIFO queue refuses the whole request for an entry without its ids", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("batch.fifo", fifo_attributes);
    std::vector<SendEntry> entries(2);
    entries[0].body = "ok";
    entries[0].message_group_id = "g";
    entries[0].message_deduplication_id = "1";
    entries[1].body = "no group";
    entries[1].message_deduplication_id = "2";
    std::vector<SendOutcome> outcomes(2);
    const Status no_group = queue.send_batch(entries, outcomes);
    CHECK(no_group.code() == Errc::invalid_parameter_value);
    CHECK(no_group.message() == "The request must contain the parameter MessageGroupId.");
    entries[1].message_group_id = "g";
    entries[1].message_deduplication_id = {};
    CHECK(queue.send_batch(entries, outcomes).code() == Errc::invalid_parameter_value);
    CHECK(queue.inspect().ready == 0); // nothing of a refused request was sent
    entries[1].message_deduplication_id = "2";
    REQUIRE(queue.send_batch(entries, outcomes));
    CHECK(outcomes[0].sequence_number < outcomes[1].sequence_number);
}

TEST_CASE("ReceiveRequestAttemptId: a retry gets the same messages and handles while nothing changed", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("attempt.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "30"}});
    for (const char* body : {"m1", "m2", "m3"}) {
        REQUIRE(send(queue, body, "G"));
    }
    ReceiveRequest request;
    request.max_number_of_messages = 2;
    request.wait_time_s = 0;
    request.receive_request_attempt_id = "attempt-1";
    auto first = queue.receive(request);
    REQUIRE(first);
    REQUIRE(bodies(first.value()) == std::vector<std::string>{"m1", "m2"});
    clock.advance_s(20);
    auto retry = queue.receive(request);
    REQUIRE(retry);
    REQUIRE(retry->size() == 2);
    CHECK(retry->at(0).receipt_handle == first->at(0).receipt_handle);
    CHECK(retry->at(1).receipt_handle == first->at(1).receipt_handle);
    clock.advance_s(25); // 45 s after the first receive, 25 s after the retry restarted visibility
    ReceiveRequest other;
    other.max_number_of_messages = 10;
    other.wait_time_s = 0;
    CHECK(queue.receive(other)->empty()); // still in flight: the group stays blocked
    // Once a message changed, the attempt id no longer replays.
    REQUIRE(queue.delete_message(retry->at(0).receipt_handle));
    auto after_change = queue.receive(request);
    REQUIRE(after_change);
    CHECK(after_change->empty()); // m2 is still in flight, so the group gives nothing new
    CHECK(queue
              .receive(ReceiveRequest{.max_number_of_messages = 1,
                                      .visibility_timeout_s = -1,
                                      .wait_time_s = 0,
                                      .receive_request_attempt_id = "bad id"})
              .code() == Errc::invalid_parameter_value);
}

TEST_CASE("duplicates give back everything their send took: slots and blob blocks", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    // 16 slots and the smallest blob arena (one chunk, at most 4112 blocks): a leak per duplicate
    // would spend it within the loop.
    Queue queue = ns.make_queue("dups.fifo", {{"FifoQueue", "true"}},
                                QueueCapacity{.slot_count = 16,
                                              .message_bytes_capacity = limits::message_bytes_capacity_min,
                                              .permissions = 0600});
    const std::string body(200, 'b'); // with its ids, beyond the inline area: a blob block
    REQUIRE(send(queue, body, "g", "same"));
    for (int i = 0; i < 5000; ++i) {
        REQUIRE(send(queue, body, "g", "same"));
    }
    // The same id twice in one batch: the second is a duplicate of the first.
    std::array<SendEntry, 2> entries{SendEntry{.body = body, .message_group_id = "g", .message_deduplication_id = "pair"},
                                     SendEntry{.body = body, .message_group_id = "g", .message_deduplication_id = "pair"}};
    std::array<SendOutcome, 2> outcomes{};
    REQUIRE(queue.send_batch(entries, outcomes));
    CHECK(outcomes[0].error == Errc::ok);
    CHECK(outcomes[1].error == Errc::ok);
    CHECK(outcomes[1].message_id == outcomes[0].message_id);
    CHECK(outcomes[1].sequence_number == outcomes[0].sequence_number);
    const QueueInspection state = queue.inspect();
    CHECK(state.ready == 2);
    CHECK(state.free == state.slot_count - 2);
}

TEST_CASE("a FIFO queue without deduplication (shmq extension): ids optional, never remembered, order kept",
          "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue =
        ns.make_queue("nodedup.fifo", {{"FifoQueue", "true"}}, QueueCapacity{.fifo_deduplication = false});
    CHECK_FALSE(queue.inspect().fifo_deduplication);
    REQUIRE(queue.send({.body = "a", .message_group_id = "g"})); // no MessageDeduplicationId needed
    REQUIRE(send(queue, "b", "g", "same"));
    REQUIRE(send(queue, "c", "g", "same")); // the same id again: a second message, not a duplicate
    const auto received = receive_now(queue);
    CHECK(bodies(received) == std::vector<std::string>{"a", "b", "c"});
    REQUIRE(received.size() == 3);
    CHECK(received[1].message_deduplication_id == "same"); // kept and returned
    CHECK(received[0].sequence_number < received[1].sequence_number);
    CHECK(received[1].sequence_number < received[2].sequence_number);
    // The default keeps SQS's window.
    Queue deduplicating = ns.make_queue("dedup.fifo", {{"FifoQueue", "true"}});
    CHECK(deduplicating.inspect().fifo_deduplication);
}

TEST_CASE("a backlog larger than one receive links is delivered whole and in order", "[unit][fifo]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("backlog.fifo", {{"FifoQueue", "true"}}, QueueCapacity{.slot_count = 4096});
    // Receives link at most 1,024 arrivals each: 3,000 in two groups take several.
    for (int i = 0; i < 3000; ++i) {
        const std::string body = std::to_string(i);
        REQUIRE(send(queue, body, i % 2 == 0 ? "even" : "odd", body));
    }
    std::map<std::string, int> last{{"even", -2}, {"odd", -1}};
    int received = 0;
    for (int round = 0; round < 1000 && received < 3000; ++round) {
        for (const ReceivedMessage& message : receive_now(queue)) {
            const int value = std::stoi(message.body);
            CHECK(value == last[message.message_group_id] + 2);
            last[message.message_group_id] = value;
            REQUIRE(queue.delete_message(message.receipt_handle));
            ++received;
        }
    }
    CHECK(received == 3000);
}

TEST_CASE("FIFO recovery entry points: a message put back keeps its SequenceNumber and sent time, "
          "deduplication ids stay remembered until their window closes",
          "[unit][fifo]") {
    // What shmqd's recovery calls (engine::QueueEngine::send_moved with a SequenceNumber, and
    // remember_deduplication), driven here directly with a manual clock.
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue("restored.fifo", fifo_attributes));
    auto queue = client.open_queue("restored.fifo");
    REQUIRE(queue);
    engine::QueueEngine& engine = engine_of(queue.value());
    const std::int64_t sent_ns = clock.now_ns() - 4 * minute_s * 1'000'000'000; // 4 minutes ago
    const std::string live_attributes = encoded_ids({{}, "g", "live-id"});
    const std::string gone_attributes = encoded_ids({{}, "g", "gone-id"});
    engine::MovedMessage live;
    live.body = "live";
    live.encoded_attributes = live_attributes;
    live.trailer = {{}, "g", "live-id"};
    live.message_id = MessageId{{1, 2, 3}};
    live.sent_ns = sent_ns;
    live.sequence_number = sqs::sequence_number_of(41);
    engine::MovedMessage gone = live;
    gone.encoded_attributes = gone_attributes;
    gone.trailer = {{}, "g", "gone-id"};
    gone.message_id = MessageId{{4, 5, 6}};
    gone.sequence_number = sqs::sequence_number_of(40);
    REQUIRE(engine.remember_deduplication(gone));
    REQUIRE(engine.send_moved(live));

    // Both ids are duplicates, answered with the original identity; nothing is enqueued.
    SendEntry again;
    again.body = "retry";
    again.message_group_id = "g";
    again.message_deduplication_id = "gone-id";
    std::vector<SendOutcome> outcomes(1);
    REQUIRE(queue->send_batch({&again, 1}, outcomes));
    CHECK(outcomes[0].message_id == gone.message_id);
    CHECK(outcomes[0].sequence_number == gone.sequence_number);
    again.message_deduplication_id = "live-id";
    REQUIRE(queue->send_batch({&again, 1}, outcomes));
    CHECK(outcomes[0].message_id == live.message_id);
    // New sends continue after the largest number put back.
    auto fresh = send(queue.value(), "fresh", "g");
    REQUIRE(fresh);
    const auto received = receive_now(queue.value());
    REQUIRE(received.size() == 2);
    CHECK(received[0].body == "live");
    CHECK(received[0].sequence_number == live.sequence_number);
    CHECK(received[0].sent_timestamp_ms == sent_ns / 1'000'000); // retention counts from the first send
    CHECK(received[1].body == "fresh");
    CHECK(received[1].sequence_number > live.sequence_number);
    delete_all(queue.value(), received);

    // The window closes 5 minutes after the original send: 1 more minute here.
    clock.advance_s(minute_s + 1);
    again.message_deduplication_id = "gone-id";
    REQUIRE(queue->send_batch({&again, 1}, outcomes));
    CHECK_FALSE(outcomes[0].message_id == gone.message_id);
    // A window that closed before the recovery is not reopened.
    engine::MovedMessage old = gone;
    old.trailer = {{}, "g", "old-id"};
    old.sent_ns = clock.now_ns() - 6 * minute_s * 1'000'000'000;
    REQUIRE(engine.remember_deduplication(old));
    again.message_deduplication_id = "old-id";
    REQUIRE(queue->send_batch({&again, 1}, outcomes));
    CHECK_FALSE(outcomes[0].message_id == old.message_id);
}
