// Goal: FIFO guarantees hold with several producer and consumer processes while consumers are
// SIGKILLed at random: within each group, a message is never delivered before the one sent before
// it; nothing is lost; a message is delivered again only after a consumer holding it died (its
// visibility ended); no group starves. Method: P producer processes own disjoint groups and send
// (group, sequence) bodies with unique dedup ids; C consumer processes (fork) record every
// delivery in a shared array, checking order as they go; the parent kills and restarts consumers.
#include <signal.h>

#include <atomic>
#include <barrier>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <random>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>

#include "support/child_process.h"
#include "support/test_namespace.h"

using namespace shmq;
using shmq::testing::ChildProcess;

namespace {

constexpr std::uint32_t group_count = 16;
constexpr std::uint32_t per_group = 400;
constexpr std::uint32_t producer_count = 2;
constexpr std::uint32_t consumer_count = 2;
constexpr std::uint32_t total = group_count * per_group;

struct Deliveries {
    std::atomic<std::uint32_t> first_deliveries;
    std::atomic<std::uint32_t> repeat_deliveries;
    std::atomic<std::uint32_t> order_violations;
    std::atomic<std::uint32_t> api_failures;
    std::atomic<std::uint8_t> count[total];
};

int produce(const Client& client, std::uint32_t producer, Deliveries& deliveries) {
    auto queue = client.open_queue("order.fifo");
    if (!queue) {
        return 1;
    }
    std::vector<std::string> bodies(10), groups(10);
    std::vector<SendEntry> entries(10);
    std::vector<SendOutcome> outcomes(10);
    SendOptions blocking;
    blocking.block_when_full = true;
    for (std::uint32_t sequence = 0; sequence < per_group; ++sequence) {
        std::uint32_t n = 0;
        for (std::uint32_t group = producer; group < group_count; group += producer_count) {
            groups[n] = "group-" + std::to_string(group);
            bodies[n] = std::to_string(group) + ":" + std::to_string(sequence);
            entries[n] = SendEntry{};
            entries[n].body = bodies[n];
            entries[n].message_group_id = groups[n];
            entries[n].message_deduplication_id = bodies[n]; // "g:s" is unique: no false duplicates
            ++n;
        }
        if (!queue->send_batch({entries.data(), n}, {outcomes.data(), n}, blocking)) {
            deliveries.api_failures.fetch_add(1);
            return 1;
        }
        for (std::uint32_t i = 0; i < n; ++i) {
            if (outcomes[i].error != Errc::ok) {
                deliveries.api_failures.fetch_add(1);
            }
        }
    }
    return 0;
}

int consume(const Client& client, Deliveries& deliveries) {
    auto queue = client.open_queue("order.fifo");
    if (!queue) {
        return 1;
    }
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 1;
    for (;;) {
        auto received = queue->receive(request);
        if (!received) {
            deliveries.api_failures.fetch_add(1);
            return 1;
        }
        for (const ReceivedMessage& message : received.value()) {
            const std::uint32_t group = static_cast<std::uint32_t>(std::stoul(message.body));
            const std::uint32_t sequence =
                static_cast<std::uint32_t>(std::stoul(message.body.substr(message.body.find(':') + 1)));
            const std::uint32_t index = group * per_group + sequence;
            // Order: the message sent before this one in the group was delivered already.
            if (sequence > 0 && deliveries.count[index - 1].load() == 0) {
                deliveries.order_violations.fetch_add(1);
            }
            if (deliveries.count[index].fetch_add(1) == 0) {
                deliveries.first_deliveries.fetch_add(1);
            } else {
                deliveries.repeat_deliveries.fetch_add(1);
            }
        }
        // "Processing": holding the batch a few ms makes the parent's SIGKILLs land while a
        // consumer holds messages, which is the case this test is about.
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
        for (const ReceivedMessage& message : received.value()) {
            if (!queue->delete_message(message.receipt_handle)) {
                deliveries.api_failures.fetch_add(1);
            }
        }
    }
}

} // namespace

TEST_CASE("FIFO order, no loss and no starvation with consumers SIGKILLed at random", "[concurrency][fifo]") {
    testing::TestNamespace ns; // the real clock: visibility timeouts end for real
    (void)ns.make_queue("order.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "1"}},
                        QueueCapacity{.slot_count = 2048, .message_bytes_capacity = 0, .permissions = 0600});
    void* memory = mmap(nullptr, sizeof(Deliveries), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(memory != MAP_FAILED);
    auto* deliveries = new (memory) Deliveries{};

    std::vector<std::optional<ChildProcess>> consumers(consumer_count);
    const auto start_consumer = [&](std::size_t i) {
        consumers[i].emplace(ChildProcess::fork_run([&] { return consume(ns.client(), *deliveries); }));
    };
    for (std::size_t i = 0; i < consumer_count; ++i) {
        start_consumer(i);
    }
    std::vector<ChildProcess> producers;
    for (std::uint32_t p = 0; p < producer_count; ++p) {
        producers.push_back(ChildProcess::fork_run([&, p] { return produce(ns.client(), p, *deliveries); }));
    }
    std::mt19937 random(7);
    int kills = 0;
    for (int round = 0; round < 6; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + static_cast<int>(random() % 70)));
        const std::size_t victim = random() % consumer_count;
        consumers[victim]->kill_now();
        consumers[victim]->wait();
        ++kills;
        start_consumer(victim);
    }
    for (ChildProcess& producer : producers) {
        const int status = producer.wait();
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    // Everything must arrive; held groups come back after their 1 s visibility timeout.
    for (int waited_ms = 0; waited_ms < 60'000 && deliveries->first_deliveries.load() < total; waited_ms += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& consumer : consumers) {
        consumer->kill_now();
        consumer->wait();
    }
    INFO("kills " << kills << ", repeats " << deliveries->repeat_deliveries.load());
    CHECK(deliveries->first_deliveries.load() == total); // no loss, no starvation
    CHECK(deliveries->order_violations.load() == 0);
    CHECK(deliveries->api_failures.load() == 0);
    // A message comes again only when a consumer died holding it: at most a batch per kill.
    CHECK(deliveries->repeat_deliveries.load() <= static_cast<std::uint32_t>(kills) * 10);
    CHECK(deliveries->repeat_deliveries.load() > 0); // the kills did hit consumers holding messages
    munmap(memory, sizeof(Deliveries));
}

TEST_CASE("FIFO with threads: one handle each, order and exactly-once without failures", "[concurrency][fifo]") {
    testing::TestNamespace ns;
    (void)ns.make_queue("order.fifo", {{"FifoQueue", "true"}},
                        QueueCapacity{.slot_count = 512, .message_bytes_capacity = 0, .permissions = 0600});
    auto* deliveries = new Deliveries{};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (std::uint32_t c = 0; c < consumer_count; ++c) {
        threads.emplace_back([&] {
            auto queue = ns.client().open_queue("order.fifo");
            ReceiveRequest request;
            request.max_number_of_messages = 10;
            request.wait_time_s = 0;
            while (!stop.load()) {
                auto received = queue->receive(request);
                if (!received) {
                    deliveries->api_failures.fetch_add(1);
                    return;
                }
                for (const ReceivedMessage& message : received.value()) {
                    const auto group = static_cast<std::uint32_t>(std::stoul(message.body));
                    const auto sequence =
                        static_cast<std::uint32_t>(std::stoul(message.body.substr(message.body.find(':') + 1)));
                    const std::uint32_t index = group * per_group + sequence;
                    if (sequence > 0 && deliveries->count[index - 1].load() == 0) {
                        deliveries->order_violations.fetch_add(1);
                    }
                    (deliveries->count[index].fetch_add(1) == 0 ? deliveries->first_deliveries
                                                                : deliveries->repeat_deliveries)
                        .fetch_add(1);
                    if (!queue->delete_message(message.receipt_handle)) {
                        deliveries->api_failures.fetch_add(1);
                    }
                }
            }
        });
    }
    std::vector<std::thread> producer_threads;
    for (std::uint32_t p = 0; p < producer_count; ++p) {
        producer_threads.emplace_back([&, p] { (void)produce(ns.client(), p, *deliveries); });
    }
    for (std::thread& thread : producer_threads) {
        thread.join();
    }
    for (int waited_ms = 0; waited_ms < 60'000 && deliveries->first_deliveries.load() < total; waited_ms += 5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stop = true;
    for (std::thread& thread : threads) {
        thread.join();
    }
    CHECK(deliveries->first_deliveries.load() == total);
    CHECK(deliveries->repeat_deliveries.load() == 0);
    CHECK(deliveries->order_violations.load() == 0);
    CHECK(deliveries->api_failures.load() == 0);
    delete deliveries;
}

TEST_CASE("FIFO: concurrent receives that share a ReceiveRequestAttemptId all get the same messages",
          "[concurrency][fifo]") {
    constexpr std::uint32_t rounds = 100;
    constexpr std::uint32_t receivers = 4;
    testing::TestNamespace ns;
    Queue queue = ns.make_queue("attempts.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}},
                                QueueCapacity{.slot_count = 2048, .message_bytes_capacity = 0, .permissions = 0600});
    for (std::uint32_t i = 0; i < rounds * 10; ++i) {
        REQUIRE(queue.send({.body = "m" + std::to_string(i), .message_group_id = "g" + std::to_string(i % 200)}));
    }
    // Each round, every receiver asks at once with the round's attempt id; one of them takes,
    // the others must be handed exactly what it took.
    std::vector<std::vector<std::vector<std::string>>> seen(rounds, std::vector<std::vector<std::string>>(receivers));
    std::atomic<std::uint32_t> failures{0};
    std::barrier start(receivers);
    std::vector<std::thread> threads;
    for (std::uint32_t r = 0; r < receivers; ++r) {
        threads.emplace_back([&, r] {
            auto handle = ns.client().open_queue("attempts.fifo");
            for (std::uint32_t round = 0; round < rounds; ++round) {
                ReceiveRequest request;
                request.max_number_of_messages = 10;
                request.wait_time_s = 0;
                request.visibility_timeout_s = 600;
                const std::string attempt_id = "round-" + std::to_string(round); // the request views it
                request.receive_request_attempt_id = attempt_id;
                start.arrive_and_wait();
                auto received = handle->receive(request);
                if (!received) {
                    failures.fetch_add(1);
                    continue;
                }
                for (const ReceivedMessage& message : received.value()) {
                    seen[round][r].push_back(message.message_id.to_string() + " " + message.receipt_handle.to_string());
                }
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    CHECK(failures.load() == 0);
    std::uint32_t differing = 0;
    for (std::uint32_t round = 0; round < rounds; ++round) {
        REQUIRE_FALSE(seen[round][0].empty());
        for (std::uint32_t r = 1; r < receivers; ++r) {
            differing += seen[round][r] != seen[round][0] ? 1u : 0u;
        }
    }
    CHECK(differing == 0);
}
