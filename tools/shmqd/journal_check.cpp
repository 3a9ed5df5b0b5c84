// shmqd's journal check before recovery and its --quarantine command (see journal_check.h).
#include "journal_check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "journal/journal_directory.h"
#include "journal/record.h"
#include "journal/segment.h"

namespace shmq::daemon {
namespace {

namespace fs = std::filesystem;

// NAME.TIMESTAMP taken (two quarantines in one second): NAME.TIMESTAMP.1 and so on, this far.
constexpr int quarantine_suffix_attempts_max = 1000;

std::string journal_directory(const std::string& data_dir) {
    return data_dir + "/journal";
}

std::string quarantine_directory(const std::string& data_dir) {
    return data_dir + "/quarantine";
}

// A word the shell reads back as text: as is when it is plain, else single-quoted; with a
// control character (a newline in a stray name would break the one-line refusal), as $'...' with
// escapes, which bash, zsh and ksh read.
std::string shell_word(const std::string& text) {
    const auto plain = [](unsigned char c) { return std::isalnum(c) != 0 || std::strchr("@%+=:,./_-", c) != nullptr; };
    const auto control = [](unsigned char c) { return c < 0x20 || c == 0x7F; };
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [&](char c) { return plain(static_cast<unsigned char>(c)); })) {
        return text;
    }
    if (std::none_of(text.begin(), text.end(), [&](char c) { return control(static_cast<unsigned char>(c)); })) {
        std::string quoted = "'";
        for (const char c : text) {
            quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        return quoted + "'";
    }
    std::string quoted = "$'";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (control(byte) || c == '\'' || c == '\\') {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            quoted += escaped;
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

std::string absolute(const std::string& path) {
    std::error_code error;
    const fs::path made = fs::absolute(path, error);
    return error ? path : made.lexically_normal().string();
}

Status sync_directory(const std::string& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return {Errc::system_error, "open " + directory + ": " + std::strerror(errno)};
    }
    const int rc = fsync(fd);
    const int saved = errno;
    ::close(fd);
    return rc == 0 ? Status{} : Status{Errc::system_error, "fsync " + directory + ": " + std::strerror(saved)};
}

// DATA_DIR/quarantine, created 0700 if missing; refused if it is anything but a directory.
Status make_quarantine_directory(const std::string& directory) {
    if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        return {Errc::system_error, "mkdir " + directory + ": " + std::strerror(errno)};
    }
    struct stat info {};
    if (lstat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        return {Errc::system_error, directory + " is not a directory"};
    }
    return {};
}

std::string utc_timestamp() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return text;
}

// Moves from to directory/name.TIMESTAMP[.N] without ever replacing a file there; the new path.
Result<std::string> move_aside(const std::string& from, const std::string& directory, const std::string& name) {
    const std::string base = directory + "/" + name + "." + utc_timestamp();
    for (int attempt = 0; attempt < quarantine_suffix_attempts_max; ++attempt) {
        const std::string to = attempt == 0 ? base : base + "." + std::to_string(attempt);
        if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
            return to;
        }
        if (errno != EEXIST) {
            return Error{Errc::system_error, "rename " + from + " to " + to + ": " + std::strerror(errno)};
        }
    }
    return Error{Errc::system_error, "no free name for " + name + " in " + directory};
}

} // namespace

// What a quarantined file held, as far as its records can still be read (its header is not
// trusted: every offset after the header page is tried for a record): what a recovery after a
// reboot no longer sees. Empty for what is not a regular file.
std::string describe_records(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return {};
    }
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(fd);
        return {};
    }
    void* mapped = MAP_FAILED;
    if (static_cast<std::uint64_t>(status.st_size) > journal::segment_header_bytes) {
        mapped = ::mmap(nullptr, static_cast<std::size_t>(status.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    }
    ::close(fd);
    if (mapped == MAP_FAILED) {
        return "it held no readable records";
    }
    const std::span<const std::byte> bytes(static_cast<const std::byte*>(mapped), static_cast<std::size_t>(status.st_size));
    std::uint64_t definitions = 0;
    std::uint64_t sent = 0;
    std::uint64_t deleted = 0;
    std::uint64_t other = 0;
    for (std::size_t offset = journal::segment_header_bytes; offset + journal::record_header_bytes <= bytes.size();) {
        journal::RecordView record;
        const std::size_t size = journal::parse_record(bytes.subspan(offset), record);
        if (size == 0) {
            offset += journal::record_alignment;
            continue;
        }
        switch (record.type) {
        case journal::RecordType::queue_created:
        case journal::RecordType::queue_config:
        case journal::RecordType::queue_deleted:
            ++definitions;
            break;
        case journal::RecordType::message_sent:
            ++sent;
            break;
        case journal::RecordType::message_deleted:
            ++deleted;
            break;
        default:
            ++other;
        }
        offset += size;
    }
    ::munmap(mapped, bytes.size());
    return "it held " + std::to_string(definitions + sent + deleted + other) + " readable records (" +
           std::to_string(definitions) + " queue definitions, " + std::to_string(sent) + " messages sent, " +
           std::to_string(deleted) + " deleted, " + std::to_string(other) +
           " others), which a recovery after a reboot no longer sees";
}

int admit_journal(const std::string& data_dir) {
    auto check = journal::check_journal_directory(journal_directory(data_dir));
    if (!check) {
        std::fprintf(stderr, "shmqd: %s\n", check.error().message.c_str());
        return exit_failure;
    }
    if (!check->damaged.empty()) {
        const journal::DamagedEntry& first = check->damaged.front();
        const std::size_t more = check->damaged.size() - 1;
        const std::string file = absolute(first.path);
        std::fprintf(stderr,
                     "shmqd: damaged journal file %s: %s%s; refusing to start; move it aside with: shmqd --data-dir %s "
                     "--quarantine %s\n",
                     shell_word(file).c_str(), first.reason.c_str(),
                     more == 0 ? "" : (" (and " + std::to_string(more) + " more damaged)").c_str(),
                     shell_word(absolute(data_dir)).c_str(), shell_word(file).c_str());
        return exit_journal_damaged;
    }
    if (check->unstarted_newest) {
        // Records follow the header, so nothing was ever in it; the previous segment is where
        // the writer continues.
        const std::string& path = check->unstarted_newest.value();
        if (unlink(path.c_str()) != 0) {
            std::fprintf(stderr, "shmqd: unlink %s: %s\n", path.c_str(), std::strerror(errno));
            return exit_failure;
        }
        if (Status synced = sync_directory(journal_directory(data_dir)); !synced) {
            std::fprintf(stderr, "shmqd: %s\n", synced.message().c_str());
            return exit_failure;
        }
        std::fprintf(stderr,
                     "shmqd: removed journal segment %s: it has no header (a crash while it was being created) "
                     "and so no records; nothing is lost\n",
                     path.c_str());
    }
    return 0;
}

int quarantine_journal_file(const std::string& data_dir, const std::string& file) {
    const std::string journal = journal_directory(data_dir);
    fs::path given = fs::path(file).lexically_normal();
    if (!given.has_filename()) {
        given = given.parent_path(); // "DIR/journal/x.seg/" names the directory x.seg
    }
    const std::string name = given.filename().string();
    std::error_code error;
    if (name.empty() || name == "." || name == ".." ||
        (given.has_parent_path() && !fs::equivalent(given.parent_path(), journal, error))) {
        std::fprintf(stderr, "shmqd: --quarantine takes a file of %s (a path or a bare name): %s\n", journal.c_str(),
                     file.c_str());
        return exit_failure;
    }
    auto check = journal::check_journal_directory(journal);
    if (!check) {
        std::fprintf(stderr, "shmqd: %s\n", check.error().message.c_str());
        return exit_failure;
    }
    const std::string path = journal + "/" + name;
    const auto damaged =
        std::find_if(check->damaged.begin(), check->damaged.end(),
                     [&](const journal::DamagedEntry& entry) { return fs::path(entry.path).filename() == name; });
    if (damaged == check->damaged.end()) {
        std::fprintf(stderr, "shmqd: %s is not a damaged journal file; nothing moved\n", path.c_str());
        return exit_failure;
    }
    const std::string quarantine = quarantine_directory(data_dir);
    if (Status made = make_quarantine_directory(quarantine); !made) {
        std::fprintf(stderr, "shmqd: %s\n", made.message().c_str());
        return exit_failure;
    }
    auto moved = move_aside(path, quarantine, name);
    if (!moved) {
        std::fprintf(stderr, "shmqd: %s\n", moved.error().message.c_str());
        return exit_failure;
    }
    // Both names flushed: a power cut must not bring the file back into the journal.
    for (const std::string& directory : {journal, quarantine}) {
        if (Status synced = sync_directory(directory); !synced) {
            std::fprintf(stderr, "shmqd: %s\n", synced.message().c_str());
            return exit_failure;
        }
    }
    const std::string held = describe_records(moved.value());
    std::fprintf(stdout, "shmqd: moved %s (%s) to %s%s\n", shell_word(path).c_str(), damaged->reason.c_str(),
                 shell_word(moved.value()).c_str(), held.empty() ? "" : ("; " + held).c_str());
    return 0;
}

} // namespace shmq::daemon
