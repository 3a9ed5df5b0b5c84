// Goal: no message is lost or duplicated, and each producer's messages reach each consumer in
// send order, with N producer and M consumer processes (fork) or threads (for TSan) on one
// queue. With tenants (each producer sends as a fair-queue tenant) messages of noisy tenants
// are set aside and taken later, so order is best-effort there; loss, duplicates and the
// per-tenant counts (zero once everything is deleted) are still checked. Method: bodies carry (producer, sequence); consumers record every reception in a shared
// counter array (MAP_SHARED) and check per-producer order themselves; the parent checks counts.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <sys/mman.h>
#include <stop_token>
#include <thread>

#include "support/child_process.h"
#include "support/test_namespace.h"

using namespace shmq;
using shmq::testing::ChildProcess;

namespace {

constexpr std::uint32_t producers = 3;
constexpr std::uint32_t consumers = 2;

// Catch2 assertions are not thread-safe: workers count failures here; the main thread checks.
struct SharedCounts {
    std::atomic<std::uint32_t> received_total;
    std::atomic<std::uint32_t> order_violations;
    std::atomic<std::uint32_t> api_failures;
    std::atomic<std::uint8_t> seen[1]; // producers × messages_each, allocated beyond the struct
};

SharedCounts* map_counts(std::size_t messages) {
    void* memory =
        mmap(nullptr, sizeof(SharedCounts) + messages, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(memory != MAP_FAILED);
    return new (memory) SharedCounts{};
}

std::string body_of(std::uint32_t producer, std::uint32_t sequence) {
    return std::to_string(producer) + ":" + std::to_string(sequence) + ":" + std::string(40, 'p');
}

void produce(Queue& queue, SharedCounts& counts, std::uint32_t producer, std::uint32_t count, std::uint32_t batch,
             bool tenants) {
    const std::string tenant = tenants ? "tenant-" + std::to_string(producer) : std::string();
    std::vector<std::string> bodies(batch);
    std::vector<SendEntry> entries(batch);
    std::vector<SendOutcome> outcomes(batch);
    SendOptions blocking;
    blocking.block_when_full = true;
    for (std::uint32_t sequence = 0; sequence < count;) {
        const std::uint32_t n = std::min(batch, count - sequence);
        for (std::uint32_t i = 0; i < n; ++i) {
            bodies[i] = body_of(producer, sequence + i);
            entries[i] = SendEntry{.body = bodies[i], .message_group_id = tenant};
        }
        if (!queue.send_batch({entries.data(), n}, {outcomes.data(), n}, blocking)) {
            counts.api_failures.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        for (std::uint32_t i = 0; i < n; ++i) {
            if (outcomes[i].error != Errc::ok) {
                counts.api_failures.fetch_add(1, std::memory_order_relaxed);
            }
        }
        sequence += n;
    }
}

void consume(Queue& queue, SharedCounts& counts, std::uint32_t each, std::uint32_t total, bool check_order) {
    std::vector<std::int64_t> last(producers, -1);
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 1;
    std::vector<ReceiptHandle> handles;
    std::vector<Errc> errors(10);
    while (counts.received_total.load(std::memory_order_acquire) < total) {
        handles.clear();
        auto received = queue.receive_views(request, [&](const MessageView& view) {
            std::uint32_t producer = 0, sequence = 0;
            if (std::sscanf(std::string(view.body).c_str(), "%u:%u:", &producer, &sequence) == 2 &&
                producer < producers) {
                if (check_order && static_cast<std::int64_t>(sequence) <= last[producer]) {
                    counts.order_violations.fetch_add(1, std::memory_order_relaxed);
                }
                last[producer] = sequence;
                counts.seen[producer * each + sequence].fetch_add(1, std::memory_order_relaxed);
            }
            handles.push_back(view.receipt_handle);
        });
        if (!received) {
            counts.api_failures.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        queue.delete_batch(handles, errors);
        counts.received_total.fetch_add(received.value(), std::memory_order_acq_rel);
    }
}

void check_counts(const SharedCounts& counts, std::uint32_t total) {
    std::uint32_t missing = 0, duplicated = 0;
    for (std::uint32_t i = 0; i < total; ++i) {
        const std::uint8_t seen = counts.seen[i].load(std::memory_order_relaxed);
        missing += seen == 0 ? 1u : 0u;
        duplicated += seen > 1 ? 1u : 0u;
    }
    CHECK(missing == 0);
    CHECK(duplicated == 0);
    CHECK(counts.order_violations.load() == 0);
    CHECK(counts.api_failures.load() == 0);
    CHECK(counts.received_total.load() == total);
}

} // namespace

TEST_CASE("N producer processes x M consumer processes: nothing lost, nothing duplicated, in order", "[concurrency]") {
    const std::uint32_t batch = GENERATE(1u, 10u);
    const bool tenants = GENERATE(false, true);
    CAPTURE(batch, tenants);
    constexpr std::uint32_t each = 20'000;
    constexpr std::uint32_t total = producers * each;
    testing::TestNamespace ns;
    // A small queue, so producers block on back-pressure and slots are reused many times.
    (void)ns.make_queue("many", {},
                        QueueCapacity{.slot_count = 1024, .message_bytes_capacity = 0, .permissions = 0600});
    SharedCounts* counts = map_counts(total);
    std::vector<ChildProcess> children;
    for (std::uint32_t c = 0; c < consumers; ++c) {
        children.push_back(ChildProcess::fork_run([&] {
            auto queue = ns.client().open_queue("many");
            consume(queue.value(), *counts, each, total, !tenants);
            return 0;
        }));
    }
    for (std::uint32_t p = 0; p < producers; ++p) {
        children.push_back(ChildProcess::fork_run([&, p] {
            auto queue = ns.client().open_queue("many");
            produce(queue.value(), *counts, p, each, batch, tenants);
            return 0;
        }));
    }
    for (ChildProcess& child : children) {
        const int status = child.wait();
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    check_counts(*counts, total);
    CHECK(ns.client().open_queue("many")->inspect().tenant_messages == 0);
    munmap(counts, sizeof(SharedCounts) + total);
}

TEST_CASE("N producer threads x M consumer threads, one handle each", "[concurrency]") {
    const bool tenants = GENERATE(false, true);
    CAPTURE(tenants);
    constexpr std::uint32_t each = 5'000;
    constexpr std::uint32_t total = producers * each;
    testing::TestNamespace ns;
    (void)ns.make_queue("threads", {},
                        QueueCapacity{.slot_count = 256, .message_bytes_capacity = 0, .permissions = 0600});
    SharedCounts* counts = map_counts(total);
    std::vector<std::thread> threads;
    for (std::uint32_t c = 0; c < consumers; ++c) {
        threads.emplace_back([&] {
            auto queue = ns.client().open_queue("threads");
            consume(queue.value(), *counts, each, total, !tenants);
        });
    }
    for (std::uint32_t p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            auto queue = ns.client().open_queue("threads");
            produce(queue.value(), *counts, p, each, 10, tenants);
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    check_counts(*counts, total);
    CHECK(ns.client().open_queue("threads")->inspect().tenant_messages == 0);
    munmap(counts, sizeof(SharedCounts) + total);
}

TEST_CASE("a long poll sleeps until a send wakes it", "[concurrency]") {
    testing::TestNamespace ns;
    Queue consumer = ns.make_queue("long-poll");
    auto producer = ns.client().open_queue("long-poll");
    REQUIRE(producer);
    std::atomic<bool> done{false};
    std::vector<ReceivedMessage> got;
    bool receive_ok = false;
    std::thread waiter([&] {
        ReceiveRequest request;
        request.wait_time_s = 20;
        auto received = consumer.receive(request);
        receive_ok = received.ok();
        if (received) {
            got = std::move(received.value());
        }
        done = true;
    });
    // Send only once the consumer is registered as a sleeper, so the wake path is what we test.
    for (int i = 0; i < 20'000 && producer->inspect().sleeping_receivers == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    CHECK(producer->inspect().sleeping_receivers == 1);
    CHECK_FALSE(done.load());
    REQUIRE(producer->send({.body = "wake up"}));
    waiter.join();
    CHECK(receive_ok);
    REQUIRE(got.size() == 1);
    CHECK(got[0].body == "wake up");
    CHECK(producer->inspect().sleeping_receivers == 0);
}

TEST_CASE("a long poll whose stop is requested ends at once with nothing, leaving the next message visible",
          "[concurrency]") {
    // A ManualClock never moves: the 20 s wait cannot run out, so only the stop ends the poll
    // (without it this test hangs until ctest's timeout).
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue consumer = ns.make_queue("abandoned-poll");
    auto producer = ns.client().open_queue("abandoned-poll");
    REQUIRE(producer);
    std::stop_source caller_gone;
    std::atomic<bool> done{false};
    bool receive_ok = false;
    std::size_t got = 0;
    std::thread waiter([&] {
        ReceiveRequest request;
        request.wait_time_s = 20;
        request.stop = caller_gone.get_token();
        auto received = consumer.receive(request);
        receive_ok = received.ok();
        got = received ? received->size() : 0;
        done = true;
    });
    for (int i = 0; i < 20'000 && producer->inspect().sleeping_receivers == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    CHECK(producer->inspect().sleeping_receivers == 1);
    CHECK_FALSE(done.load());
    caller_gone.request_stop();
    waiter.join();
    CHECK(receive_ok);
    CHECK(got == 0);
    CHECK(producer->inspect().sleeping_receivers == 0);
    REQUIRE(producer->send({.body = "for a live receiver"}));
    const QueueInspection after = producer->inspect();
    CHECK(after.ready == 1);
    CHECK(after.in_flight == 0);
}

TEST_CASE("a blocked sender resumes when a delete makes room", "[concurrency]") {
    testing::TestNamespace ns;
    Queue sender = ns.make_queue("back-pressure", {},
                                 QueueCapacity{.slot_count = 16, .message_bytes_capacity = 0, .permissions = 0600});
    for (int i = 0; i < 16; ++i) {
        REQUIRE(sender.send({.body = "fill"}));
    }
    std::atomic<bool> sent{false};
    std::thread blocked([&] {
        SendOptions options;
        options.block_when_full = true;
        sent = sender.send({.body = "waited"}, options).ok();
    });
    auto consumer = ns.client().open_queue("back-pressure");
    REQUIRE(consumer);
    ReceiveRequest request;
    request.wait_time_s = 0;
    auto received = consumer->receive(request);
    REQUIRE(received);
    REQUIRE(received->size() == 1);
    CHECK_FALSE(sent.load());
    REQUIRE(consumer->delete_message(received->front().receipt_handle));
    blocked.join();
    CHECK(sent.load());
    CHECK(consumer->inspect().ready == 16);
}

TEST_CASE("producer processes carving blob chunks at once: every body intact, every block one message's",
          "[concurrency]") {
    // Bodies of every blob class, sent by four processes started together into an empty arena,
    // so size classes run dry and carve chunks concurrently; nothing is received until all are
    // sent, so a block handed to two messages shows as a wrong body.
    constexpr std::uint32_t carvers = 4;
    constexpr std::uint32_t each = 250;
    constexpr std::size_t sizes[] = {100, 300, 1'500, 5'000, 20'000, 70'000, 300'000};
    const auto body_for = [&](std::uint32_t producer, std::uint32_t sequence) {
        std::string body = std::to_string(producer) + ":" + std::to_string(sequence) + ":";
        body.resize(sizes[(producer + sequence) % std::size(sizes)], '-');
        std::uint64_t state = 0x9E3779B97F4A7C15ull * (producer * each + sequence + 1);
        for (std::size_t i = body.find('-'); i < body.size(); ++i) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            body[i] = static_cast<char>('a' + state % 26);
        }
        return body;
    };
    testing::TestNamespace ns;
    (void)ns.make_queue("carving", {}, QueueCapacity{.slot_count = carvers * each});
    auto* start = static_cast<std::atomic<std::uint32_t>*>(
        mmap(nullptr, sizeof(std::atomic<std::uint32_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    REQUIRE(start != MAP_FAILED);
    new (start) std::atomic<std::uint32_t>{0};
    std::vector<ChildProcess> children;
    for (std::uint32_t p = 0; p < carvers; ++p) {
        children.push_back(ChildProcess::fork_run([&, p] {
            auto queue = ns.client().open_queue("carving");
            start->fetch_add(1, std::memory_order_acq_rel); // counted even on failure: nobody waits for ever
            if (!queue) {
                return 2;
            }
            while (start->load(std::memory_order_acquire) < carvers) {
            }
            for (std::uint32_t s = 0; s < each; ++s) {
                if (!queue->send({.body = body_for(p, s)})) {
                    return 1;
                }
            }
            return 0;
        }));
    }
    for (ChildProcess& child : children) {
        const int status = child.wait();
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    munmap(start, sizeof(std::atomic<std::uint32_t>));

    auto queue = ns.client().open_queue("carving");
    REQUIRE(queue);
    const QueueInspection sent = queue->inspect();
    CHECK(sent.ready == carvers * each);
    CHECK(sent.blob_chunks_carved <= sent.blob_chunks);
    std::vector<std::uint8_t> seen(carvers * each, 0);
    std::uint32_t wrong_bodies = 0;
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    for (;;) {
        std::vector<ReceiptHandle> handles;
        auto received = queue->receive_views(request, [&](const MessageView& view) {
            std::uint32_t producer = 0, sequence = 0;
            if (std::sscanf(std::string(view.body.substr(0, 32)).c_str(), "%u:%u:", &producer, &sequence) == 2 &&
                producer < carvers && sequence < each && view.body == body_for(producer, sequence)) {
                ++seen[producer * each + sequence];
            } else {
                ++wrong_bodies;
            }
            handles.push_back(view.receipt_handle);
        });
        REQUIRE(received);
        if (received.value() == 0) {
            break;
        }
        std::vector<Errc> errors(handles.size());
        queue->delete_batch(handles, errors);
    }
    CHECK(wrong_bodies == 0);
    CHECK(std::count(seen.begin(), seen.end(), std::uint8_t{1}) == carvers * each);
    CHECK(queue->inspect().free == carvers * each);
}
