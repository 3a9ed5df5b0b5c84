// Goal: "acknowledged means on disk", whatever instruction shmqd dies at. shmqd is SIGKILLed at
// fault-injection points between staging records, writing them, their fdatasync, and releasing
// the Durability=sync senders (and while rolling to a new segment); then the host "reboots"
// (shared memory wiped), optionally after a simulated power loss that drops every byte no
// fdatasync covered (segments cut back to the last durable offset shmqd traced). A restarted
// shmqd must bring back every acknowledged message, no message deleted before a later
// acknowledged send, and nothing that was never sent. Method: the real shmqd with 1 MiB
// segments and crash points (SHMQ_CRASH_AT), a client sending 16 KiB sync messages.
#include <fcntl.h>

#include <fstream>
#include <set>

#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

struct Traffic {
    std::set<std::string> sent;         // every body sent (acknowledged or not)
    std::set<std::string> acknowledged; // bodies whose sync send returned ok
    std::set<std::string> deleted;      // bodies deleted before a later send was acknowledged
    std::set<std::string> maybe_deleted; // deleted after the last acknowledged send
};

// Sync sends until shmqd dies; every fourth one, a message is received and deleted first.
Traffic send_until_shmqd_dies(Queue& ledger, ChildProcess& daemon) {
    Traffic traffic;
    ReceiveRequest request;
    request.max_number_of_messages = 1;
    request.wait_time_s = 0;
    int status = 0;
    for (int i = 0; i < 5000 && !daemon.exited(&status); ++i) {
        if (i % 4 == 3) {
            auto received = ledger.receive(request);
            REQUIRE(received);
            if (!received->empty()) {
                REQUIRE(ledger.delete_message(received->front().receipt_handle));
                traffic.maybe_deleted.insert(received->front().body); // durable with the next ack
            }
        }
        std::string body = "ledger-" + std::to_string(i) + "-";
        body.resize(16u << 10, 'p');
        traffic.sent.insert(body);
        auto id = ledger.send({.body = body});
        if (!id) {
            REQUIRE(id.code() == Errc::not_durable); // shmqd died: enqueued or not, not acknowledged
            break;
        }
        traffic.acknowledged.insert(body);
        traffic.deleted.merge(traffic.maybe_deleted);
        traffic.maybe_deleted.clear();
    }
    if (!wait_for_exit(daemon, status)) {
        FAIL("shmqd never reached its crash point");
    }
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    return traffic;
}

// What a power loss leaves: bytes after the last traced durable offset are gone (the segments
// were zero-filled and flushed before use, so what reappears is zeros).
void drop_unsynced_bytes(const DataDir& data, const std::string& trace_path) {
    std::ifstream trace(trace_path);
    std::string segment;
    std::uint64_t offset = 0;
    std::string last_segment;
    std::uint64_t last_offset = 0;
    while (trace >> segment >> offset) {
        last_segment = segment;
        last_offset = offset;
    }
    REQUIRE_FALSE(last_segment.empty());
    for (const auto& path : data.segments()) {
        const std::string name = path.filename().string();
        if (name < last_segment) {
            continue;
        }
        const std::uint64_t from = name == last_segment ? last_offset : 4096; // later ones: past the header
        const std::uint64_t size = std::filesystem::file_size(path);
        const int fd = ::open(path.c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        const std::vector<char> zeros(size - std::min(from, size), 0);
        REQUIRE(pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(from)) == static_cast<ssize_t>(zeros.size()));
        ::close(fd);
    }
}

} // namespace

TEST_CASE("shmqd: killed between write, fdatasync and acknowledgement, it loses nothing acknowledged",
          "[durability]") {
    // Each point with the hit that kills it: commits and acknowledgements happen once per send,
    // rolls once per 64 sends of 16 KiB.
    const auto [point, after] = GENERATE(table<const char*, const char*>({
        {"shmqd.pump.after_append", "37"},
        {"journal.commit.after_submit", "41"},
        {"journal.commit.after_durable", "43"},
        {"shmqd.ack.after_publish", "47"},
        {"journal.roll.after_header", "2"},
        {"journal.roll.after_rename", "2"},
    }));
    const bool power_loss = GENERATE(false, true);
    CAPTURE(point, after, power_loss);
    TestNamespace ns;
    DataDir data;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("ledger", {{"Durability", "sync"}}));
    auto ledger = client.open_queue("ledger");
    REQUIRE(ledger);
    const std::string trace = data.path + ".trace";
    ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1", "--durable-trace", trace},
                                       {{"SHMQ_CRASH_AT", point}, {"SHMQ_CRASH_AFTER", after}});
    const Traffic traffic = send_until_shmqd_dies(ledger.value(), daemon);
    REQUIRE(traffic.acknowledged.size() >= 2);

    if (power_loss) {
        drop_unsynced_bytes(data, trace);
    }
    std::filesystem::remove(trace);
    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data, {"--segment-mib", "1"});
    auto restored = client.open_queue("ledger");
    REQUIRE(restored);
    std::set<std::string> bodies;
    for (const auto& [id, message] : receive_all(restored.value())) {
        bodies.insert(message.body);
    }
    for (const std::string& body : traffic.acknowledged) {
        if (!traffic.deleted.contains(body) && !traffic.maybe_deleted.contains(body)) {
            CAPTURE(body.substr(0, 16));
            CHECK(bodies.contains(body)); // acknowledged: on disk
        }
    }
    for (const std::string& body : bodies) {
        CAPTURE(body.substr(0, 16));
        CHECK(traffic.sent.contains(body));         // nothing invented
        CHECK_FALSE(traffic.deleted.contains(body)); // nothing resurrected
    }
    stop_daemon(restarted);
}
