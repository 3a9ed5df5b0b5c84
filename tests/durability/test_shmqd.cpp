// Goal: shmqd keeps queue definitions durable. Queues created, changed and deleted before or
// while it runs are journaled; after the host loses its shared memory (the namespace directory
// wiped, as a reboot does), a restarted shmqd recreates every live queue with its attributes,
// tags, capacity and RedrivePolicy, and no deleted one. It stops cleanly on SIGTERM and loses
// nothing it had made durable when SIGKILLed. Method: the real shmqd binary (fork/exec), a
// temporary data directory, a private namespace.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "support/child_process.h"
#include "support/test_namespace.h"

using namespace shmq;
using shmq::testing::ChildProcess;

namespace {

struct DataDir {
    std::string path;
    DataDir() {
        path = (std::filesystem::temp_directory_path() / ("shmqd-test-" + std::to_string(getpid()))).string();
        std::filesystem::remove_all(path);
    }
    ~DataDir() { std::filesystem::remove_all(path); }
};

// Starts shmqd and waits until it has recovered, restored and journaled what exists.
ChildProcess start_daemon(const testing::TestNamespace& ns, const DataDir& data) {
    ChildProcess daemon = ChildProcess::exec(SHMQD_BINARY, {"--data-dir", data.path, "--namespace", ns.name()});
    REQUIRE(daemon.read_line() == "shmqd ready");
    return daemon;
}

void stop_daemon(ChildProcess& daemon) {
    kill(daemon.pid(), SIGTERM);
    const int status = daemon.wait();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

// What a reboot does to shared memory: every region of the namespace is gone.
void wipe_regions(const testing::TestNamespace& ns) {
    for (const auto& entry : std::filesystem::directory_iterator(ns.client().namespace_dir())) {
        std::filesystem::remove_all(entry.path());
    }
}

std::string attribute(const Client& client, const std::string& queue, const std::string& name) {
    auto attributes = client.get_queue_attributes(queue, {name});
    REQUIRE(attributes);
    const auto found = attributes->find(name);
    return found == attributes->end() ? std::string() : found->second;
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
    REQUIRE(client.create_queue(
        "work", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + Client::queue_arn("dlq") + R"(","maxReceiveCount":"3"})"}}));
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

TEST_CASE("shmqd: a SIGKILLed daemon loses no definition it had journaled; a restart catches up", "[durability]") {
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
