// Goal: shmqd keeps queue definitions durable. Queues created, changed and deleted before or
// while it runs are journaled; after the host loses its shared memory (the namespace directory
// wiped, as a reboot does), a restarted shmqd recreates every live queue with its attributes,
// tags, capacity and RedrivePolicy, and no deleted one. It stops cleanly on SIGTERM and loses
// nothing it had made durable when SIGKILLed. Method: the real shmqd binary (fork/exec), a
// temporary data directory, a private namespace.
#include <set>

#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

std::string attribute(const Client& client, const std::string& queue, const std::string& name) {
    auto attributes = client.get_queue_attributes(queue, {name});
    REQUIRE(attributes);
    const auto found = attributes->find(name);
    return found == attributes->end() ? std::string() : found->second;
}

// An X-Ray trace header as SDKs write it, told apart per message.
std::string trace_header(int i) {
    return "Root=1-5759e988-bd862e3fe1be46a9942727" + std::to_string(10 + i % 90) +
           ";Parent=53995c3f42cd8ad8;Sampled=1";
}

} // namespace

TEST_CASE("shmqd: queue definitions survive the loss of shared memory", "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    // Created before the daemon starts: journaled when it starts.
    REQUIRE(client.create_queue("jobs", {{"VisibilityTimeout", "5"}, {"DelaySeconds", "2"}}, {{"team", "core"}},
                                QueueCapacity{.slot_count = 64, .inline_bytes = 256}));
    ChildProcess daemon = start_daemon(ns, data);
    // Created, changed and deleted while it runs.
    REQUIRE(client.create_queue("dlq"));
    REQUIRE(client.create_queue("work", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + Client::queue_arn("dlq") +
                                                               R"(","maxReceiveCount":"3"})"}}));
    REQUIRE(client.create_queue("orders.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}, {},
                                QueueCapacity{.fifo_deduplication = false}));
    REQUIRE(client.create_queue("short-lived"));
    REQUIRE(client.set_queue_attributes("jobs", {{"VisibilityTimeout", "7"}}));
    REQUIRE(client.tag_queue("jobs", {{"env", "test"}}));
    REQUIRE(client.delete_queue("short-lived"));
    stop_daemon(daemon); // SIGTERM: whatever changed last is journaled before it exits

    wipe_regions(ns);
    auto before = client.list_queues();
    REQUIRE(before);
    REQUIRE(before->queue_urls.empty());
    ChildProcess restarted = start_daemon(ns, data);

    auto after = client.list_queues();
    REQUIRE(after);
    CHECK(after->queue_urls.size() == 4);
    CHECK(attribute(client, "jobs", "VisibilityTimeout") == "7");
    CHECK(attribute(client, "jobs", "DelaySeconds") == "2");
    auto tags = client.list_queue_tags("jobs");
    REQUIRE(tags);
    CHECK(tags.value() == QueueTags{{"env", "test"}, {"team", "core"}});
    auto jobs = client.open_queue("jobs");
    REQUIRE(jobs);
    CHECK(jobs->inspect().slot_count == 64);
    CHECK(jobs->inspect().inline_bytes == 256);
    CHECK(attribute(client, "work", "RedrivePolicy").find("dlq") != std::string::npos);
    CHECK(attribute(client, "orders.fifo", "FifoQueue") == "true");
    CHECK(attribute(client, "orders.fifo", "ContentBasedDeduplication") == "true");
    auto orders = client.open_queue("orders.fifo");
    REQUIRE(orders);
    CHECK_FALSE(orders->inspect().fifo_deduplication);
    CHECK_FALSE(client.get_queue_url("short-lived"));
    stop_daemon(restarted);
}

TEST_CASE("shmqd: a SIGKILLed daemon loses no definition it had journaled, a restart catches up", "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    ChildProcess daemon = start_daemon(ns, data);
    REQUIRE(client.create_queue("first"));
    // Killed at an arbitrary moment: "first" may or may not be journaled yet...
    daemon.kill_now();
    (void)daemon.wait();
    REQUIRE(client.create_queue("second"));
    // ...but a restart journals everything that exists before it reports ready.
    ChildProcess second = start_daemon(ns, data);
    second.kill_now();
    (void)second.wait();
    wipe_regions(ns);
    ChildProcess third = start_daemon(ns, data);
    CHECK(client.get_queue_url("first"));
    CHECK(client.get_queue_url("second"));
    stop_daemon(third);
}

TEST_CASE("shmqd: Durability=async messages survive the loss of shared memory, deleted ones stay deleted",
          "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("events", {{"Durability", "async"}, {"VisibilityTimeout", "60"}}));
    ChildProcess daemon = start_daemon(ns, data);
    auto queue = client.open_queue("events");
    REQUIRE(queue);
    std::map<std::string, std::string> sent; // id -> body
    for (int i = 0; i < 500; ++i) {
        MessageAttributes attributes{
            {"n", MessageAttributeValue{.data_type = "Number", .string_value = std::to_string(i)}}};
        const std::string body = "event-" + std::to_string(i);
        const std::string trace = i % 3 == 0 ? trace_header(i) : std::string();
        auto id =
            queue->send({.body = body, .attributes = i % 2 == 0 ? &attributes : nullptr, .aws_trace_header = trace});
        REQUIRE(id);
        sent.emplace(id->to_string(), body);
    }
    // 200 received and deleted, 50 received and left in flight.
    std::map<std::string, std::string> expected = sent;
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    for (int batch = 0; batch < 25; ++batch) {
        auto received = queue->receive(request);
        REQUIRE(received);
        REQUIRE(received->size() == 10);
        for (const ReceivedMessage& message : received.value()) {
            if (batch < 20) {
                REQUIRE(queue->delete_message(message.receipt_handle));
                expected.erase(message.message_id.to_string());
            }
        }
    }
    stop_daemon(daemon); // the last sends and deletes are journaled before it exits

    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data);
    CHECK(attribute(client, "events", "Durability") == "async");
    auto restored = client.open_queue("events");
    REQUIRE(restored);
    const auto messages = receive_all(restored.value()); // in flight before: visible now
    CHECK(messages.size() == expected.size());
    for (const auto& [id, body] : expected) {
        const auto found = messages.find(id);
        REQUIRE(found != messages.end());
        CHECK(found->second.body == body);
        const int i = std::stoi(body.substr(6));
        if (i % 2 == 0) {
            REQUIRE(found->second.attributes.contains("n"));
            CHECK(found->second.attributes.at("n").string_value == std::to_string(i));
        } else {
            CHECK(found->second.attributes.empty());
        }
        CHECK(found->second.aws_trace_header == (i % 3 == 0 ? trace_header(i) : std::string()));
    }
    stop_daemon(restarted);
}

TEST_CASE("shmqd: sends and deletes made while it was down or SIGKILLed are caught up", "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("jobs", {{"Durability", "async"}}));
    auto queue = client.open_queue("jobs");
    REQUIRE(queue);
    const auto send = [&](int from, int to) {
        for (int i = from; i < to; ++i) {
            REQUIRE(queue->send({.body = "job-" + std::to_string(i)}));
        }
    };
    const auto delete_some = [&](int count) {
        ReceiveRequest request;
        request.max_number_of_messages = 1;
        request.wait_time_s = 0;
        request.visibility_timeout_s = 0; // what is received but not deleted stays visible
        for (int i = 0; i < count; ++i) {
            auto received = queue->receive(request);
            REQUIRE(received);
            REQUIRE(received->size() == 1);
            REQUIRE(queue->delete_message(received->front().receipt_handle));
        }
    };
    send(0, 100); // no daemon yet: nothing journaled
    {
        ChildProcess daemon = start_daemon(ns, data); // catches up: all 100
        delete_some(10);
        send(100, 120);
        daemon.kill_now(); // at an arbitrary point of its work
        (void)daemon.wait();
    }
    send(120, 150);
    delete_some(5);
    {
        ChildProcess daemon = start_daemon(ns, data); // catches up again
        stop_daemon(daemon);
    }
    const std::size_t live = 150 - 15;
    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data);
    auto restored = client.open_queue("jobs");
    REQUIRE(restored);
    CHECK(receive_all(restored.value()).size() == live);
    stop_daemon(restarted);
}

TEST_CASE("shmqd: a Durability=sync send to a queue created a moment ago waits for the shmqd serving the namespace",
          "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    ChildProcess daemon = start_daemon(ns, data);
    for (int round = 0; round < 5; ++round) {
        // Sent the moment the queue exists: shmqd has not seen it yet (it attaches new queues on
        // inotify or its watch interval), so the send waits for it instead of failing.
        const std::string name = "fresh-" + std::to_string(round);
        REQUIRE(client.create_queue(name, {{"Durability", "sync"}}));
        auto queue = client.open_queue(name);
        REQUIRE(queue);
        auto sent = queue->send({.body = "first"});
        REQUIRE(sent);
        CHECK(queue->inspect().ready == 1);
    }
    stop_daemon(daemon);
}

TEST_CASE("shmqd: a Durability=sync send returns once durable, and fails clearly without a shmqd", "[durability]") {
    testing::TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("ledger", {{"Durability", "sync"}}));
    auto queue = client.open_queue("ledger");
    REQUIRE(queue);
    // No shmqd: refused at once, nothing enqueued; a bounded wait for one refuses too.
    auto refused = queue->send({.body = "early"});
    REQUIRE_FALSE(refused);
    CHECK(refused.code() == Errc::not_durable);
    CHECK(refused.error().message.find("was not sent") != std::string::npos);
    SendOptions wait_a_little;
    wait_a_little.durable_wait_ns = 20'000'000;
    CHECK(queue->send({.body = "early"}, wait_a_little).code() == Errc::not_durable);
    CHECK(queue->inspect().ready == 0);

    std::set<std::string> acknowledged;
    {
        ChildProcess daemon = start_daemon(ns, data);
        for (int i = 0; i < 200; ++i) {
            const std::string body = "entry-" + std::to_string(i);
            auto id = queue->send({.body = body});
            REQUIRE(id);
            acknowledged.insert(body);
        }
        // Killed the moment the last send returned: each was durable when it returned.
        daemon.kill_now();
        (void)daemon.wait();
    }
    // Its claim died with it: refused again, at once.
    CHECK(queue->send({.body = "orphan"}).code() == Errc::not_durable);
    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data);
    auto restored = client.open_queue("ledger");
    REQUIRE(restored);
    std::set<std::string> bodies;
    for (const auto& [id, message] : receive_all(restored.value())) {
        bodies.insert(message.body);
    }
    CHECK(bodies == acknowledged);
    // With shmqd back, sync sends work again.
    CHECK(restored->send({.body = "after"}));
    stop_daemon(restarted);
}

TEST_CASE("shmqd: queues created while it runs are Durability=async unless told otherwise", "[durability]") {
    TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("before"));
    ChildProcess daemon = start_daemon(ns, data);
    REQUIRE(client.create_queue("during"));
    REQUIRE(client.create_queue("explicit", {{"Durability", "memory"}}));
    REQUIRE(client.create_queue("ordered.fifo", {{"FifoQueue", "true"}}));
    CHECK(attribute(client, "before", "Durability") == "memory"); // a queue keeps what it was created with
    CHECK(attribute(client, "during", "Durability") == "async");
    CHECK(attribute(client, "explicit", "Durability") == "memory");
    CHECK(attribute(client, "ordered.fifo", "Durability") == "async");
    stop_daemon(daemon);
    REQUIRE(client.create_queue("after"));
    CHECK(attribute(client, "after", "Durability") == "memory");
    CHECK(attribute(client, "during", "Durability") == "async");
    // A SIGKILLed daemon's mark counts for nothing.
    ChildProcess killed = start_daemon(ns, data);
    killed.kill_now();
    (void)killed.wait();
    REQUIRE(client.create_queue("orphaned"));
    CHECK(attribute(client, "orphaned", "Durability") == "memory");
}
