// Goal: any process may be SIGKILLed at any instruction and the queue stays usable, loses no
// acknowledged message and leaks no slot. Method: a worker process (fork + exec) is killed by the
// library's fault-injection hook at named points of the send, receive, delete and sweep
// protocols, or by us with SIGKILL at random moments; then this process, whose ManualClock runs
// ahead of the real one, runs the liveness check and timers, drains the queue and checks
// delivery and slot accounting.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>

#include "support/child_process.h"
#include "support/test_namespace.h"

using namespace shmq;
using shmq::testing::ChildProcess;

namespace {

constexpr std::int64_t s_to_ns = 1'000'000'000;

// A clock ahead of the real one: the dead worker's liveness deadline (real now + 1 s) is past.
std::int64_t ahead_of_real_time() {
    return SystemClock::instance().now_ns() + 10 * s_to_ns;
}

std::set<std::string> prefixed(const std::string& output, const std::string& prefix) {
    std::set<std::string> out;
    for (const std::string& line : testing::lines_of(output)) {
        if (line.rfind(prefix, 0) == 0) {
            out.insert(line.substr(prefix.size()));
        }
    }
    return out;
}

// What a worker killed at a random moment is known to have written: its output up to the last
// newline. SIGKILL can cut a write(2) short (the kernel looks for a fatal signal between the pages
// it copies), so a line that straddles a page boundary of the file is left half-written, e.g.
// "got 10" of "got 1000024739"; such a fragment is always the last thing the process wrote.
std::string complete_lines(const std::string& output) {
    return output.substr(0, output.rfind('\n') + 1); // npos + 1 == 0: no complete line
}

ChildProcess run_worker(const testing::TestNamespace& ns, const std::string& queue, const std::string& mode, long count,
                        const std::string& crash_at = {}, long crash_after = 1, const std::string& output = {}) {
    std::map<std::string, std::string> environment;
    if (!crash_at.empty()) {
        environment["SHMQ_CRASH_AT"] = crash_at;
        environment["SHMQ_CRASH_AFTER"] = std::to_string(crash_after);
    }
    return ChildProcess::exec(SHMQ_CRASH_WORKER, {ns.name(), queue, mode, std::to_string(count)}, environment, output);
}

void expect_killed(ChildProcess& child) {
    const int status = child.wait();
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
}

// Receives and deletes until the queue is empty; returns the bodies.
std::multiset<std::string> drain(Queue& queue) {
    std::multiset<std::string> bodies;
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    for (int round = 0; round < 100'000; ++round) {
        auto received = queue.receive(request);
        REQUIRE(received);
        if (received->empty()) {
            break;
        }
        for (const ReceivedMessage& message : received.value()) {
            bodies.insert(message.body);
            REQUIRE(queue.delete_message(message.receipt_handle));
        }
    }
    return bodies;
}

void expect_no_leak(Queue& queue, bool fifo = false) {
    const QueueInspection state = queue.inspect();
    CHECK(state.writing == 0);
    CHECK(state.freeing == 0);
    CHECK(state.free == state.slot_count);
    // Every slot is really reachable: the queue takes slot_count messages again.
    const auto refill = [&](std::uint32_t i) {
        const std::string id = "refill-" + std::to_string(i);
        SendEntry entry;
        entry.body = "refill";
        if (fifo) {
            entry.message_group_id = "refill";
            entry.message_deduplication_id = id;
        }
        return queue.send(entry);
    };
    for (std::uint32_t i = 0; i < state.slot_count; ++i) {
        REQUIRE(refill(i));
    }
    CHECK(refill(state.slot_count).code() == Errc::queue_full);
}

const QueueCapacity small{.slot_count = 16, .message_bytes_capacity = 0, .permissions = 0600};

} // namespace

TEST_CASE("a producer killed inside the send protocol loses no acknowledged message and no slot", "[crash]") {
    const std::string point =
        GENERATE(as<std::string>{}, "send.after_claim", "send.before_publish", "send.after_publish", "send.after_list");
    CAPTURE(point);
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("produce", {}, small);
    ChildProcess worker = run_worker(ns, "produce", "produce", 10, point, 5);
    const std::set<std::string> acked = prefixed(worker.read_all(), "ack ");
    expect_killed(worker);
    CHECK(acked == std::set<std::string>{"0", "1", "2", "3"});

    queue.advance_timers(); // liveness check: the dead worker's entry is recovered
    CHECK(queue.inspect().recovered_total >= 1);
    const std::multiset<std::string> drained = drain(queue);
    for (const std::string& body : acked) {
        CHECK(drained.count(body) == 1);
    }
    CHECK(drained.size() <= 5); // the unacknowledged fifth may or may not have been published
    expect_no_leak(queue);
}

TEST_CASE("a producer killed while carving a blob chunk leaks that chunk only, and the queue keeps working", "[crash]") {
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    // Four chunks; 100 KiB bodies take 256 KiB blocks, four to a chunk: the worker carves chunk
    // 0 for its first message and is killed carving chunk 1 for its fifth.
    constexpr std::uint64_t four_chunks = 4ull << 20;
    Queue queue = ns.make_queue("carve", {}, QueueCapacity{.slot_count = 16, .message_bytes_capacity = four_chunks});
    REQUIRE(queue.inspect().blob_chunks == 4);
    ChildProcess worker = run_worker(ns, "carve", "produce-large", 10, "blob.after_carve_claim", 2);
    const std::set<std::string> acked = prefixed(worker.read_all(), "ack ");
    expect_killed(worker);
    CHECK(acked == std::set<std::string>{"0", "1", "2", "3"});

    queue.advance_timers(); // the dead worker's claimed slot is freed
    const std::multiset<std::string> drained = drain(queue);
    CHECK(drained.size() == 4);
    for (const std::string& body : drained) {
        CHECK(acked.count(body.substr(0, body.find('.'))) == 1);
    }
    CHECK(queue.inspect().blob_chunks_carved == 2); // chunk 1 is the leak
    // Room for exactly the other three chunks' twelve blocks.
    const std::string large(100 * 1024, 'L');
    for (int i = 0; i < 12; ++i) {
        REQUIRE(queue.send({.body = large}));
    }
    CHECK(queue.send({.body = large}).code() == Errc::queue_bytes_full);
    CHECK(drain(queue).size() == 12);
    expect_no_leak(queue);
}

TEST_CASE("a consumer killed while holding messages: they reappear after the visibility timeout", "[crash]") {
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("hold", {{"VisibilityTimeout", "30"}}, small);
    for (const char* body : {"a", "b", "c"}) {
        REQUIRE(queue.send({.body = body}));
    }
    ChildProcess worker = run_worker(ns, "hold", "hold", 2);
    CHECK(worker.read_line() == "got a");
    CHECK(worker.read_line() == "got b");
    worker.kill_now();
    expect_killed(worker);

    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    auto now = queue.receive(request);
    REQUIRE(now);
    REQUIRE(now->size() == 1);
    CHECK(now->front().body == "c");
    REQUIRE(queue.delete_message(now->front().receipt_handle));
    clock.advance_s(31);
    auto back = queue.receive(request);
    REQUIRE(back);
    REQUIRE(back->size() == 2);
    std::set<std::string> bodies;
    for (const ReceivedMessage& message : back.value()) {
        bodies.insert(message.body);
        CHECK(message.receive_count == 2);
    }
    CHECK(bodies == std::set<std::string>{"a", "b"});
}

TEST_CASE("a consumer killed inside the receive protocol: the message reappears", "[crash]") {
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("receive", {{"VisibilityTimeout", "30"}}, small);
    REQUIRE(queue.send({.body = "x"}));
    ChildProcess worker = run_worker(ns, "receive", "hold", 1, "receive.after_claim", 1);
    expect_killed(worker);
    clock.advance_s(31);
    const std::multiset<std::string> drained = drain(queue);
    CHECK(drained == std::multiset<std::string>{"x"});
    expect_no_leak(queue);
}

TEST_CASE("a consumer killed inside the delete protocol leaks no slot and resurrects nothing", "[crash]") {
    const std::string point = GENERATE(as<std::string>{}, "delete.before_free", "delete.after_free");
    CAPTURE(point);
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("delete", {{"VisibilityTimeout", "30"}}, small);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(queue.send({.body = std::to_string(i)}));
    }
    ChildProcess worker = run_worker(ns, "delete", "consume", 5, point, 3);
    const std::string output = worker.read_all();
    expect_killed(worker);
    CHECK(prefixed(output, "del ") == std::set<std::string>{"0", "1"});
    CHECK(prefixed(output, "got ") == std::set<std::string>{"0", "1", "2"});

    queue.advance_timers();
    clock.advance_s(31);
    const std::multiset<std::string> drained = drain(queue);
    // "2" was being deleted when the worker died: the delete completes in recovery.
    CHECK(drained == std::multiset<std::string>{"3", "4"});
    expect_no_leak(queue);
}

TEST_CASE("a process killed while making an expired message visible: recovery lists it", "[crash]") {
    testing::TestNamespace real_time; // the worker and this setup share the real clock
    Queue setup = real_time.make_queue("sweep", {}, small);
    REQUIRE(setup.send({.body = "expired"}));
    ReceiveRequest request;
    request.wait_time_s = 0;
    request.visibility_timeout_s = 0; // due at once
    REQUIRE(setup.receive(request)->size() == 1);
    ChildProcess worker = run_worker(real_time, "sweep", "timers", 0, "sweep.after_visible", 1);
    expect_killed(worker);

    ManualClock clock(ahead_of_real_time());
    ClientOptions options;
    options.namespace_name = real_time.name();
    options.clock = &clock;
    auto client = Client::open(options);
    REQUIRE(client);
    auto queue = client->open_queue("sweep");
    REQUIRE(queue);
    CHECK(queue->inspect().ready == 1); // visible, but not listed in the ready ring
    queue->advance_timers();            // the dead process's pending slot is listed again
    const std::multiset<std::string> drained = drain(queue.value());
    CHECK(drained == std::multiset<std::string>{"expired"});
}

TEST_CASE("producers and consumers SIGKILLed at random: every acknowledged message is delivered", "[crash]") {
    // Plain messages, and fair-queue tenants (noisy messages set aside, then taken later).
    const std::string produce_mode = GENERATE(as<std::string>{}, "loop-produce", "loop-produce-tenants");
    CAPTURE(produce_mode);
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("random", {{"VisibilityTimeout", "1"}},
                                QueueCapacity{.slot_count = 512, .message_bytes_capacity = 0, .permissions = 0600});
    const std::string output_dir = ns.client().namespace_dir() + "/outputs";
    std::filesystem::create_directories(output_dir);
    std::mt19937 random(12345);
    struct Worker {
        std::string mode;
        long next_start;
        std::string output; // incarnation k writes <output>.k
        std::optional<ChildProcess> process;
        int incarnations = 0;
    };
    std::vector<Worker> workers;
    for (int i = 0; i < 2; ++i) {
        workers.push_back({produce_mode, (i + 1) * 1'000'000'000L, output_dir + "/p" + std::to_string(i), {}});
        workers.push_back({"loop-consume", 0, output_dir + "/c" + std::to_string(i), {}});
    }
    const auto start = [&](Worker& worker) {
        // A file per incarnation, so that a line torn by the kill is the last of its file (see
        // complete_lines). Appended to one file, the next incarnation's first line was glued onto
        // the fragment, and the message it named looked lost.
        const std::string output = worker.output + "." + std::to_string(worker.incarnations++);
        worker.process.emplace(run_worker(ns, "random", worker.mode, worker.next_start, {}, 1, output));
        worker.next_start += 10'000'000;
    };
    for (Worker& worker : workers) {
        start(worker);
    }
    int kills = 0;
    for (int round = 0; round < 30; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + static_cast<int>(random() % 60)));
        Worker& victim = workers[random() % workers.size()];
        victim.process->kill_now();
        victim.process->wait();
        victim.process.reset();
        ++kills;
        start(victim);
    }
    for (Worker& worker : workers) {
        worker.process->kill_now();
        worker.process->wait();
        worker.process.reset();
    }
    std::set<std::string> acked, received;
    // Complete lines only: a torn "ack" is an acknowledgement we cannot read (one message fewer
    // checked), and a torn "got" was printed by a consumer killed before it deleted its batch,
    // which is then delivered again.
    for (const Worker& worker : workers) {
        const bool producer = worker.mode == produce_mode;
        for (int incarnation = 0; incarnation < worker.incarnations; ++incarnation) {
            std::ifstream file(worker.output + "." + std::to_string(incarnation));
            std::stringstream text;
            text << file.rdbuf();
            const auto lines = prefixed(complete_lines(text.str()), producer ? "ack " : "got ");
            (producer ? acked : received).insert(lines.begin(), lines.end());
        }
    }
    // Recovery of the dead, then everything in flight comes back.
    queue.advance_timers();
    clock.advance_s(2);
    queue.advance_timers();
    clock.advance_s(2);
    for (const std::string& body : drain(queue)) {
        received.insert(body);
    }
    std::size_t lost = 0;
    for (const std::string& body : acked) {
        lost += received.contains(body) ? 0u : 1u;
    }
    INFO("kills: " << kills << ", acknowledged: " << acked.size() << ", received: " << received.size());
    CHECK(acked.size() > 100);
    CHECK(lost == 0);
    const QueueInspection state = queue.inspect();
    CHECK(state.writing == 0);
    CHECK(state.freeing == 0);
    CHECK(state.free == state.slot_count);
    // A kill between a tenant counter update and the slot's tenant mark skews one count by one.
    CHECK(std::abs(state.tenant_messages) <= kills);
}

TEST_CASE("a FIFO producer killed holding the send mutex after listing: the message counts, order holds",
          "[crash][fifo]") {
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("produce.fifo", {{"FifoQueue", "true"}}, small);
    ChildProcess worker = run_worker(ns, "produce.fifo", "fifo-produce", 10, "fifo.send.after_publish", 5);
    const std::set<std::string> acked = prefixed(worker.read_all(), "ack ");
    expect_killed(worker);
    CHECK(acked == std::set<std::string>{"0", "1", "2", "3"});
    queue.advance_timers(); // liveness: the dead worker's entry is recovered, groups rebuilt
    // The fifth message was listed in the arrival ring before the kill, so it is delivered too,
    // in order; the send mutex it died holding is taken over (EOWNERDEAD) by the next sender.
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    auto received = queue.receive(request);
    REQUIRE(received);
    std::vector<std::string> order;
    for (const ReceivedMessage& message : received.value()) {
        order.push_back(message.body);
        REQUIRE(queue.delete_message(message.receipt_handle));
    }
    CHECK(order == std::vector<std::string>{"0", "1", "2", "3", "4"});
    // The queue goes on: sends and receives work, the dedup window remembers what was sent.
    SendEntry again;
    again.body = "2";
    again.message_group_id = "g";
    again.message_deduplication_id = "2";
    REQUIRE(queue.send(again));
    CHECK(queue.inspect().ready == 0); // a duplicate of an acknowledged send
    expect_no_leak(queue, true);
}

TEST_CASE("a FIFO consumer killed holding a group blocks it only until the visibility timeout", "[crash][fifo]") {
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("hold.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "30"}}, small);
    for (const char* body : {"a", "b", "c"}) {
        SendEntry entry;
        entry.body = body;
        entry.message_group_id = "g";
        entry.message_deduplication_id = body;
        REQUIRE(queue.send(entry));
    }
    ChildProcess worker = run_worker(ns, "hold.fifo", "hold", 1);
    CHECK(worker.read_line() == "got a");
    worker.kill_now();
    expect_killed(worker);
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    auto blocked = queue.receive(request);
    REQUIRE(blocked);
    CHECK(blocked->empty()); // "a" is in flight with a dead consumer: the group waits
    clock.advance_s(31);
    auto resumed = queue.receive(request);
    REQUIRE(resumed);
    std::vector<std::string> order;
    for (const ReceivedMessage& message : resumed.value()) {
        order.push_back(message.body);
    }
    CHECK(order == std::vector<std::string>{"a", "b", "c"});
    CHECK(resumed->front().receive_count == 2);
}

TEST_CASE("a FIFO producer killed between publishing and listing: recovery frees the unacknowledged message",
          "[crash][fifo]") {
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("unlisted.fifo", {{"FifoQueue", "true"}}, small);
    // The fifth send dies with its message READY but not in the arrival ring.
    ChildProcess worker = run_worker(ns, "unlisted.fifo", "fifo-produce", 10, "send.after_publish", 5);
    const std::set<std::string> acked = prefixed(worker.read_all(), "ack ");
    expect_killed(worker);
    CHECK(acked == std::set<std::string>{"0", "1", "2", "3"});
    queue.advance_timers(); // liveness: recovery frees it rather than list it out of order
    SendEntry retry;
    retry.body = "4";
    retry.message_group_id = "g";
    retry.message_deduplication_id = "4";
    REQUIRE(queue.send(retry)); // never acknowledged, never remembered: not a duplicate
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    auto received = queue.receive(request);
    REQUIRE(received);
    std::vector<std::string> order;
    for (const ReceivedMessage& message : received.value()) {
        order.push_back(message.body);
        REQUIRE(queue.delete_message(message.receipt_handle));
    }
    CHECK(order == std::vector<std::string>{"0", "1", "2", "3", "4"});
    expect_no_leak(queue, true);
}

TEST_CASE("a FIFO consumer killed holding the group mutex: the next locker rebuilds, the group resumes in order",
          "[crash][fifo]") {
    ManualClock clock(ahead_of_real_time());
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("consume.fifo", {{"FifoQueue", "true"}}, small);
    for (int i = 0; i < 6; ++i) {
        const std::string body = std::to_string(i);
        REQUIRE(queue.send({.body = body, .message_group_id = "g", .message_deduplication_id = body}));
    }
    // Dies inside the receive's critical section, right after claiming message 0.
    ChildProcess worker = run_worker(ns, "consume.fifo", "consume", 6, "fifo.receive.after_claim", 1);
    (void)worker.read_all();
    expect_killed(worker);
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    // EOWNERDEAD: the group is rebuilt from slot states. Message 0 is in flight under the dead
    // consumer, so the whole group waits for its visibility timeout...
    auto blocked = queue.receive(request);
    REQUIRE(blocked);
    CHECK(blocked->empty());
    clock.advance_s(31);
    queue.advance_timers();
    // ...then resumes from message 0, in order.
    auto received = queue.receive(request);
    REQUIRE(received);
    std::vector<std::string> order;
    for (const ReceivedMessage& message : received.value()) {
        order.push_back(message.body);
        REQUIRE(queue.delete_message(message.receipt_handle));
    }
    CHECK(order == std::vector<std::string>{"0", "1", "2", "3", "4", "5"});
    expect_no_leak(queue, true);
}
