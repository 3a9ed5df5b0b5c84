// The check of a journal directory before recovery (see journal_directory.h).
#include "journal/journal_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <span>

#include "journal/segment.h"

namespace shmq::journal {
namespace {

namespace fs = std::filesystem;

// Read at a time when looking for anything but zeros in a header-less newest segment.
constexpr std::size_t zero_check_chunk_bytes = 1u << 20;

bool all_zero(std::span<const std::byte> bytes) noexcept {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

std::string what_it_is(fs::file_type type) {
    switch (type) {
    case fs::file_type::symlink:
        return "a symbolic link, not a regular file";
    case fs::file_type::directory:
        return "a directory, not a regular file";
    default:
        return "not a regular file";
    }
}

// What one segment file holds, as far as the check needs to know.
struct SegmentLook {
    enum class Kind { good, unstarted, damaged } kind = Kind::good;
    std::string reason; // when damaged, or what made it unstarted
};

// Reads [from, size) of fd and says whether it is all zeros; nullopt when it cannot be read.
std::optional<bool> zeros_from(int fd, std::uint64_t from, std::uint64_t size) {
    std::vector<std::byte> chunk(zero_check_chunk_bytes);
    while (from < size) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - from));
        const ssize_t got = pread(fd, chunk.data(), want, static_cast<off_t>(from));
        if (got <= 0) {
            return std::nullopt;
        }
        if (!all_zero(std::span(chunk).first(static_cast<std::size_t>(got)))) {
            return false;
        }
        from += static_cast<std::uint64_t>(got);
    }
    return true;
}

SegmentLook look_at_segment(const std::string& path, std::uint64_t named_sequence) {
    using Kind = SegmentLook::Kind;
    // Not through a link, and without blocking on a FIFO swapped in since the listing.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        return {Kind::damaged, std::string("cannot be opened: ") + std::strerror(errno)};
    }
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return {Kind::damaged, "not a regular file"};
    }
    const auto size = static_cast<std::uint64_t>(info.st_size);
    std::vector<std::byte> page(segment_header_bytes);
    const ssize_t got = size == 0 ? 0 : pread(fd, page.data(), page.size(), 0);
    if (got < 0) {
        const int saved = errno;
        ::close(fd);
        return {Kind::damaged, std::string("cannot be read: ") + std::strerror(saved)};
    }
    SegmentLook look;
    if (size < segment_header_bytes) {
        look = {Kind::unstarted, size == 0 ? "empty" : std::to_string(size) + " bytes, shorter than its header"};
    } else if (all_zero(page)) {
        const auto rest = zeros_from(fd, segment_header_bytes, size);
        look = !rest          ? SegmentLook{Kind::damaged, "cannot be read"}
               : rest.value() ? SegmentLook{Kind::unstarted, "all zeros, no header"}
                              : SegmentLook{Kind::damaged, "its header is zeros but it holds data"};
    } else if (auto header = check_segment_header(page); !header) {
        look = {Kind::damaged, header.error().message};
    } else if (header->first_sequence != named_sequence) {
        look = {Kind::damaged, "its header says it starts at sequence " + std::to_string(header->first_sequence) +
                                   ", its name " + std::to_string(named_sequence)};
    } else if (header->capacity_bytes != size) {
        look = {Kind::damaged,
                std::to_string(size) + " bytes, its header states " + std::to_string(header->capacity_bytes)};
    }
    ::close(fd);
    return look;
}

} // namespace

Result<JournalDirectoryCheck> check_journal_directory(const std::string& directory) {
    JournalDirectoryCheck check;
    std::error_code error;
    const fs::file_status status = fs::symlink_status(directory, error);
    if (status.type() == fs::file_type::not_found) {
        return check; // an empty journal
    }
    if (error || status.type() != fs::file_type::directory) {
        return Error{Errc::system_error, "journal directory " + directory + " is " +
                                             (error ? "unreadable: " + error.message() : what_it_is(status.type()))};
    }
    std::vector<std::pair<std::string, std::uint64_t>> segments; // name, first sequence
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        const std::string name = entry.path().filename().string();
        std::error_code type_error;
        const fs::file_type type = entry.symlink_status(type_error).type();
        if (type_error) {
            check.damaged.push_back({entry.path().string(), "cannot be examined: " + type_error.message()});
            continue;
        }
        const auto named_sequence = parse_segment_file_name(name);
        if (!named_sequence && name != spare_segment_name) {
            check.damaged.push_back({entry.path().string(), "not a journal file (its name is no segment's)"});
        } else if (type != fs::file_type::regular) {
            check.damaged.push_back({entry.path().string(), what_it_is(type)});
        } else if (named_sequence) {
            segments.emplace_back(name, named_sequence.value());
        }
    }
    if (error) {
        return Error{Errc::system_error, "reading " + directory + ": " + error.message()};
    }
    std::sort(segments.begin(), segments.end()); // zero-padded names sort as their numbers
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string path = directory + "/" + segments[i].first;
        const SegmentLook look = look_at_segment(path, segments[i].second);
        const bool newest = i + 1 == segments.size();
        if (look.kind == SegmentLook::Kind::unstarted && newest) {
            check.unstarted_newest = path;
        } else if (look.kind == SegmentLook::Kind::unstarted) {
            check.damaged.push_back({path, look.reason + ", yet newer segments follow it"});
        } else if (look.kind == SegmentLook::Kind::damaged) {
            check.damaged.push_back({path, look.reason});
        }
    }
    std::sort(check.damaged.begin(), check.damaged.end(),
              [](const DamagedEntry& a, const DamagedEntry& b) { return a.path < b.path; });
    return check;
}

} // namespace shmq::journal
