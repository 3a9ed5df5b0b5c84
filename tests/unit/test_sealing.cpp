// Goal: the pieces of encryption at rest behave as their contracts say. A sealed box opens only
// with its key and its authenticated data, and any altered byte fails it; the key ring file is
// created private with the SQS-managed key and alias/aws/sqs, finds a key by every name KMS
// accepts and refuses a malformed file with a reason; data keys rotate when their queue's reuse
// period has passed or its master key changes, and a journal's data_key records give every key
// back to a later reader holding the same key ring (not to one holding another).
// Method: the classes themselves (tools/shmqd, library shmqd_records), a JournalWriter on a
// temporary directory, times passed in explicitly.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "data_keys.h"
#include "journal/journal_writer.h"
#include "key_ring.h"
#include "message_records.h"
#include "sealing_key.h"

using namespace shmq;
using namespace shmq::daemon;

namespace {

std::span<const std::byte> bytes_of(std::string_view text) { return std::as_bytes(std::span(text)); }

SealingKey fresh_key(SealingCipher cipher = SealingCipher::fastest) {
    auto material = SealingKey::generate_material();
    REQUIRE(material);
    auto key = SealingKey::load(material.value(), NonceMode::counter, cipher);
    REQUIRE(key);
    return std::move(key.value());
}

std::string_view text_of(const std::vector<std::byte>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct TempDirectory {
    std::string path;
    TempDirectory() {
        std::string pattern = (std::filesystem::temp_directory_path() / "shmq-sealing-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDirectory() { std::filesystem::remove_all(path); }
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

constexpr std::string_view material_a = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes
constexpr std::string_view material_b = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

} // namespace

TEST_CASE("sealing: a box opens only with its key and its authenticated data, and any altered byte fails it", "[unit]") {
    const SealingCipher cipher = GENERATE(SealingCipher::fastest, SealingCipher::openssl);
    CAPTURE(cipher == SealingCipher::fastest ? "fastest" : "openssl", SealingKey::accelerated());
    SealingKey key = fresh_key(cipher);
    SealingKey other = fresh_key(cipher);
    const std::string_view secret = "the body of a message";
    std::vector<std::byte> box;
    REQUIRE(key.seal({bytes_of("queue-a"), bytes_of("id-1")}, bytes_of(secret), box));
    REQUIRE(box.size() == secret.size() + sealing_overhead_bytes);
    std::vector<std::byte> opened;
    REQUIRE(key.open({bytes_of("queue-a"), bytes_of("id-1")}, box, opened));
    CHECK(std::string_view(reinterpret_cast<const char*>(opened.data()), opened.size()) == secret);
    CHECK(key.open({bytes_of("queue-aid-1")}, box, opened)); // parts bind as if concatenated
    CHECK_FALSE(key.open({bytes_of("queue-b"), bytes_of("id-1")}, box, opened));
    CHECK(opened.empty()); // nothing of a failed box is handed out
    CHECK_FALSE(other.open({bytes_of("queue-a"), bytes_of("id-1")}, box, opened));
    for (std::size_t at = 0; at < box.size(); ++at) {
        std::vector<std::byte> altered = box;
        altered[at] ^= std::byte{0x80};
        CHECK_FALSE(key.open({bytes_of("queue-a"), bytes_of("id-1")}, altered, opened));
    }
    CHECK_FALSE(key.open({}, std::span(box).first(sealing_overhead_bytes - 1), opened));
    std::vector<std::byte> again;
    REQUIRE(key.seal({bytes_of("queue-a"), bytes_of("id-1")}, bytes_of(secret), again));
    CHECK(again != box); // a fresh nonce each time
    std::vector<std::byte> empty_box;
    REQUIRE(key.seal({bytes_of("queue-a")}, {}, empty_box));
    REQUIRE(empty_box.size() == sealing_overhead_bytes);
    CHECK(key.open({bytes_of("queue-a")}, empty_box, opened));
    CHECK(opened.empty());
    empty_box.back() ^= std::byte{1};
    CHECK_FALSE(key.open({bytes_of("queue-a")}, empty_box, opened));
}

TEST_CASE("sealing: libsodium's and OpenSSL's AES-256-GCM make the same boxes, each opens the other's", "[unit]") {
    auto material = SealingKey::generate_material();
    REQUIRE(material);
    auto fastest = SealingKey::load(material.value(), NonceMode::counter, SealingCipher::fastest);
    auto openssl = SealingKey::load(material.value(), NonceMode::counter, SealingCipher::openssl);
    REQUIRE(fastest);
    REQUIRE(openssl);
    // Bodies of every length around the AES block and the 64-byte messages the bench sends.
    for (std::size_t length : {0u, 1u, 15u, 16u, 17u, 64u, 255u, 4096u, 100'000u}) {
        CAPTURE(length, SealingKey::accelerated());
        std::string body(length, 'x');
        for (std::size_t i = 0; i < length; ++i) {
            body[i] = static_cast<char>('a' + (i * 7) % 26);
        }
        const std::span<const std::byte> clear = bytes_of(body).first(std::min<std::size_t>(length, 40));
        std::vector<std::byte> by_fastest;
        std::vector<std::byte> by_openssl;
        REQUIRE(fastest->seal({bytes_of("aad"), clear}, bytes_of(body), by_fastest));
        REQUIRE(openssl->seal({bytes_of("aad"), clear}, bytes_of(body), by_openssl));
        // A tag made by one verifies under the other only if both compute the same GCM.
        std::vector<std::byte> opened;
        REQUIRE(openssl->open({bytes_of("aad"), clear}, by_fastest, opened));
        CHECK(text_of(opened) == body);
        REQUIRE(fastest->open({bytes_of("aad"), clear}, by_openssl, opened));
        CHECK(text_of(opened) == body);
        by_openssl[sealing_nonce_bytes / 2] ^= std::byte{4};
        CHECK_FALSE(fastest->open({bytes_of("aad"), clear}, by_openssl, opened));
        by_fastest.back() ^= std::byte{4};
        CHECK_FALSE(openssl->open({bytes_of("aad"), clear}, by_fastest, opened));
    }
}

TEST_CASE("sealing: a sealed message record keeps its identity in clear and its body and attributes sealed", "[unit]") {
    SealingKey key = fresh_key();
    MessageId id;
    id.bytes[0] = 7;
    const SentMessage message{"orders", id, 123, 1000, "a secret body", "encoded attributes", 42};
    std::vector<std::byte> plaintext;
    std::vector<std::byte> payload;
    REQUIRE(encode_sealed_sent(message, journal::RecordType::message_sent, 99, key, plaintext, payload));
    const std::string_view raw(reinterpret_cast<const char*>(payload.data()), payload.size());
    CHECK(raw.find("a secret body") == std::string_view::npos);
    CHECK(raw.find("encoded attributes") == std::string_view::npos);
    auto decoded = decode_sent(payload, true);
    REQUIRE(decoded);
    CHECK(decoded->queue == "orders");
    CHECK(decoded->message_id == id);
    CHECK(decoded->sent_ns == 123);
    CHECK(decoded->sequence_number == 42);
    CHECK(decoded->data_key_id == 99);
    CHECK(decoded->body.empty());
    std::vector<std::byte> opened;
    SentMessage as_remembered = decoded.value();
    CHECK_FALSE(open_sent(as_remembered, journal::RecordType::message_remembered, key, opened)); // the type is bound
    REQUIRE(open_sent(decoded.value(), journal::RecordType::message_sent, key, opened));
    CHECK(decoded->body == "a secret body");
    CHECK(decoded->encoded_attributes == "encoded attributes");
    CHECK_FALSE(decode_sent(std::span(payload).first(40), true)); // cut short
}

TEST_CASE("key ring: made private on first start, keys found by every KMS name, malformed files refused", "[unit]") {
    TempDirectory directory;
    const std::string path = directory.path + "/keys.json";
    const QueueScope scope;
    SECTION("made on first start") {
        auto ring = KeyRing::open_or_create(path, scope);
        REQUIRE(ring);
        struct stat status {};
        REQUIRE(::stat(path.c_str(), &status) == 0);
        CHECK((status.st_mode & 0777) == 0600);
        CHECK(ring->size() == 2);
        MasterKey* aws = ring->find("alias/aws/sqs");
        REQUIRE(aws != nullptr);
        CHECK(aws != &ring->managed());
        CHECK(ring->find(ring->managed().id) == &ring->managed());
        auto again = KeyRing::open_or_create(path, scope); // read back, not made anew
        REQUIRE(again);
        CHECK(again->managed().id == ring->managed().id);
    }
    SECTION("names") {
        write_file(path, R"({"managed_key":"m","keys":[{"id":"m","material":")" + std::string(material_a) +
                             R"("},{"id":"k-1","aliases":["alias/pay"],"material":")" + std::string(material_b) + R"("}]})");
        auto ring = KeyRing::open_or_create(path, scope);
        REQUIRE(ring);
        MasterKey* key = ring->find("k-1");
        REQUIRE(key != nullptr);
        CHECK(ring->find("alias/pay") == key);
        CHECK(ring->find("arn:aws:kms:us-east-1:000000000000:key/k-1") == key);
        CHECK(ring->find("arn:aws:kms:us-east-1:000000000000:alias/pay") == key);
        CHECK(ring->find("arn:aws:kms:eu-west-1:000000000000:key/k-1") == nullptr);
        CHECK(ring->find("arn:aws:kms:us-east-1:111122223333:key/k-1") == nullptr);
        CHECK(ring->find("arn:aws:kms:us-east-1:000000000000:k-1") == nullptr);
        CHECK(ring->find("alias/nobody") == nullptr);
        CHECK(ring->find("") == nullptr);
        CHECK(ring->knows("alias/pay"));
    }
    SECTION("refusals") {
        const std::string good_key = R"({"id":"m","material":")" + std::string(material_a) + R"("})";
        const std::vector<std::pair<std::string, std::string>> cases{
            {"not json", "is not a JSON object"},
            {R"({"keys":[)" + good_key + "]}", "needs \"managed_key\""},
            {R"({"managed_key":"m","keys":[]})", "needs \"keys\""},
            {R"({"managed_key":"m","keys":[{"id":"m","material":"c2hvcnQ="}]})", "base64 of 32 bytes"},
            {R"({"managed_key":"m","keys":[)" + good_key + "," + good_key + "]}", "repeats the id"},
            {R"({"managed_key":"m","keys":[{"id":"m","aliases":["pay"],"material":")" + std::string(material_a) + R"("}]})",
             "alias/NAME"},
            {R"({"managed_key":"m","keys":[{"id":"m","aliases":[[[[["deep"]]]]],"material":"x"}]})", "is not a JSON object"},
        };
        for (const auto& [text, reason] : cases) {
            INFO(text);
            write_file(path, text);
            auto ring = KeyRing::open_or_create(path, scope);
            REQUIRE_FALSE(ring);
            CHECK(ring.error().message.find(reason) != std::string::npos);
            CHECK(ring.error().message.find(path) != std::string::npos);
        }
    }
}

TEST_CASE("data keys: rotated by reuse period and master key, given back by their journal records to the same key ring",
          "[unit]") {
    TempDirectory directory;
    const std::string journal_dir = directory.path + "/journal";
    auto ring = KeyRing::open_or_create(directory.path + "/keys.json", QueueScope{});
    REQUIRE(ring);
    MasterKey& managed = ring->managed();
    MasterKey& aws = *ring->find("alias/aws/sqs");
    constexpr std::int64_t second_ns = 1'000'000'000;
    const QueueSealing by_managed{&managed, 60 * second_ns};
    std::vector<std::uint64_t> ids;
    std::vector<std::byte> box;
    {
        auto scan = journal::scan_journal(journal_dir, [](const journal::RecordView&) {});
        REQUIRE(scan);
        auto writer = journal::JournalWriter::open({.directory = journal_dir, .segment_bytes = 1u << 20}, scan.value());
        REQUIRE(writer);
        DataKeys keys(&ring.value());
        const std::int64_t start = 1'000 * second_ns;
        auto first = keys.current("orders", by_managed, start, **writer);
        REQUIRE(first);
        auto same = keys.current("orders", by_managed, start + 59 * second_ns, **writer);
        REQUIRE(same);
        CHECK(*same == *first);
        auto rotated = keys.current("orders", by_managed, start + 60 * second_ns, **writer);
        REQUIRE(rotated);
        CHECK(*rotated != *first);
        CHECK(keys.is_current((*rotated)->id));
        CHECK_FALSE(keys.is_current((*first)->id));
        auto other_master = keys.current("orders", {&aws, 60 * second_ns}, start + 61 * second_ns, **writer);
        REQUIRE(other_master);
        CHECK(*other_master != *rotated);
        auto other_queue = keys.current("payments", by_managed, start, **writer);
        REQUIRE(other_queue);
        CHECK(*other_queue != *other_master);
        for (DataKey* key : {*first, *rotated, *other_master, *other_queue}) {
            ids.push_back(key->id);
        }
        REQUIRE((*first)->key.seal({bytes_of("aad")}, bytes_of("sealed under the first key"), box));
        REQUIRE((*writer)->sync());
        CHECK(keys.size() == 4);
        const std::uint64_t first_id = (*first)->id;
        keys.retire_unused([&](const DataKey& key) { return key.id == first_id; }); // records stand under it
        CHECK(keys.size() == 3); // the current keys of both queues, and the one in use
        CHECK(keys.find(first_id) != nullptr);
        CHECK(keys.find(ids[1]) == nullptr);
    }
    std::vector<std::vector<std::byte>> records;
    REQUIRE(journal::scan_journal(journal_dir, [&](const journal::RecordView& record) {
        REQUIRE(record.type == journal::RecordType::data_key);
        records.emplace_back(record.payload.begin(), record.payload.end());
    }));
    REQUIRE(records.size() == 4);

    DataKeys replayed(&ring.value());
    for (const auto& payload : records) {
        CHECK(replayed.replay(payload) == DataKeys::Replayed::known);
    }
    for (std::uint64_t id : ids) {
        REQUIRE(replayed.find(id) != nullptr);
    }
    CHECK(replayed.find(ids[3])->queue == "payments");
    std::vector<std::byte> opened;
    REQUIRE(replayed.find(ids[0])->key.open({bytes_of("aad")}, box, opened));
    CHECK(std::string_view(reinterpret_cast<const char*>(opened.data()), opened.size()) == "sealed under the first key");
    CHECK_FALSE(replayed.is_current(ids[0])); // a new run makes new keys

    std::vector<std::byte> altered = records[0];
    altered[altered.size() - 20] ^= std::byte{1}; // inside the wrapped key
    CHECK(DataKeys(&ring.value()).replay(altered) == DataKeys::Replayed::unwrap_failed);
    std::vector<std::byte> other_queue = records[0];
    other_queue[4] = std::byte{'O'}; // "orders" -> "Orders": the box is bound to its queue
    CHECK(DataKeys(&ring.value()).replay(other_queue) == DataKeys::Replayed::unwrap_failed);
    CHECK(DataKeys(&ring.value()).replay(std::span(records[0]).first(10)) == DataKeys::Replayed::malformed);
    TempDirectory elsewhere;
    auto another_ring = KeyRing::open_or_create(elsewhere.path + "/keys.json", QueueScope{});
    REQUIRE(another_ring);
    CHECK(DataKeys(&another_ring.value()).replay(records[0]) == DataKeys::Replayed::master_missing);
    CHECK(DataKeys(nullptr).replay(records[0]) == DataKeys::Replayed::master_missing);
}
