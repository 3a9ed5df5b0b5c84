// Goal: a queue's capacity means what its attributes say. MessageCapacity N holds N messages of
// any size the blob arena has room for; MessageBytesCapacity bounds the bytes of bodies larger
// than a slot's inline area; each refusal is OverLimit naming the limit reached, and a full
// /dev/shm is such a refusal, never a SIGBUS. Method: a private namespace and a ManualClock;
// bodies carry their index so every received byte is checked; the /dev/shm case mounts a small
// tmpfs of its own (root only: skipped, saying so, elsewhere).
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "shmq/layout/region_layout.h"
#include "support/test_namespace.h"

using namespace shmq;

namespace {

constexpr std::size_t kib = 1024;
constexpr std::size_t mib = 1024 * kib;

// A body of `size` bytes that only message `index` has (so a block handed to two messages, or
// read at the wrong place, shows).
std::string body_of(std::uint32_t index, std::size_t size) {
    std::string body(size, '\0');
    std::uint64_t state = 0x9E3779B97F4A7C15ull * (index + 1);
    for (char& c : body) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        c = static_cast<char>('a' + state % 26);
    }
    return body;
}

ReceiveRequest short_poll(std::uint32_t max = 10) {
    ReceiveRequest request;
    request.max_number_of_messages = max;
    request.wait_time_s = 0;
    return request;
}

// Receives and deletes everything ready; checks each body against what was sent under its id.
std::size_t drain_checked(Queue& queue, std::map<std::string, std::string>& sent) {
    std::size_t drained = 0;
    for (;;) {
        auto received = queue.receive(short_poll());
        REQUIRE(received);
        if (received->empty()) {
            return drained;
        }
        for (const ReceivedMessage& message : *received) {
            const auto expected = sent.find(message.message_id.to_string());
            REQUIRE(expected != sent.end());
            CHECK(message.body == expected->second);
            sent.erase(expected);
            REQUIRE(queue.delete_message(message.receipt_handle));
            ++drained;
        }
    }
}

// Sends body_of(index, size) and remembers it; returns the send's result.
Result<MessageId> send_remembered(Queue& queue, std::map<std::string, std::string>& sent, std::uint32_t index,
                                  std::size_t size) {
    std::string body = body_of(index, size);
    auto id = queue.send({.body = body});
    if (id) {
        sent.emplace(id->to_string(), std::move(body));
    }
    return id;
}

} // namespace

TEST_CASE("MessageCapacity N holds N messages of 256 KiB, then N of 1 MiB, then refuses naming MessageCapacity",
          "[unit][capacity]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    constexpr std::uint32_t slots = 64;
    Queue queue = ns.make_queue("roomy", {}, QueueCapacity{.slot_count = slots});
    std::map<std::string, std::string> sent;
    std::uint32_t index = 0;
    for (const std::size_t size : {256 * kib, limits::message_size_max}) {
        CAPTURE(size);
        for (std::uint32_t i = 0; i < slots; ++i) {
            REQUIRE(send_remembered(queue, sent, index++, size));
        }
        auto refused = queue.send({.body = body_of(index, size)});
        REQUIRE_FALSE(refused);
        CHECK(refused.code() == Errc::queue_full);
        CHECK(sqs_error_code(refused.code()) == "OverLimit");
        CHECK(refused.error().message.find("MessageCapacity (64 messages)") != std::string::npos);
        SendOptions blocking;
        blocking.block_when_full = true;
        blocking.block_timeout_ns = 0;
        auto waited = queue.send({.body = "x"}, blocking);
        CHECK(waited.code() == Errc::timed_out);
        CHECK(waited.error().message.find("MessageCapacity, 64 messages") != std::string::npos);
        CHECK(drain_checked(queue, sent) == slots);
    }
    CHECK(sent.empty());
}

TEST_CASE("MessageCapacity N holds N messages of a mix of sizes in every blob class", "[unit][capacity]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    constexpr std::uint32_t slots = 64;
    Queue queue = ns.make_queue("mixed", {}, QueueCapacity{.slot_count = slots});
    const std::size_t sizes[] = {10, 100, 300, 2 * kib, 10 * kib, 50 * kib, 200 * kib, limits::message_size_max};
    std::map<std::string, std::string> sent;
    for (std::uint32_t round = 0; round < 3; ++round) {
        for (std::uint32_t i = 0; i < slots; ++i) {
            const std::uint32_t index = round * slots + i;
            REQUIRE(send_remembered(queue, sent, index, sizes[(index + round) % std::size(sizes)]));
        }
        auto refused = queue.send({.body = "one more"});
        REQUIRE_FALSE(refused);
        CHECK(refused.code() == Errc::queue_full);
        CHECK(drain_checked(queue, sent) == slots);
    }
    // The default MessageBytesCapacity: a largest message in every slot after any history.
    CHECK(queue.inspect().message_bytes_capacity == layout::message_bytes_capacity_default(slots));
    CHECK(queue.inspect().blob_chunks_carved <= queue.inspect().blob_chunks);
}

TEST_CASE("a small MessageBytesCapacity refuses with OverLimit naming it, and frees with deletes", "[unit][capacity]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    constexpr std::uint64_t budget = 4 * mib; // four chunks: four messages of the largest size
    Queue queue = ns.make_queue("tight", {}, QueueCapacity{.slot_count = 64, .message_bytes_capacity = budget});
    const QueueInspection before = queue.inspect();
    CHECK(before.message_bytes_capacity == budget);
    CHECK(before.blob_chunks == layout::blob_chunks_for(budget));
    CHECK(before.blob_chunks_carved == 0);
    std::map<std::string, std::string> sent;
    std::uint32_t index = 0;
    for (std::uint32_t i = 0; i < before.blob_chunks; ++i) {
        REQUIRE(send_remembered(queue, sent, index++, limits::message_size_max));
    }
    auto refused = queue.send({.body = body_of(index, limits::message_size_max)});
    REQUIRE_FALSE(refused);
    CHECK(refused.code() == Errc::queue_bytes_full);
    CHECK(sqs_error_code(refused.code()) == "OverLimit");
    CHECK(sqs_http_status(refused.code()) == 403);
    CHECK(refused.error().message.find("MessageBytesCapacity (4194304 bytes)") != std::string::npos);
    // Every chunk serves the largest class: a small blob body finds no room either...
    CHECK(queue.send({.body = body_of(index, 300)}).code() == Errc::queue_bytes_full);
    // ...while a body that fits the slot needs none.
    CHECK(queue.send({.body = "inline"}));
    // A batch reports the limit per entry.
    const std::string big = body_of(index, 100 * kib);
    std::array<SendEntry, 2> entries{SendEntry{.body = "fits"}, SendEntry{.body = big}};
    std::array<SendOutcome, 2> outcomes{};
    REQUIRE(queue.send_batch(entries, outcomes));
    CHECK(outcomes[0].error == Errc::ok);
    CHECK(outcomes[1].error == Errc::queue_bytes_full);
    CHECK(queue.explain_send_error(entries[1], outcomes[1].error).error().message.find("MessageBytesCapacity") !=
          std::string::npos);

    // A deleted message's block serves the next body, of its class or smaller.
    auto received = queue.receive(short_poll(10));
    REQUIRE(received);
    for (const ReceivedMessage& message : *received) {
        if (message.body.size() == limits::message_size_max) {
            CHECK(message.body == sent.at(message.message_id.to_string()));
            sent.erase(message.message_id.to_string());
            REQUIRE(queue.delete_message(message.receipt_handle));
            break;
        }
    }
    REQUIRE(send_remembered(queue, sent, index++, 300));
    CHECK(queue.inspect().blob_chunks_carved == before.blob_chunks);
}

TEST_CASE("blob blocks are reused: send and delete cycles far beyond MessageBytesCapacity", "[unit][capacity]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    // One chunk: each 1 MiB message needs all of it.
    Queue one_chunk = ns.make_queue(
        "one-chunk", {}, QueueCapacity{.slot_count = 16, .message_bytes_capacity = limits::message_bytes_capacity_min});
    REQUIRE(one_chunk.inspect().blob_chunks == 1);
    std::map<std::string, std::string> sent;
    for (std::uint32_t i = 0; i < 200; ++i) { // 200 MiB through a 1 MiB arena
        REQUIRE(send_remembered(one_chunk, sent, i, limits::message_size_max));
        REQUIRE(drain_checked(one_chunk, sent) == 1);
    }

    // Random sizes in every class, eight at once: a class carves only when all its blocks hold
    // messages, so one chunk for each class of 64 KiB and less, two of 256 KiB blocks and eight
    // of the largest (15) are ever carved, and 19 chunks never run out.
    Queue churn = ns.make_queue("churn", {}, QueueCapacity{.slot_count = 16, .message_bytes_capacity = 20 * mib});
    std::mt19937 random(7);
    std::uniform_int_distribution<std::size_t> size_of(1, limits::message_size_max);
    std::uint32_t index = 1000;
    for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 8; ++i) {
            const std::size_t size = size_of(random) >> (random() % 20); // every class often
            REQUIRE(send_remembered(churn, sent, index++, std::max<std::size_t>(size, 1)));
        }
        REQUIRE(drain_checked(churn, sent) == 8);
    }
    CHECK(churn.inspect().blob_chunks_carved <= 15);
    CHECK(churn.inspect().free == 16);
}

TEST_CASE("MessageBytesCapacity is a create-only attribute, validated and reported", "[unit][capacity]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue("sized", {{"MessageBytesCapacity", "104857600"}}));
    CHECK(client.get_queue_attributes("sized", {"MessageBytesCapacity"})->at("MessageBytesCapacity") == "104857600");
    auto sized = client.open_queue("sized");
    REQUIRE(sized);
    CHECK(sized->inspect().message_bytes_capacity == 104857600);
    // Reported by name for any queue (its default), never with "All".
    REQUIRE(client.create_queue("plain", {{"MessageCapacity", "100"}}));
    CHECK(client.get_queue_attributes("plain", {"MessageBytesCapacity"})->at("MessageBytesCapacity") ==
          std::to_string(layout::message_bytes_capacity_default(100)));
    CHECK_FALSE(client.get_queue_attributes("plain", {"All"})->contains("MessageBytesCapacity"));
    CHECK(client.set_queue_attributes("sized", {{"MessageBytesCapacity", "209715200"}}).code() ==
          Errc::invalid_attribute_value);
    for (const std::string bad : {"1048575", "68719476737", "-1", "1e9", ""}) {
        CAPTURE(bad);
        auto created = client.create_queue("bad", {{"MessageBytesCapacity", bad}});
        REQUIRE_FALSE(created);
        CHECK(created.code() == Errc::invalid_attribute_value);
    }
    // The same attributes again: the existing queue.
    CHECK(client.create_queue("sized", {{"MessageBytesCapacity", "104857600"}}));
}

TEST_CASE("a full /dev/shm refuses a send with OverLimit instead of killing the process", "[unit][capacity]") {
    char directory[] = "/tmp/shmq-small-shm-XXXXXX";
    REQUIRE(mkdtemp(directory) != nullptr);
    // 8 MiB of pages: fewer than the queue's arena wants, so the file system fills first.
    if (mount("shmq-test", directory, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=0700") != 0) {
        std::printf("SKIP: a full /dev/shm: cannot mount a small tmpfs here (%s)\n", std::strerror(errno));
        rmdir(directory);
        return;
    }
    struct Unmount {
        const char* path;
        ~Unmount() {
            umount2(path, MNT_DETACH);
            rmdir(path);
        }
    } unmount{directory};
    {
        ManualClock clock;
        ClientOptions options;
        options.namespace_name = "small";
        options.shm_dir = directory;
        options.clock = &clock;
        auto client = Client::open(options);
        REQUIRE(client);
        REQUIRE(client->create_queue("bodies", {}, {}, QueueCapacity{.slot_count = 16}));
        auto queue = client->open_queue("bodies");
        REQUIRE(queue);
        std::map<std::string, std::string> sent;
        std::uint32_t index = 0;
        Result<MessageId> last = MessageId{};
        while (index < 16 && (last = send_remembered(*queue, sent, index, limits::message_size_max))) {
            ++index;
        }
        REQUIRE_FALSE(last);
        CHECK(index >= 2);
        CHECK(last.code() == Errc::shm_full);
        CHECK(sqs_error_code(last.code()) == "OverLimit");
        CHECK(last.error().message.find("no space left in /dev/shm") != std::string::npos);
        CHECK(queue->inspect().blob_chunks_carved == index); // the refused chunk was not taken
        // The process is alive, the queue works: inline bodies, and reused blocks.
        REQUIRE(send_remembered(*queue, sent, 999, 5));
        REQUIRE(drain_checked(*queue, sent) == index + 1);
        REQUIRE(send_remembered(*queue, sent, index, limits::message_size_max));
        REQUIRE(drain_checked(*queue, sent) == 1);
    }
}
