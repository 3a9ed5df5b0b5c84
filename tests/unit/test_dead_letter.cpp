// Goal: dead-letter queues as SQS runs them — RedrivePolicy validation, the move on the receive
// that would exceed maxReceiveCount (identity and enqueue time kept, source recorded),
// RedriveAllowPolicy, ListDeadLetterSourceQueues, and message move tasks back to each message's
// own source or to a chosen destination, with cancel and the errors SQS gives; a queue that is its
// own target and targets in a cycle. ManualClock.
#include <catch2/catch.hpp>

#include "support/queue_calls.h"
#include "support/test_namespace.h"

using namespace shmq;
using namespace shmq::testing;

TEST_CASE("a message received maxReceiveCount times moves to the dead-letter queue", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue dead = ns.make_queue("dlq");
    Queue source = ns.make_queue("work", {{"VisibilityTimeout", "1"}, {"RedrivePolicy", redrive_to("dlq", 2)}});
    MessageAttributes attributes;
    attributes["k"] = {.data_type = "String", .string_value = "v", .binary_value = {}};
    auto id = source.send({.body = "poison", .attributes = &attributes});
    REQUIRE(id);
    const std::int64_t sent_ms = clock.now_ns() / 1'000'000;
    for (int receive = 1; receive <= 2; ++receive) {
        auto got = receive_now(source);
        REQUIRE(got.size() == 1);
        CHECK(got[0].receive_count == static_cast<std::uint32_t>(receive));
        clock.advance_s(1);
    }
    CHECK(receive_now(source).empty()); // the third receive moved it instead
    auto moved = receive_now(dead);
    REQUIRE(moved.size() == 1);
    CHECK(moved[0].message_id == id.value());
    CHECK(moved[0].body == "poison");
    CHECK(moved[0].attributes == attributes);
    CHECK(moved[0].sent_timestamp_ms == sent_ms);
    CHECK(moved[0].dead_letter_source_queue == "work");
    CHECK(source.inspect().dead_lettered_total == 1);
}

TEST_CASE("RedrivePolicy must name an existing queue that allows the source", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    CHECK(client.create_queue("src", {{"RedrivePolicy", redrive_to("missing", 3)}}).code() ==
          Errc::invalid_parameter_value);
    CHECK(client.create_queue("src", {{"RedrivePolicy", "not json"}}).code() == Errc::invalid_parameter_value);
    REQUIRE(client.create_queue("closed", {{"RedriveAllowPolicy", R"({"redrivePermission":"denyAll"})"}}));
    CHECK(client.create_queue("src", {{"RedrivePolicy", redrive_to("closed", 3)}}).code() ==
          Errc::invalid_parameter_value);
    REQUIRE(
        client.create_queue("picky", {{"RedriveAllowPolicy", R"({"redrivePermission":"byQueue","sourceQueueArns":[")" +
                                                                 Client::queue_arn("src") + R"("]})"}}));
    REQUIRE(client.create_queue("src", {{"RedrivePolicy", redrive_to("picky", 3)}}));
    CHECK(client.create_queue("other", {{"RedrivePolicy", redrive_to("picky", 3)}}).code() ==
          Errc::invalid_parameter_value);
    auto sources = client.list_dead_letter_source_queues("picky");
    REQUIRE(sources);
    CHECK(sources.value() == std::vector<std::string>{Client::queue_url("src")});
    CHECK(client.list_dead_letter_source_queues("nope").code() == Errc::queue_does_not_exist);
}

// SetQueueAttributes once checked the target while holding the source's config mutex: a queue
// naming itself deadlocked the caller and every later call on the queue (this test would hang).
TEST_CASE("a queue may be its own dead-letter target, and keeps delivering the message", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue self = ns.make_queue("self", {{"VisibilityTimeout", "1"}});
    REQUIRE(client.set_queue_attributes("self", {{"RedrivePolicy", redrive_to("self", 1)}}));
    auto attributes = client.get_queue_attributes("self", {"RedrivePolicy"});
    REQUIRE(attributes);
    CHECK(attributes->at("RedrivePolicy").find(Client::queue_arn("self")) != std::string::npos);
    // At creation too, once it exists (CreateQueue of an existing queue with the same attributes).
    CHECK(client.create_queue("self", {{"VisibilityTimeout", "1"}, {"RedrivePolicy", redrive_to("self", 1)}}));
    REQUIRE(self.send({.body = "poison"}));
    for (std::uint32_t receive = 1; receive <= 3; ++receive) {
        auto got = receive_now(self);
        REQUIRE(got.size() == 1);
        CHECK(got[0].receive_count == receive);
        clock.advance_s(1);
    }
    CHECK(self.inspect().dead_lettered_total == 0);
    // Still answering, and the policy can be taken off again.
    REQUIRE(client.set_queue_attributes("self", {{"RedrivePolicy", ""}}));
}

TEST_CASE("dead-letter targets in a cycle move a message one step per receive, its count going on", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue a = ns.make_queue("a", {{"VisibilityTimeout", "1"}});
    Queue b = ns.make_queue("b", {{"VisibilityTimeout", "1"}});
    REQUIRE(client.set_queue_attributes("a", {{"RedrivePolicy", redrive_to("b", 1)}}));
    REQUIRE(client.set_queue_attributes("b", {{"RedrivePolicy", redrive_to("a", 1)}}));
    auto id = a.send({.body = "hot potato"});
    REQUIRE(id);
    auto got = receive_now(a);
    REQUIRE(got.size() == 1);
    CHECK(got[0].receive_count == 1);
    clock.advance_s(1);
    CHECK(receive_now(a).empty()); // its second receive moves it to b
    // Its receive count goes on in each dead-letter queue (as SQS counts), so past both queues'
    // maxReceiveCount every receive of the queue holding it moves it one step on, and answers.
    Queue* here = &b;
    Queue* there = &a;
    for (int hop = 1; hop <= 4; ++hop) {
        CHECK(receive_now(*here).empty());
        std::swap(here, there);
    }
    CHECK(a.inspect().dead_lettered_total == 3);
    CHECK(b.inspect().dead_lettered_total == 2);
    CHECK(b.inspect().ready == 1);
    // Taken off the cycle, it is delivered with every receive counted.
    REQUIRE(client.set_queue_attributes("b", {{"RedrivePolicy", ""}}));
    got = receive_now(b);
    REQUIRE(got.size() == 1);
    CHECK(got[0].message_id == id.value());
    CHECK(got[0].receive_count == 2);
}

TEST_CASE("a message moved to a dead-letter queue goes on counting its receives there", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue dead = ns.make_queue("dlq");
    Queue source = ns.make_queue("source", {{"VisibilityTimeout", "0"}, {"RedrivePolicy", redrive_to("dlq", 2)}});
    REQUIRE(source.send({.body = "m"}));
    CHECK(receive_now(source).at(0).receive_count == 1);
    CHECK(receive_now(source).at(0).receive_count == 2);
    CHECK(receive_now(source).empty()); // the third receive moves it
    const auto moved = receive_now(dead);
    REQUIRE(moved.size() == 1);
    CHECK(moved[0].receive_count == 3);
    CHECK(moved[0].dead_letter_source_queue == "source");
}

TEST_CASE("a move task sends dead letters back to their own source queues", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue dead = ns.make_queue("dlq");
    Queue first = ns.make_queue("first", {{"VisibilityTimeout", "0"}, {"RedrivePolicy", redrive_to("dlq", 1)}});
    Queue second = ns.make_queue("second", {{"VisibilityTimeout", "0"}, {"RedrivePolicy", redrive_to("dlq", 1)}});
    REQUIRE(first.send({.body = "from first"}));
    REQUIRE(second.send({.body = "from second"}));
    for (Queue* queue : {&first, &second}) {
        REQUIRE(receive_now(*queue).size() == 1); // receive 1
        CHECK(receive_now(*queue).empty());       // receive 2 would exceed: moved
    }
    CHECK(dead.inspect().ready == 2);

    CHECK(client.start_message_move_task(Client::queue_arn("first")).error().message ==
          "Source queue must be configured as a Dead Letter Queue.");
    auto handle = client.start_message_move_task(Client::queue_arn("dlq"));
    REQUIRE(handle);
    auto tasks = client.list_message_move_tasks(Client::queue_arn("dlq"));
    REQUIRE(tasks);
    REQUIRE(tasks->size() == 1);
    CHECK(tasks->at(0).status == "COMPLETED");
    CHECK(tasks->at(0).approximate_number_of_messages_moved == 2);
    CHECK(tasks->at(0).approximate_number_of_messages_to_move == 2);
    auto back_first = receive_now(first);
    auto back_second = receive_now(second);
    REQUIRE(back_first.size() == 1);
    REQUIRE(back_second.size() == 1);
    CHECK(back_first[0].body == "from first");
    CHECK(back_second[0].body == "from second");
    CHECK(back_first[0].dead_letter_source_queue.empty());
    CHECK(dead.inspect().ready == 0);
}

TEST_CASE("a move task that fails leaves every message it did not move visible, its receive count as it was",
          "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue dead = ns.make_queue("dlq");
    Queue first = ns.make_queue("first", {{"VisibilityTimeout", "0"}, {"RedrivePolicy", redrive_to("dlq", 1)}});
    const auto dead_letter = [&](const std::string& body) {
        REQUIRE(first.send({.body = body}));
        REQUIRE(receive_now(first).size() == 1);
        CHECK(receive_now(first).empty()); // moved to dlq
    };
    // In the dead-letter queue's order: one with a source, one sent to it directly (no source
    // queue to go back to: the task fails on it), one with a source again.
    dead_letter("moves");
    REQUIRE(dead.send({.body = "no source"}));
    dead_letter("stays");
    REQUIRE(dead.inspect().ready == 3);

    REQUIRE(client.start_message_move_task(Client::queue_arn("dlq")));
    auto tasks = client.list_message_move_tasks(Client::queue_arn("dlq"));
    REQUIRE(tasks);
    CHECK(tasks->at(0).status == "FAILED");
    CHECK(tasks->at(0).failure_reason == "AWS.SimpleQueueService.NonExistentQueue");
    CHECK(tasks->at(0).approximate_number_of_messages_moved == 1);
    QueueInspection counts = dead.inspect();
    CHECK(counts.ready == 2);
    CHECK(counts.in_flight == 0);
    // Visible now, not after the task's 30 s hold; the one never received is received for the first time.
    const auto left = receive_now(dead);
    REQUIRE(left.size() == 2);
    for (const ReceivedMessage& message : left) {
        if (message.body == "no source") {
            CHECK(message.receive_count == 1);
        } else {
            CHECK(message.body == "stays");
        }
    }
    const auto back = receive_now(first);
    REQUIRE(back.size() == 1);
    CHECK(back[0].body == "moves");
}

TEST_CASE("a throttled move task runs, can be cancelled, and reports errors", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue dead = ns.make_queue("dlq");
    Queue target = ns.make_queue("target");
    REQUIRE(client.create_queue("src", {{"RedrivePolicy", redrive_to("dlq", 5)}}));
    for (int i = 0; i < 10; ++i) {
        REQUIRE(dead.send({.body = "m" + std::to_string(i)}));
    }
    CHECK(client.start_message_move_task(Client::queue_arn("dlq"), Client::queue_arn("absent")).code() ==
          Errc::resource_not_found);
    auto handle = client.start_message_move_task(Client::queue_arn("dlq"), Client::queue_arn("target"), 1);
    REQUIRE(handle);
    CHECK(client.start_message_move_task(Client::queue_arn("dlq")).error().message ==
          "There is already a task running. Only one active task is allowed for a source queue arn at a given time.");
    clock.advance_s(2);
    auto running = client.list_message_move_tasks(Client::queue_arn("dlq"));
    REQUIRE(running);
    CHECK(running->at(0).status == "RUNNING");
    CHECK(running->at(0).approximate_number_of_messages_moved == 3);
    CHECK(running->at(0).max_number_of_messages_per_second == 1);
    auto cancelled = client.cancel_message_move_task(handle.value());
    REQUIRE(cancelled);
    CHECK(cancelled.value() == 3);
    CHECK(target.inspect().ready == 3);
    CHECK(dead.inspect().ready == 7);
    CHECK(client.cancel_message_move_task(handle.value()).code() == Errc::invalid_parameter_value);
    CHECK(client.cancel_message_move_task("nonsense").error().message == "Value for parameter TaskHandle is invalid.");
    CHECK(client.cancel_message_move_task("abc.dlq").error().message == "Task does not exist.");
}
