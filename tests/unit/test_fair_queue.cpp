// Goal: fair queues. A MessageGroupId on a standard queue names a tenant; a tenant with a
// backlog must not make quiet tenants wait behind it, its own messages must all still arrive,
// and the per-tenant counts must return to zero whichever way messages leave (delete, batch
// delete, visibility, dead-lettering, retention, purge). Method: one process, a ManualClock,
// receive order observed through the public API and the counts through Queue::inspect().
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/test_namespace.h"

using namespace shmq;

namespace {

ReceiveRequest short_poll(std::uint32_t max = 10) {
    ReceiveRequest request;
    request.max_number_of_messages = max;
    request.wait_time_s = 0;
    return request;
}

void send_tenant(Queue& queue, const std::string& tenant, int count) {
    for (int i = 0; i < count; ++i) {
        const std::string body = tenant + "-" + std::to_string(i);
        REQUIRE(queue.send({.body = body, .message_group_id = tenant}));
    }
}

// Receives and deletes everything, returning bodies in delivery order.
std::vector<std::string> drain_in_order(Queue& queue) {
    std::vector<std::string> order;
    for (;;) {
        auto received = queue.receive(short_poll());
        REQUIRE(received);
        if (received->empty()) {
            return order;
        }
        for (const ReceivedMessage& message : *received) {
            order.push_back(message.body);
            REQUIRE(queue.delete_message(message.receipt_handle));
        }
    }
}

std::string tenant_of(const std::string& body) {
    return body.substr(0, body.find('-'));
}

} // namespace

TEST_CASE("fair queue: a noisy tenant's backlog does not delay quiet tenants", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("fair-noisy");
    send_tenant(queue, "noisy", 3000);
    send_tenant(queue, "quietA", 5);
    send_tenant(queue, "quietB", 5);
    send_tenant(queue, "quietC", 5);
    CHECK(queue.inspect().noisy_tenant_buckets == 1);

    const std::vector<std::string> order = drain_in_order(queue);
    REQUIRE(order.size() == 3015);
    // Every message once: the noisy tenant is served later, never dropped.
    CHECK(std::set<std::string>(order.begin(), order.end()).size() == 3015);
    std::size_t last_quiet = 0;
    std::size_t noisy_before_last_quiet = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (tenant_of(order[i]) != "noisy") {
            last_quiet = i;
        }
    }
    for (std::size_t i = 0; i < last_quiet; ++i) {
        noisy_before_last_quiet += tenant_of(order[i]) == "noisy" ? 1u : 0u;
    }
    // Without fair dispatch all 3000 would come first. With it, the quiet tenants wait for at
    // most the few receives that set the backlog aside (1024 per receive, 10 delivered each).
    CHECK(noisy_before_last_quiet <= 40);
    // A quiet tenant's own messages keep their order.
    std::map<std::string, int> next;
    for (const std::string& body : order) {
        const std::string tenant = tenant_of(body);
        if (tenant != "noisy") {
            CHECK(body == tenant + "-" + std::to_string(next[tenant]++));
        }
    }
    const QueueInspection after = queue.inspect();
    CHECK(after.tenant_messages == 0);
    CHECK(after.tenant_buckets_used == 0);
    CHECK(after.noisy_tenant_buckets == 0);
}

TEST_CASE("fair queue: a lone tenant or tenant-less messages are delivered in send order", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("fair-alone");
    send_tenant(queue, "only", 500);
    for (int i = 0; i < 50; ++i) {
        REQUIRE(queue.send({.body = "none-" + std::to_string(i)})); // a tenant of its own each (SQS)
    }
    // 500 of 500 tenant messages, but nobody else's to protect: not noisy, nothing set aside.
    CHECK(queue.inspect().noisy_tenant_buckets == 0);
    const std::vector<std::string> order = drain_in_order(queue);
    REQUIRE(order.size() == 550);
    for (int i = 0; i < 500; ++i) {
        CHECK(order[static_cast<std::size_t>(i)] == "only-" + std::to_string(i));
    }
    const QueueInspection after = queue.inspect();
    CHECK(after.deferred_ring_tail == 0);
}

TEST_CASE("fair queue: a tenant is quiet again once its backlog is down", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("fair-calm");
    send_tenant(queue, "big", 100);
    send_tenant(queue, "small", 3);
    CHECK(queue.inspect().noisy_tenant_buckets == 1);
    std::vector<std::string> order = drain_in_order(queue);
    REQUIRE(order.size() == 103);
    // Everything gone: both tenants start from zero, and plain arrival order is back.
    send_tenant(queue, "big", 20);
    send_tenant(queue, "small", 3);
    CHECK(queue.inspect().noisy_tenant_buckets == 0);
    order = drain_in_order(queue);
    REQUIRE(order.size() == 23);
    for (int i = 0; i < 20; ++i) {
        CHECK(order[static_cast<std::size_t>(i)] == "big-" + std::to_string(i));
    }
}

TEST_CASE("fair queue: tenant counts return to zero whichever way messages leave", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    REQUIRE(ns.client().create_queue("fair-dlq"));
    const std::string redrive =
        R"({"deadLetterTargetArn":")" + Client::queue_arn("fair-dlq") + R"(","maxReceiveCount":"1"})";
    Queue queue = ns.make_queue("fair-exits", {{"MessageRetentionPeriod", "600"}, {"RedrivePolicy", redrive}});
    send_tenant(queue, "t", 20);
    CHECK(queue.inspect().tenant_messages == 20);

    // A single delete and a batch delete.
    auto received = queue.receive(short_poll());
    REQUIRE(received);
    REQUIRE(received->size() == 10);
    REQUIRE(queue.delete_message((*received)[0].receipt_handle));
    std::vector<ReceiptHandle> handles;
    for (std::size_t i = 1; i < received->size(); ++i) {
        handles.push_back((*received)[i].receipt_handle);
    }
    std::vector<Errc> errors(handles.size());
    queue.delete_batch(handles, errors);
    CHECK(queue.inspect().tenant_messages == 10);

    // A visibility timeout returns messages still counted; their next receive passes
    // maxReceiveCount 1 and moves them: uncounted here, counted in the dead-letter queue.
    auto first = queue.receive(short_poll());
    REQUIRE(first);
    REQUIRE(first->size() == 10);
    clock.advance_s(31);
    queue.advance_timers();
    CHECK(queue.inspect().tenant_messages == 10);
    auto second = queue.receive(short_poll());
    REQUIRE(second);
    CHECK(second->empty());
    CHECK(queue.inspect().tenant_messages == 0);
    auto dead_letter = ns.client().open_queue("fair-dlq");
    REQUIRE(dead_letter);
    CHECK(dead_letter->inspect().tenant_messages == 10);

    // Retention.
    send_tenant(queue, "t", 5);
    clock.advance_s(601);
    queue.advance_timers();
    auto expired = queue.receive(short_poll());
    REQUIRE(expired);
    CHECK(expired->empty());
    CHECK(queue.inspect().tenant_messages == 0);

    // Purge.
    send_tenant(queue, "t", 5);
    CHECK(queue.inspect().tenant_messages == 5);
    REQUIRE(ns.client().purge_queue("fair-exits"));
    CHECK(queue.inspect().tenant_messages == 0);
}
