// Framing and checking of journal records (see record.h).
#include "journal/record.h"

#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace shmq::journal {

std::uint64_t record_checksum(const RecordHeader& header, std::span<const std::byte> payload) noexcept {
    RecordHeader zeroed = header;
    zeroed.checksum = 0;
    XXH3_state_t state;
    XXH3_64bits_reset(&state);
    XXH3_64bits_update(&state, &zeroed, sizeof zeroed);
    XXH3_64bits_update(&state, payload.data(), payload.size());
    return XXH3_64bits_digest(&state);
}

void append_record(std::vector<std::byte>& out, RecordType type, std::uint64_t sequence,
                   std::span<const std::byte> payload, std::uint16_t flags) {
    RecordHeader header{};
    header.magic = record_magic;
    header.length = static_cast<std::uint32_t>(payload.size());
    header.sequence = sequence;
    header.type = static_cast<std::uint16_t>(type);
    header.flags = flags;
    header.checksum = record_checksum(header, payload);
    const std::size_t start = out.size();
    out.resize(start + framed_size(payload.size())); // zero-filled: the padding
    std::memcpy(out.data() + start, &header, sizeof header);
    if (!payload.empty()) {
        std::memcpy(out.data() + start + sizeof header, payload.data(), payload.size());
    }
}

std::size_t parse_record(std::span<const std::byte> bytes, RecordView& out) noexcept {
    if (bytes.size() < record_header_bytes) {
        return 0;
    }
    RecordHeader header;
    std::memcpy(&header, bytes.data(), sizeof header);
    if (header.magic != record_magic || header.length > record_payload_max) {
        return 0;
    }
    const std::size_t size = framed_size(header.length);
    if (size > bytes.size()) {
        return 0;
    }
    const std::span<const std::byte> payload = bytes.subspan(record_header_bytes, header.length);
    if (record_checksum(header, payload) != header.checksum) {
        return 0;
    }
    out.type = static_cast<RecordType>(header.type);
    out.flags = header.flags;
    out.sequence = header.sequence;
    out.payload = payload;
    return size;
}

} // namespace shmq::journal
