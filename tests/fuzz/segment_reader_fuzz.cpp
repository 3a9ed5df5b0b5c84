// Fuzz target for the journal's segment reader: any bytes, as a segment file, must be either
// refused with an error or read without a crash, and every record it yields must have passed its
// checksum and follow the previous one's sequence. Built as a libFuzzer target with clang
// (-DSHMQ_BUILD_FUZZ=ON: `segment-reader-fuzz [corpus]`); otherwise as a ctest replay driver
// that feeds the same entry point a fixed series of damaged segments (label durability).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "journal/segment.h"

namespace {

int read_segment(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    std::uint64_t previous = 0;
    bool first = true;
    auto scan = shmq::journal::scan_segment_bytes(bytes, [&](const shmq::journal::RecordView& record) {
        // The reader never yields a record out of order or outside the input.
        if ((!first && record.sequence <= previous) || record.payload.data() < bytes.data() ||
            record.payload.data() + record.payload.size() > bytes.data() + bytes.size()) {
            __builtin_trap();
        }
        first = false;
        previous = record.sequence;
    });
    if (scan && scan->end_offset > size) {
        __builtin_trap();
    }
    return 0;
}

// A valid segment header page: the fuzzer would rarely guess its checksum, so each input is also
// read as the record area behind one.
std::vector<std::uint8_t> valid_header_page() {
    const std::vector<std::byte> page = shmq::journal::segment_header_page(1, 1 << 20);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(page.data());
    return {bytes, bytes + page.size()};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    read_segment(data, size);
    static const std::vector<std::uint8_t> header_page = valid_header_page();
    std::vector<std::uint8_t> segment = header_page;
    segment.insert(segment.end(), data, data + size);
    return read_segment(segment.data(), segment.size());
}

#ifndef SHMQ_LIBFUZZER
namespace {

// Damaged headers: every field of a good segment's header changed in turn, with the checksum left
// (bit rot) and recomputed (a header someone else wrote, sizes out of bounds), must be refused,
// never read as records nor sized by. Returns how many of those were refused.
int replay_damaged_headers(const std::vector<std::byte>& segment) {
    using namespace shmq::journal;
    struct Edit {
        std::size_t offset;
        std::uint64_t value;
        std::size_t bytes;
    };
    const Edit edits[] = {
        {offsetof(SegmentHeader, magic), 0, 8},
        {offsetof(SegmentHeader, version), segment_format_version + 1, 4},
        {offsetof(SegmentHeader, header_bytes), 0, 4},
        {offsetof(SegmentHeader, first_sequence), 0, 8},
        {offsetof(SegmentHeader, first_sequence), ~std::uint64_t{0}, 8},
        {offsetof(SegmentHeader, capacity_bytes), 0, 8},
        {offsetof(SegmentHeader, capacity_bytes), segment_bytes_min + 1, 8},
        {offsetof(SegmentHeader, capacity_bytes), segment_bytes_min, 8}, // smaller than the segment given
        {offsetof(SegmentHeader, capacity_bytes), ~std::uint64_t{0}, 8},
    };
    int refused = 0;
    for (const Edit& edit : edits) {
        for (const bool rechecksum : {false, true}) {
            std::vector<std::byte> damaged = segment;
            std::memcpy(damaged.data() + edit.offset, &edit.value, edit.bytes);
            if (rechecksum) {
                SegmentHeader header{};
                std::memcpy(&header, damaged.data(), sizeof header);
                header.checksum = segment_header_checksum(header);
                std::memcpy(damaged.data(), &header, sizeof header);
            }
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(damaged.data()), damaged.size());
            refused += scan_segment_bytes(damaged, [](const RecordView&) { __builtin_trap(); }) ? 0 : 1;
        }
    }
    return refused;
}

} // namespace

// Replay driver: a valid segment of 300 records; every header field damaged in turn (each must be
// refused); then 20,000 rounds of random damage (bytes overwritten, truncation, a length field
// made huge), each read from scratch.
int main() {
    using namespace shmq::journal;
    const std::vector<std::uint8_t> page = valid_header_page();
    std::vector<std::byte> segment(page.size());
    std::memcpy(segment.data(), page.data(), page.size());
    std::mt19937_64 random(20261122);
    for (std::uint64_t sequence = 1; sequence <= 300; ++sequence) {
        std::vector<std::byte> payload(random() % 200);
        for (std::byte& b : payload) {
            b = static_cast<std::byte>(random());
        }
        append_record(segment, RecordType::message_sent, sequence, payload);
    }
    // The preallocated zeros after the data: more than the smallest capacity, so that a header
    // stating it is smaller than its segment.
    segment.resize(std::max<std::size_t>(segment.size(), segment_bytes_min) + 8192);
    if (const int refused = replay_damaged_headers(segment); refused != 18) {
        std::fprintf(stderr, "%d of 18 damaged headers refused\n", refused);
        return 1;
    }
    for (int round = 0; round < 20000; ++round) {
        std::vector<std::byte> damaged = segment;
        const int edits = 1 + static_cast<int>(random() % 4);
        for (int edit = 0; edit < edits; ++edit) {
            const std::size_t at = random() % damaged.size();
            switch (random() % 3) {
            case 0:
                damaged[at] = static_cast<std::byte>(random());
                break;
            case 1:
                damaged.resize(at);
                break;
            default: {
                const std::uint32_t huge = static_cast<std::uint32_t>(random());
                if (at + 8 <= damaged.size()) {
                    std::memcpy(damaged.data() + at + 4, &huge, sizeof huge);
                }
                break;
            }
            }
            if (damaged.empty()) {
                break;
            }
        }
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(damaged.data()), damaged.size());
    }
    return 0;
}
#endif
