// Goal: every time-dependent SQS rule of a standard queue — visibility timeout (queue default,
// per receive, ChangeMessageVisibility), DelaySeconds (queue and per message), retention — on
// an injected ManualClock, so each boundary is checked exactly and instantly.
#include <catch2/catch.hpp>

#include "support/queue_calls.h"
#include "support/test_namespace.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

constexpr std::int64_t ms = 1'000'000;

} // namespace

TEST_CASE("a message reappears exactly when its visibility timeout ends", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("visibility", {{"VisibilityTimeout", "5"}});
    REQUIRE(queue.send({.body = "m"}));
    auto first = receive_now(queue);
    REQUIRE(first.size() == 1);
    clock.advance_ns(5'000 * ms - 1);
    CHECK(receive_now(queue).empty());
    clock.advance_ns(1);
    auto second = receive_now(queue);
    REQUIRE(second.size() == 1);
    CHECK(second[0].receive_count == 2);
    CHECK(second[0].message_id == first[0].message_id);
    CHECK(second[0].receipt_handle != first[0].receipt_handle);
    // First receive timestamp stays the first one.
    CHECK(second[0].first_receive_timestamp_ms == first[0].first_receive_timestamp_ms);
}

TEST_CASE("a per-receive visibility timeout overrides the queue's", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("per-receive", {{"VisibilityTimeout", "30"}});
    REQUIRE(queue.send({.body = "m"}));
    REQUIRE(receive_now(queue, 1, 2).size() == 1);
    clock.advance_s(2);
    CHECK(receive_now(queue).size() == 1);
}

TEST_CASE("visibility timeout 0 makes a message visible at once", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("zero");
    REQUIRE(queue.send({.body = "m"}));
    REQUIRE(receive_now(queue, 1, 0).size() == 1);
    CHECK(receive_now(queue).size() == 1);
}

TEST_CASE("a message visible again counts as visible before anyone sends or receives", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("counted", {{"VisibilityTimeout", "5"}});
    std::vector<SendEntry> four(4, SendEntry{.body = "m"});
    std::vector<SendOutcome> outcomes(4);
    REQUIRE(queue.send_batch(four, outcomes));
    REQUIRE(queue.send({.body = "late", .delay_seconds = 3}));
    REQUIRE(receive_now(queue, 1, 0).size() == 1); // visible at once
    const auto lapsing = receive_now(queue, 2);    // visible again in 5 s
    REQUIRE(lapsing.size() == 2);
    const auto changed = receive_now(queue, 1);
    REQUIRE(changed.size() == 1);
    REQUIRE(queue.change_visibility(changed[0].receipt_handle, 0));
    // Only inspections from here on: no call that would move the queue's timers.
    QueueInspection counts = queue.inspect();
    CHECK(counts.ready == 2); // the visibility-0 receive and the visibility-0 change
    CHECK(counts.in_flight == 2);
    CHECK(counts.delayed == 1);
    clock.advance_ns(3'000 * ms);
    counts = queue.inspect();
    CHECK(counts.ready == 3);
    CHECK(counts.delayed == 0);
    clock.advance_ns(2'000 * ms);
    counts = queue.inspect();
    CHECK(counts.ready == 5);
    CHECK(counts.in_flight == 0);
    auto attributes = ns.client().get_queue_attributes(
        "counted", {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
    REQUIRE(attributes);
    CHECK(attributes->at("ApproximateNumberOfMessages") == "5");
    CHECK(attributes->at("ApproximateNumberOfMessagesNotVisible") == "0");
}

TEST_CASE("ChangeMessageVisibility restarts the timer from now", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("change", {{"VisibilityTimeout", "10"}});
    REQUIRE(queue.send({.body = "m"}));
    auto received = receive_now(queue);
    REQUIRE(received.size() == 1);
    clock.advance_s(8);
    REQUIRE(queue.change_visibility(received[0].receipt_handle, 10));
    clock.advance_s(9); // 17 s after receive: the original 10 s would have lapsed
    CHECK(receive_now(queue).empty());
    clock.advance_s(1);
    auto again = receive_now(queue);
    REQUIRE(again.size() == 1);

    // The old handle is stale now; the message is in flight under a newer receive.
    CHECK(queue.change_visibility(received[0].receipt_handle, 5).code() == Errc::message_not_inflight);
    // Extending to 0 returns it at once.
    REQUIRE(queue.change_visibility(again[0].receipt_handle, 0));
    CHECK(receive_now(queue).size() == 1);
}

TEST_CASE("ChangeMessageVisibility of a visible or deleted message fails", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("change-errors", {{"VisibilityTimeout", "1"}});
    REQUIRE(queue.send({.body = "m"}));
    auto received = receive_now(queue);
    REQUIRE(received.size() == 1);
    clock.advance_s(1);
    queue.advance_timers();
    CHECK(queue.change_visibility(received[0].receipt_handle, 5).code() == Errc::message_not_inflight);
    CHECK(queue.change_visibility(received[0].receipt_handle, 43'201).code() == Errc::invalid_parameter_value);
    REQUIRE(queue.delete_message(received[0].receipt_handle));
    CHECK(queue.change_visibility(received[0].receipt_handle, 5).code() == Errc::invalid_parameter_value);
}

TEST_CASE("a standard queue deletes with an older receipt handle", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("old-handle", {{"VisibilityTimeout", "1"}});
    REQUIRE(queue.send({.body = "m"}));
    auto first = receive_now(queue);
    clock.advance_s(1);
    auto second = receive_now(queue);
    REQUIRE(second.size() == 1);
    REQUIRE(queue.delete_message(first[0].receipt_handle));
    clock.advance_s(5);
    CHECK(receive_now(queue).empty());
    CHECK(queue.inspect().free == queue.inspect().slot_count);
    // Deleting again is not an error.
    CHECK(queue.delete_message(first[0].receipt_handle));
}

TEST_CASE("delayed messages stay hidden until their delay ends", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("delay", {{"DelaySeconds", "10"}});
    REQUIRE(queue.send({.body = "queue delay"}));
    REQUIRE(queue.send({.body = "own delay", .attributes = nullptr, .delay_seconds = 3}));
    REQUIRE(queue.send({.body = "no delay", .attributes = nullptr, .delay_seconds = 0}));
    CHECK(queue.inspect().delayed == 2);
    auto now = receive_now(queue);
    REQUIRE(now.size() == 1);
    CHECK(now[0].body == "no delay");
    clock.advance_s(3);
    auto later = receive_now(queue);
    REQUIRE(later.size() == 1);
    CHECK(later[0].body == "own delay");
    clock.advance_ns(7'000 * ms - 1);
    CHECK(receive_now(queue).empty());
    clock.advance_ns(1);
    auto last = receive_now(queue);
    REQUIRE(last.size() == 1);
    CHECK(last[0].body == "queue delay");
}

TEST_CASE("messages past MessageRetentionPeriod are deleted, not delivered", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("retention", {{"MessageRetentionPeriod", "60"}});
    REQUIRE(queue.send({.body = "old"}));
    clock.advance_s(30);
    REQUIRE(queue.send({.body = "young"}));
    clock.advance_s(30);
    auto received = receive_now(queue);
    REQUIRE(received.size() == 1);
    CHECK(received[0].body == "young");
    CHECK(queue.inspect().expired_total == 1);
}

TEST_CASE("retention expires messages nobody receives (timer sweep)", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("retention-sweep", {{"MessageRetentionPeriod", "60"}, {"DelaySeconds", "120"}});
    REQUIRE(queue.send({.body = "never visible in time"}));
    clock.advance_s(61);
    queue.advance_timers();
    const QueueInspection state = queue.inspect();
    CHECK(state.delayed == 0);
    CHECK(state.free == state.slot_count);
}

TEST_CASE("a sweep pass over a large region spans several calls but misses nothing", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue =
        ns.make_queue("large", {{"VisibilityTimeout", "1"}},
                      QueueCapacity{.slot_count = 20'000, .message_bytes_capacity = 0, .permissions = 0600});
    for (int i = 0; i < 100; ++i) {
        REQUIRE(queue.send({.body = std::to_string(i)}));
    }
    std::size_t taken = 0;
    while (taken < 100) {
        const auto batch = receive_now(queue);
        REQUIRE(!batch.empty());
        taken += batch.size();
    }
    clock.advance_s(1);
    std::size_t back = 0;
    for (int call = 0; call < 20 && back < 100; ++call) {
        back += receive_now(queue).size();
    }
    CHECK(back == 100);
}

TEST_CASE("with the system clock, a message made visible now is received by the very next poll", "[unit]") {
    // The polling fast path decides "nothing to receive" without the ring machinery; it must
    // never hide a timer that is due.
    testing::TestNamespace ns; // system clock
    Queue queue = ns.make_queue("at-once");
    for (int round = 0; round < 50; ++round) {
        REQUIRE(queue.send({.body = "m"}));
        auto first = receive_now(queue);
        REQUIRE(first.size() == 1);
        REQUIRE(queue.change_visibility(first[0].receipt_handle, 0));
        auto again = receive_now(queue);
        REQUIRE(again.size() == 1);
        REQUIRE(queue.delete_message(again[0].receipt_handle));
    }
}
