// Segment files: the journal is a directory of files named by the sequence of their first
// record (<20 digits>.seg), each preallocated to a fixed capacity and zero-filled, so that the
// end of the data is the first all-zero record header and appends never grow the file (a growing
// file costs a metadata flush per fdatasync: ~2.3× slower here, see performance.md).
//
//   SegmentHeader (4 KiB: magic, format version, first sequence, capacity, checksum) · records
//
// Reading a segment (scan_segment) checks every record: magic, length, checksum, and that the
// sequences follow one another. At the first bad record it looks for the next good one further
// on: found, the bytes in between are a corrupt region (reported and skipped); not found, they
// are a torn tail (the writer truncates them before appending).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "journal/record.h"
#include "shmq/error.h"

namespace shmq::journal {

inline constexpr std::uint64_t segment_magic = 0x3147'4553'514D'4853ull; // "SHMQSEG1"
inline constexpr std::uint32_t segment_format_version = 1;
inline constexpr std::size_t segment_header_bytes = 4096;

struct SegmentHeader {
    std::uint64_t magic;
    std::uint32_t version;
    std::uint32_t header_bytes;
    std::uint64_t first_sequence;
    std::uint64_t capacity_bytes;
    std::int64_t created_ns;
    std::uint64_t checksum; // XXH3-64 of the fields above
};

[[nodiscard]] std::uint64_t segment_header_checksum(const SegmentHeader& header) noexcept;
[[nodiscard]] std::string segment_file_name(std::uint64_t first_sequence);

struct CorruptRegion {
    std::uint64_t offset = 0;
    std::uint64_t bytes = 0;
};

struct SegmentScan {
    std::string path;
    std::uint64_t first_sequence = 0;
    std::uint64_t capacity_bytes = 0;
    std::uint64_t end_offset = 0;      // where valid data ends (the writer continues here)
    std::uint64_t next_sequence = 0;   // the sequence the next record must carry
    std::uint64_t records = 0;         // good records visited
    std::uint64_t torn_tail_bytes = 0; // non-zero bytes after end_offset with no good record
    std::vector<CorruptRegion> corrupt;
};

using RecordVisitor = std::function<void(const RecordView&)>;

// Reads one segment file, calling visit for each good record in order. Errors: the file cannot
// be read, or its header is not a shmq segment of this format.
[[nodiscard]] Result<SegmentScan> scan_segment(const std::string& path, const RecordVisitor& visit);

// Checks one segment held in memory (the fuzz target's entry point; scan_segment maps the file
// and calls this).
[[nodiscard]] Result<SegmentScan> scan_segment_bytes(std::span<const std::byte> bytes, const RecordVisitor& visit);

} // namespace shmq::journal
