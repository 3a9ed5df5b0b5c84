// Goal: messages of SSE queues (SqsManagedSseEnabled=true, SQS's default, or a KmsMasterKeyId) are
// sealed in the journal: no byte of their bodies or attributes is on disk in clear, while
// SqsManagedSseEnabled=false queues stay plain; sealed messages come back whole after a reboot; a
// sealed record altered on disk (its checksum recomputed, as an attacker would) is reported and
// skipped, never restored wrong; data keys survive compaction; the key ring file is made 0600 and
// one that others can read, or that is a symbolic link, is refused (so is such a credentials file); a journal read with another
// key ring restores nothing it cannot open and says so.
// Method: the real shmqd (Durability=sync: each message is journaled before its send returns),
// segment files read as bytes, a reboot simulated by wiping the namespace's regions.
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <random>

#include "journal/journal_writer.h"
#include "journal/segment.h"
#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

// A body no journal byte could hold by chance.
std::string marker(const std::string& what) {
    std::random_device random;
    return what + "-" + std::to_string(random()) + "-" + std::to_string(random()) + "-end";
}

bool journal_contains(const DataDir& data, const std::string& text) {
    for (const auto& segment : data.segments()) {
        if (file_text(segment).find(text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string body_of(Queue& queue) {
    const auto received = receive_all(queue);
    REQUIRE(received.size() == 1);
    return received.begin()->second.body;
}

ReceivedMessage only_message(Queue& queue) {
    auto received = receive_all(queue);
    REQUIRE(received.size() == 1);
    return received.begin()->second;
}

Queue open(const TestNamespace& ns, const std::string& name) {
    auto queue = ns.client().open_queue(name);
    REQUIRE(queue);
    return std::move(queue.value());
}

// Flips one byte inside the sealed box of the first sealed message_sent record and recomputes the
// record's checksum: the journal's framing accepts it, only the tag can tell.
void alter_first_sealed_message(const DataDir& data) {
    for (const auto& path : data.segments()) {
        std::string bytes = file_text(path);
        std::span<std::byte> whole(reinterpret_cast<std::byte*>(bytes.data()), bytes.size());
        std::size_t offset = journal::segment_header_bytes;
        while (offset < bytes.size()) {
            journal::RecordView record;
            const std::size_t size = journal::parse_record(whole.subspan(offset), record);
            if (size == 0) {
                break;
            }
            if (record.type == journal::RecordType::message_sent && (record.flags & journal::record_flag_sealed) != 0) {
                const std::size_t payload_at = offset + journal::record_header_bytes;
                constexpr std::size_t tag_bytes = 16; // the box ends with its tag: the byte before it is ciphertext
                bytes[payload_at + record.payload.size() - tag_bytes - 1] ^= 0x01;
                journal::RecordHeader header;
                std::memcpy(&header, bytes.data() + offset, sizeof header);
                header.checksum = journal::record_checksum(header, whole.subspan(payload_at, record.payload.size()));
                std::memcpy(bytes.data() + offset, &header, sizeof header);
                std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
                return;
            }
            offset += size;
        }
    }
    FAIL("no sealed message record in the journal");
}

} // namespace

TEST_CASE("shmqd: SSE queues' messages are sealed in the journal, plain ones are not, and both come back after a reboot",
          "[durability]") {
    TestNamespace ns;
    DataDir data;
    REQUIRE(ns.client().create_queue("sealed", {{"Durability", "sync"}}));
    REQUIRE(ns.client().create_queue("kms", {{"Durability", "sync"}, {"KmsMasterKeyId", "alias/aws/sqs"}}));
    REQUIRE(ns.client().create_queue("plain", {{"Durability", "sync"}, {"SqsManagedSseEnabled", "false"}}));
    const std::string sealed_body = marker("sealed-body");
    const std::string sealed_attribute = marker("sealed-attribute");
    const std::string kms_body = marker("kms-body");
    const std::string plain_body = marker("plain-body");
    const MessageAttributes attributes{{"customer", {"String", sealed_attribute, ""}}};
    {
        ChildProcess daemon = start_daemon(ns, data);
        Queue sealed = open(ns, "sealed");
        Queue kms = open(ns, "kms");
        Queue plain = open(ns, "plain");
        REQUIRE(sealed.send({.body = sealed_body, .attributes = &attributes}));
        REQUIRE(kms.send({.body = kms_body}));
        REQUIRE(plain.send({.body = plain_body}));
        stop_daemon(daemon);
    }
    CHECK_FALSE(journal_contains(data, sealed_body));
    CHECK_FALSE(journal_contains(data, sealed_attribute));
    CHECK_FALSE(journal_contains(data, kms_body));
    CHECK(journal_contains(data, plain_body)); // the grep would find a plain body: it finds none sealed
    struct stat key_file {};
    REQUIRE(::stat((data.path + "/keys.json").c_str(), &key_file) == 0);
    CHECK((key_file.st_mode & 0777) == 0600);

    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data);
    Queue sealed = open(ns, "sealed");
    Queue kms = open(ns, "kms");
    Queue plain = open(ns, "plain");
    const ReceivedMessage message = only_message(sealed);
    CHECK(message.body == sealed_body);
    CHECK(message.attributes == attributes);
    CHECK(body_of(kms) == kms_body);
    CHECK(body_of(plain) == plain_body);
    stop_daemon(restarted);
}

TEST_CASE("shmqd: a sealed record altered on disk is reported and skipped while the others come back", "[durability]") {
    TestNamespace ns;
    DataDir data;
    REQUIRE(ns.client().create_queue("first", {{"Durability", "sync"}}));
    REQUIRE(ns.client().create_queue("second", {{"Durability", "sync"}}));
    {
        ChildProcess daemon = start_daemon(ns, data);
        Queue first = open(ns, "first");
        Queue second = open(ns, "second");
        REQUIRE(first.send({.body = "altered on disk"}));
        REQUIRE(second.send({.body = "left alone"}));
        stop_daemon(daemon);
    }
    alter_first_sealed_message(data);
    wipe_regions(ns);
    const std::string log_path = data.path + ".log";
    ChildProcess restarted = exec_capturing_stderr(
        {"--data-dir", data.path, "--namespace", ns.name(), "--listen", "127.0.0.1:0"}, log_path);
    REQUIRE(restarted.read_line().starts_with("shmqd listening on "));
    REQUIRE(restarted.read_line() == "shmqd ready");
    Queue first = open(ns, "first");
    Queue second = open(ns, "second");
    CHECK(receive_all(first).empty());
    CHECK(body_of(second) == "left alone");
    stop_daemon(restarted);
    const std::string log = file_text(log_path);
    std::filesystem::remove(log_path);
    CHECK(log.find("fails its authentication tag") != std::string::npos);
    CHECK(log.find("1 sealed records could not be opened") != std::string::npos);
}

TEST_CASE("shmqd: sealed messages and their data keys outlive compaction", "[durability]") {
    TestNamespace ns;
    DataDir data;
    REQUIRE(ns.client().create_queue("kept", {{"Durability", "sync"}}));
    REQUIRE(ns.client().create_queue("churn", {{"Durability", "sync"}}));
    const std::string kept_body = marker("kept");
    {
        ChildProcess daemon = start_daemon(ns, data, {"--segment-mib", "1"});
        Queue kept = open(ns, "kept");
        Queue churn = open(ns, "churn");
        REQUIRE(kept.send({.body = kept_body}));
        const std::string filler(32u << 10, 'c');
        ReceiveRequest request;
        request.max_number_of_messages = 10;
        request.wait_time_s = 0;
        // 3,000 messages of 32 KiB through 1 MiB segments: the first ones (with the data keys
        // made at start) are compacted away many times over.
        for (int round = 0; round < 300; ++round) {
            for (int i = 0; i < 10; ++i) {
                REQUIRE(churn.send({.body = filler}));
            }
            auto received = churn.receive(request);
            REQUIRE(received);
            for (const ReceivedMessage& message : received.value()) {
                REQUIRE(churn.delete_message(message.receipt_handle));
            }
        }
        stop_daemon(daemon);
    }
    CHECK(data.segments().front().filename().string() != "00000000000000000001.seg"); // compacted
    CHECK_FALSE(journal_contains(data, kept_body));
    wipe_regions(ns);
    ChildProcess restarted = start_daemon(ns, data, {"--segment-mib", "1"});
    Queue kept = open(ns, "kept");
    CHECK(body_of(kept) == kept_body);
    stop_daemon(restarted);
}

TEST_CASE("shmqd: the key ring and credentials files must be private, and a journal read with another key ring restores nothing it "
          "cannot open",
          "[durability]") {
    TestNamespace ns;
    DataDir data;
    const std::string key_file = data.path + "/keys.json";
    REQUIRE(ns.client().create_queue("secret", {{"Durability", "sync"}}));
    {
        ChildProcess daemon = start_daemon(ns, data);
        Queue secret = open(ns, "secret");
        REQUIRE(secret.send({.body = "for the first key ring only"}));
        stop_daemon(daemon);
    }
    const std::vector<std::string> arguments{"--data-dir", data.path, "--namespace", ns.name(), "--listen", "127.0.0.1:0"};
    SECTION("readable by others: refused") {
        std::filesystem::permissions(key_file, std::filesystem::perms::group_read | std::filesystem::perms::others_read,
                                     std::filesystem::perm_options::add);
        const Run run = run_to_exit(arguments, data);
        CHECK(WEXITSTATUS(run.status) == 1);
        CHECK(run.stderr_text.find("keys.json: is readable or writable by others (mode 0644)") != std::string::npos);
    }
    SECTION("a credentials file readable by others: refused as well") {
        const std::string credentials = data.path + "/credentials";
        std::ofstream(credentials) << "AKIDEXAMPLE secret\n";
        std::filesystem::permissions(credentials, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                                      std::filesystem::perms::group_read);
        std::vector<std::string> with_credentials = arguments;
        with_credentials.insert(with_credentials.end(), {"--credentials", credentials});
        const Run run = run_to_exit(with_credentials, data);
        CHECK(WEXITSTATUS(run.status) == 2);
        CHECK(run.stderr_text.find("credentials: is readable or writable by others (mode 0640)") != std::string::npos);
    }
    SECTION("a symbolic link: refused") {
        std::filesystem::rename(key_file, data.path + "/real-keys.json");
        std::filesystem::create_symlink(data.path + "/real-keys.json", key_file);
        const Run run = run_to_exit(arguments, data);
        CHECK(WEXITSTATUS(run.status) == 1);
        CHECK(run.stderr_text.find("keys.json: is a symbolic link") != std::string::npos);
    }
    SECTION("missing while the journal holds data keys: refused, no new ring made") {
        std::filesystem::remove(key_file);
        const Run run = run_to_exit(arguments, data);
        CHECK(WEXITSTATUS(run.status) == 1);
        CHECK(run.stderr_text.find("does not exist, but the journal holds 1 data keys") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(key_file));
    }
    SECTION("another key ring: the sealed message is kept, not restored, and comes back with its key ring") {
        std::filesystem::rename(key_file, data.path + "/keys.original");
        {
            std::ofstream other(key_file);
            other << R"({"managed_key":"other","keys":[{"id":"other","material":")"
                  << "b3RoZXItcmluZy1rZXktbWF0ZXJpYWwtMzItYnl0ZXM=" << R"("}]})";
        }
        std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        wipe_regions(ns);
        const std::string log_path = data.path + ".log";
        {
            ChildProcess restarted = exec_capturing_stderr(arguments, log_path);
            REQUIRE(restarted.read_line().starts_with("shmqd listening on "));
            REQUIRE(restarted.read_line() == "shmqd ready");
            Queue secret = open(ns, "secret");
            CHECK(receive_all(secret).empty());
            stop_daemon(restarted);
        }
        const std::string log = file_text(log_path);
        std::filesystem::remove(log_path);
        CHECK(log.find("wrapped by a master key the key ring does not hold") != std::string::npos);
        CHECK(log.find("names a data key that cannot be read") != std::string::npos);
        // The record still stands: with the right ring (after another reboot) the message is back.
        std::filesystem::remove(key_file);
        std::filesystem::rename(data.path + "/keys.original", key_file);
        wipe_regions(ns);
        ChildProcess healed = start_daemon(ns, data);
        Queue secret = open(ns, "secret");
        CHECK(body_of(secret) == "for the first key ring only");
        stop_daemon(healed);
    }
}

TEST_CASE("shmqd: every send made after SSE is turned on is sealed, however soon after", "[durability]") {
    TestNamespace ns;
    DataDir data;
    REQUIRE(ns.client().create_queue("switched", {{"Durability", "sync"}, {"SqsManagedSseEnabled", "false"}}));
    const std::string before = marker("before");
    std::vector<std::string> after;
    {
        ChildProcess daemon = start_daemon(ns, data);
        Queue switched = open(ns, "switched");
        REQUIRE(switched.send({.body = before}));
        // Each time: SSE off, a send, SSE on, at once a send that must be sealed.
        for (int round = 0; round < 20; ++round) {
            REQUIRE(ns.client().set_queue_attributes("switched", {{"SqsManagedSseEnabled", "true"}}));
            after.push_back(marker("after-" + std::to_string(round)));
            REQUIRE(switched.send({.body = after.back()}));
            REQUIRE(ns.client().set_queue_attributes("switched", {{"SqsManagedSseEnabled", "false"}}));
            REQUIRE(switched.send({.body = "plain again"}));
        }
        stop_daemon(daemon);
    }
    CHECK(journal_contains(data, before));
    for (const std::string& body : after) {
        CHECK_FALSE(journal_contains(data, body));
    }
}
