// Fuzz target for what shmqd reads back of SSE queues (issue 11): data_key records and message
// records, sealed and plain. Any bytes, as any of those payloads, must be refused or read without
// a crash, with every view inside the input; a sealed box opens only when it is the one sealed
// (a changed byte anywhere in a valid record fails its tag or its parse, never opens as
// something else).
// Input: one selector byte, then either a payload (selector bit 0x80 clear) or edits to the
// valid records made at start (bit set: pairs of offset u16 and xor byte), so the fuzzer reaches
// the opening of real boxes without having to guess a key.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "data_keys.h"
#include "journal/journal_writer.h"
#include "key_ring.h"
#include "message_records.h"
#include "sent_record_writer.h"

namespace {

using namespace shmq;
using namespace shmq::daemon;

// A key ring, one data key and one sealed message record of each type, made once.
struct Fixture {
    std::string directory;
    std::unique_ptr<KeyRing> ring;
    std::unique_ptr<DataKeys> keys; // knows the data key (replayed from its record)
    std::unique_ptr<SentRecordWriter> reader;
    std::vector<std::byte> data_key_record;
    std::vector<std::byte> sent_record;
    std::vector<std::byte> remembered_record;

    Fixture() {
        directory = (std::filesystem::temp_directory_path() / ("shmq-sealed-fuzz-" + std::to_string(getpid()))).string();
        std::filesystem::remove_all(directory);
        std::filesystem::create_directories(directory);
        auto made = KeyRing::open_or_create(directory + "/keys.json", QueueScope{});
        if (!made) {
            std::abort();
        }
        ring = std::make_unique<KeyRing>(std::move(made.value()));
        {
            const std::string journal_dir = directory + "/journal";
            auto scan = journal::scan_journal(journal_dir, [](const journal::RecordView&) {});
            auto writer = scan ? journal::JournalWriter::open({.directory = journal_dir, .segment_bytes = 1u << 20}, *scan)
                               : Result<std::unique_ptr<journal::JournalWriter>>(scan.error());
            if (!writer) {
                std::abort();
            }
            DataKeys making(ring.get());
            SentRecordWriter writer_of_records(making);
            MessageId id;
            id.bytes[3] = 9;
            const QueueSealing sealing{&ring->managed()};
            const SentMessage message{"orders.fifo", id, 1'000, 500, "a body", "attributes", 7};
            if (!writer_of_records.append(journal::RecordType::message_sent, message, sealing, 1'000, **writer) ||
                !writer_of_records.append(journal::RecordType::message_remembered, message, sealing, 1'000, **writer) ||
                !(*writer)->sync()) {
                std::abort();
            }
        }
        (void)journal::scan_journal(directory + "/journal", [&](const journal::RecordView& record) {
            std::vector<std::byte> payload(record.payload.begin(), record.payload.end());
            if (record.type == journal::RecordType::data_key) {
                data_key_record = std::move(payload);
            } else if (record.type == journal::RecordType::message_sent) {
                sent_record = std::move(payload);
            } else {
                remembered_record = std::move(payload);
            }
        });
        keys = std::make_unique<DataKeys>(ring.get());
        if (keys->replay(data_key_record) != DataKeys::Replayed::known || sent_record.empty() ||
            remembered_record.empty()) {
            std::abort();
        }
        reader = std::make_unique<SentRecordWriter>(*keys);
        std::filesystem::remove_all(directory);
    }
};

Fixture& fixture() {
    static Fixture instance;
    return instance;
}

void check_inside(std::span<const std::byte> input, std::string_view view) {
    const auto* begin = reinterpret_cast<const std::byte*>(view.data());
    if (!view.empty() && (begin < input.data() || begin + view.size() > input.data() + input.size())) {
        __builtin_trap();
    }
}

// Returns whether a sealed record opened.
bool read_message(std::span<const std::byte> payload, journal::RecordType type, bool sealed) {
    auto message = decode_sent(payload, sealed);
    if (!message) {
        return false;
    }
    check_inside(payload, message->queue);
    check_inside(payload, message->body);
    check_inside(payload, message->encoded_attributes);
    if (!sealed) {
        return false;
    }
    const SentRecordWriter::Opened opened = fixture().reader->open(message.value(), type);
    return opened == SentRecordWriter::Opened::opened;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Fixture& f = fixture();
    if (size == 0) {
        return 0;
    }
    const std::uint8_t selector = data[0];
    const std::span<const std::byte> rest(reinterpret_cast<const std::byte*>(data + 1), size - 1);
    if ((selector & 0x80) == 0) {
        switch (selector % 4) {
        case 0: {
            DataKeys fresh(f.ring.get());
            (void)identify_data_key(rest);
            (void)fresh.replay(rest);
            break;
        }
        case 1:
            (void)read_message(rest, journal::RecordType::message_sent, false);
            break;
        case 2:
            (void)read_message(rest, journal::RecordType::message_sent, true);
            break;
        default:
            (void)read_message(rest, journal::RecordType::message_remembered, true);
            break;
        }
        return 0;
    }
    // Edits of a valid record: any change must make it fail (or, for a data key, not be known).
    std::vector<std::byte> record = selector % 3 == 0 ? f.data_key_record
                                    : selector % 3 == 1 ? f.sent_record
                                                        : f.remembered_record;
    bool changed = false;
    for (std::size_t at = 0; at + 3 <= rest.size(); at += 3) {
        const std::size_t offset = (static_cast<std::size_t>(rest[at]) | static_cast<std::size_t>(rest[at + 1]) << 8);
        const std::byte flip = rest[at + 2];
        if (offset < record.size() && flip != std::byte{0}) {
            record[offset] ^= flip;
            changed = true;
        }
    }
    if (selector % 3 == 0) {
        DataKeys fresh(f.ring.get());
        if (fresh.replay(record) == DataKeys::Replayed::known && changed && record != f.data_key_record) {
            __builtin_trap(); // an altered wrapped key was accepted
        }
        return 0;
    }
    const auto type = selector % 3 == 1 ? journal::RecordType::message_sent : journal::RecordType::message_remembered;
    const bool opened = read_message(record, type, true);
    const auto& original = selector % 3 == 1 ? f.sent_record : f.remembered_record;
    if (opened && record != original) {
        __builtin_trap(); // an altered sealed record opened
    }
    if (!changed && !opened) {
        __builtin_trap(); // the valid record must open
    }
    return 0;
}
