// Segment files: naming, header, and the checking reader (see segment.h).
#include "journal/segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace shmq::journal {
namespace {

bool all_zero(std::span<const std::byte> bytes) noexcept {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

// The first record-aligned offset at or after `from` whose 8 bytes are not all zero: the end of
// a segment is megabytes of preallocated zeros, skipped a page at a time (memcmp is vectorized).
std::size_t next_nonzero(std::span<const std::byte> bytes, std::size_t from) noexcept {
    static const std::array<std::byte, 4096> zero_page{};
    std::size_t offset = from;
    while (offset + zero_page.size() <= bytes.size() &&
           std::memcmp(bytes.data() + offset, zero_page.data(), zero_page.size()) == 0) {
        offset += zero_page.size();
    }
    for (; offset + record_alignment <= bytes.size(); offset += record_alignment) {
        if (std::memcmp(bytes.data() + offset, zero_page.data(), record_alignment) != 0) {
            return offset;
        }
    }
    return bytes.size();
}

// The next offset after `from` (8-byte steps) where a good record with a sequence of at least
// `minimum` starts, or bytes.size() when there is none.
std::size_t resync(std::span<const std::byte> bytes, std::size_t from, std::uint64_t minimum) noexcept {
    for (std::size_t offset = next_nonzero(bytes, from); offset + record_header_bytes <= bytes.size();
         offset = next_nonzero(bytes, offset + record_alignment)) {
        RecordView view{};
        if (parse_record(bytes.subspan(offset), view) != 0 && view.sequence >= minimum) {
            return offset;
        }
    }
    return bytes.size();
}

} // namespace

std::uint64_t segment_header_checksum(const SegmentHeader& header) noexcept {
    return XXH3_64bits(&header, offsetof(SegmentHeader, checksum));
}

std::vector<std::byte> segment_header_page(std::uint64_t first_sequence, std::uint64_t capacity_bytes) {
    SegmentHeader header{};
    header.magic = segment_magic;
    header.version = segment_format_version;
    header.header_bytes = segment_header_bytes;
    header.first_sequence = first_sequence;
    header.capacity_bytes = capacity_bytes;
    header.created_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    header.checksum = segment_header_checksum(header);
    std::vector<std::byte> page(segment_header_bytes);
    std::memcpy(page.data(), &header, sizeof header);
    return page;
}

std::string segment_file_name(std::uint64_t first_sequence) {
    char name[32];
    std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(first_sequence));
    return name;
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) noexcept {
    constexpr std::size_t digits = 20;
    if (name.size() != digits + 4 || !name.ends_with(".seg")) {
        return std::nullopt;
    }
    std::uint64_t first_sequence = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + digits, first_sequence);
    if (error != std::errc{} || end != name.data() + digits) {
        return std::nullopt; // not all digits (from_chars also refuses a sign), or beyond 64 bits
    }
    return first_sequence;
}

Result<SegmentHeader> check_segment_header(std::span<const std::byte> bytes) {
    SegmentHeader header{};
    if (bytes.size() < segment_header_bytes) {
        return Error{Errc::corrupt_region, "segment smaller than its header"};
    }
    std::memcpy(&header, bytes.data(), sizeof header);
    if (header.magic != segment_magic) {
        return Error{Errc::corrupt_region, "not a shmq journal segment"};
    }
    if (header.version != segment_format_version || header.header_bytes != segment_header_bytes) {
        return Error{Errc::layout_version_mismatch,
                     "journal segment format version " + std::to_string(header.version) + "; this shmq reads version " +
                         std::to_string(segment_format_version)};
    }
    if (segment_header_checksum(header) != header.checksum) {
        return Error{Errc::corrupt_region, "journal segment header checksum mismatch"};
    }
    // A good checksum says the header is as written, not that whoever wrote it was us.
    if (header.capacity_bytes < segment_bytes_min || header.capacity_bytes > segment_bytes_max ||
        header.capacity_bytes % segment_header_bytes != 0) {
        return Error{Errc::corrupt_region,
                     "journal segment header states a capacity of " + std::to_string(header.capacity_bytes) + " bytes"};
    }
    if (header.first_sequence == 0 || header.first_sequence > segment_first_sequence_max) {
        return Error{Errc::corrupt_region, "journal segment header states a first sequence of " +
                                               std::to_string(header.first_sequence)};
    }
    return header;
}

Result<SegmentScan> scan_segment_bytes(std::span<const std::byte> bytes, const RecordVisitor& visit) {
    auto checked = check_segment_header(bytes);
    if (!checked) {
        return checked.error();
    }
    const SegmentHeader& header = checked.value();
    if (bytes.size() > header.capacity_bytes) {
        return Error{Errc::corrupt_region, "journal segment larger than the capacity its header states"};
    }
    SegmentScan scan;
    scan.first_sequence = header.first_sequence;
    scan.capacity_bytes = header.capacity_bytes;
    scan.next_sequence = header.first_sequence;
    std::size_t offset = segment_header_bytes;
    while (offset + record_header_bytes <= bytes.size()) {
        RecordView view{};
        const std::size_t size = parse_record(bytes.subspan(offset), view);
        if (size != 0 && view.sequence == scan.next_sequence) {
            if (view.type != RecordType::padding) {
                visit(view);
                ++scan.records;
            }
            scan.next_sequence = view.sequence + 1;
            offset += size;
            continue;
        }
        // No good record here. Preallocated zeros are the end, unless good records follow a
        // zeroed gap (a lost write in the middle); other bytes are damage: a corrupt region if a
        // good record follows, else a torn tail.
        const bool zeros = all_zero(bytes.subspan(offset, record_header_bytes));
        const std::size_t next = resync(bytes, offset + record_alignment, scan.next_sequence);
        if (next == bytes.size()) {
            if (!zeros) {
                const auto tail = bytes.subspan(offset);
                const auto last_nonzero =
                    std::find_if(tail.rbegin(), tail.rend(), [](std::byte b) { return b != std::byte{0}; });
                scan.torn_tail_bytes = static_cast<std::uint64_t>(tail.rend() - last_nonzero);
            }
            break;
        }
        scan.corrupt.push_back({offset, next - offset});
        offset = next;
        RecordView resumed{};
        (void)parse_record(bytes.subspan(offset), resumed);
        scan.next_sequence = resumed.sequence;
    }
    scan.end_offset = offset;
    return scan;
}

Result<SegmentScan> scan_segment(const std::string& path, const RecordVisitor& visit) {
    // Not through a symbolic link, and without blocking on a FIFO planted under a segment's name.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        return Error{Errc::system_error, "open " + path + ": " + std::strerror(errno)};
    }
    struct stat info {};
    if (fstat(fd, &info) != 0) {
        const int saved = errno;
        ::close(fd);
        return Error{Errc::system_error, "fstat " + path + ": " + std::strerror(saved)};
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        return Error{Errc::corrupt_region, "journal segment " + path + " is not a regular file"};
    }
    const auto size = static_cast<std::size_t>(info.st_size);
    void* mapped = size == 0 ? MAP_FAILED : mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) {
        return Error{Errc::corrupt_region, "journal segment " + path + " is empty or unreadable"};
    }
    auto scan = scan_segment_bytes({static_cast<const std::byte*>(mapped), size}, visit);
    munmap(mapped, size);
    if (!scan) {
        return Error{scan.error().code, path + ": " + scan.error().message};
    }
    if (scan->capacity_bytes != size) {
        // Preallocated before its header was written: any other size is damage, and the writer
        // would otherwise append past the end it scanned.
        return Error{Errc::corrupt_region, path + ": " + std::to_string(size) + " bytes, its header states " +
                                               std::to_string(scan->capacity_bytes)};
    }
    scan->path = path;
    return scan;
}

} // namespace shmq::journal
