// Journal records: what shmqd appends to segment files so that queues can be rebuilt after the
// host loses its shared memory (issue 4). A record is a fixed 32-byte header and a payload,
// padded to 8 bytes:
//
//   magic u32 · length u32 (payload bytes) · sequence u64 · type u16 · flags u16 · reserved u32
//   · checksum u64 (XXH3-64 of the header with checksum 0, then the payload)
//
// The magic lets a reader find the next record after a corrupt one; the sequence increases by
// one per record across segments, so a reader also notices a record that is valid but out of
// place (left over from an older, longer segment file). Payload layouts belong to the writers
// of each type (journal/records of queues and messages); this layer only frames them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace shmq::journal {

inline constexpr std::uint32_t record_magic = 0x5251'4D53u; // "SMQR" little-endian
inline constexpr std::size_t record_header_bytes = 32;
inline constexpr std::size_t record_alignment = 8;
inline constexpr std::uint32_t record_payload_max = 16u << 20; // a 1 MiB body and its attributes fit

enum class RecordType : std::uint16_t {
    queue_created = 1,
    queue_deleted = 2,
    queue_config = 3,
    message_sent = 4,
    message_deleted = 5,
    // A deleted FIFO message whose deduplication window is still open, carried forward by
    // compaction: its identity and ids (a message_sent payload without the body).
    message_remembered = 6,
    // A data key of a queue's sealed records, wrapped by a master key (tools/shmqd/data_keys.h).
    data_key = 7,
    padding = 0xFFFF, // fills the end of a segment; carries nothing
};

struct RecordHeader {
    std::uint32_t magic;
    std::uint32_t length;
    std::uint64_t sequence;
    std::uint16_t type;
    std::uint16_t flags;
    std::uint32_t reserved;
    std::uint64_t checksum;
};
static_assert(sizeof(RecordHeader) == record_header_bytes, "the record header is part of the file format");

// Header flags.
// The payload is (in part) sealed with AES-256-GCM: reading it needs its data key.
inline constexpr std::uint16_t record_flag_sealed = 0x1;

[[nodiscard]] constexpr std::size_t padded(std::size_t bytes) noexcept {
    return (bytes + record_alignment - 1) / record_alignment * record_alignment;
}
[[nodiscard]] constexpr std::size_t framed_size(std::size_t payload_bytes) noexcept {
    return record_header_bytes + padded(payload_bytes);
}

[[nodiscard]] std::uint64_t record_checksum(const RecordHeader& header, std::span<const std::byte> payload) noexcept;

// Appends one framed record (header, payload, zero padding) to out.
void append_record(std::vector<std::byte>& out, RecordType type, std::uint64_t sequence,
                   std::span<const std::byte> payload, std::uint16_t flags = 0);

// A record as read back: the payload views the reader's buffer.
struct RecordView {
    RecordType type;
    std::uint16_t flags;
    std::uint64_t sequence;
    std::span<const std::byte> payload;
};

// Checks the record at the start of bytes: magic, length within bytes and the maximum, checksum.
// Returns the framed size, or 0 when no valid record starts there.
[[nodiscard]] std::size_t parse_record(std::span<const std::byte> bytes, RecordView& out) noexcept;

} // namespace shmq::journal
