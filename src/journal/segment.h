// Segment files: the journal is a directory of files named by the sequence of their first
// record (<20 digits>.seg), each preallocated to a fixed capacity and zero-filled, so that the
// end of the data is the first all-zero record header and appends never grow the file (a growing
// file costs a metadata flush per fdatasync: ~2.3× slower here, see performance.md).
//
//   SegmentHeader (4 KiB: magic, format version, first sequence, capacity, checksum) · records
//
// A header is untrusted input like the records: its capacity and first sequence are bounded
// (check_segment_header) before anything is sized or sequenced by them. Reading a segment
// (scan_segment) checks every record: magic, length, checksum, and that the
// sequences follow one another. At the first bad record it looks for the next good one further
// on: found, the bytes in between are a corrupt region (reported and skipped); not found, they
// are a torn tail (the writer truncates them before appending).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "journal/record.h"
#include "shmq/error.h"

namespace shmq::journal {

inline constexpr std::uint64_t segment_magic = 0x3147'4553'514D'4853ull; // "SHMQSEG1"
inline constexpr std::uint32_t segment_format_version = 1;
inline constexpr std::size_t segment_header_bytes = 4096;
// A segment's capacity, as shmqd's --segment-mib allows it (and as a header may state it): the
// writer zero-fills and appends up to it, so an unbounded one could fill the disk.
inline constexpr std::uint64_t segment_bytes_min = 64u << 10; // records larger than a segment are refused
inline constexpr std::uint64_t segment_bytes_max = 4096ull << 20;
// Sequences start at 1; this bound (a million records a second for 146,000 years) keeps
// `sequence + 1` from wrapping whatever a header says.
inline constexpr std::uint64_t segment_first_sequence_max = 1ull << 62;
static_assert(segment_bytes_min % segment_header_bytes == 0 && segment_bytes_max % segment_header_bytes == 0,
              "capacities are whole pages: the first one is the header");

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
// The first page of a segment: its header (checksummed, created now), then zeros. Its values are
// taken as given (a test may state bounds check_segment_header refuses).
[[nodiscard]] std::vector<std::byte> segment_header_page(std::uint64_t first_sequence, std::uint64_t capacity_bytes);
[[nodiscard]] std::string segment_file_name(std::uint64_t first_sequence);
// The first sequence a segment file name (<20 digits>.seg) stands for; nullopt when the name is
// not one (or its number is out of range).
[[nodiscard]] std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) noexcept;

// Checks the header at the start of bytes: long enough, magic, format version, checksum, then
// the bounds of what it states (capacity a whole number of pages within [segment_bytes_min,
// segment_bytes_max], first sequence within [1, segment_first_sequence_max]). The reason of a
// refusal says which; a different format version is layout_version_mismatch.
[[nodiscard]] Result<SegmentHeader> check_segment_header(std::span<const std::byte> bytes);

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
// be read, is not a regular file (a symbolic link is not followed), its header is not a shmq
// segment of this format, or its size is not the capacity its header states.
[[nodiscard]] Result<SegmentScan> scan_segment(const std::string& path, const RecordVisitor& visit);

// Checks one segment held in memory (the fuzz target's entry point; scan_segment maps the file
// and calls this): the header, bytes no more than its capacity, then every record.
[[nodiscard]] Result<SegmentScan> scan_segment_bytes(std::span<const std::byte> bytes, const RecordVisitor& visit);

} // namespace shmq::journal
