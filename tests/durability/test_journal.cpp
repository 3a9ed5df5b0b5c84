// Goal: the journal's file format and appender keep every committed record and never invent
// one: records round-trip across segment rolls and reopenings; a torn tail is cut at the first
// bad record (and erased, so it cannot come back); a corrupt record in the middle is reported and
// skipped; random damage never crashes the reader or yields a record that was not written; a
// header is bounded before use; the directory check tells a crash's unstarted newest segment from
// damage (stray names, links, bad headers).
// Method: real files in a temporary directory, io_uring commits with fdatasync, damage applied
// with pwrite between a close and a reopen.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "journal/journal_directory.h"
#include "journal/journal_writer.h"
#include "support/child_process.h"

using namespace shmq;
using namespace shmq::journal;
using shmq::testing::ChildProcess;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        static int counter = 0;
        path = (std::filesystem::temp_directory_path() /
                ("shmq-journal-" + std::to_string(getpid()) + "-" + std::to_string(counter++)))
                   .string();
        std::filesystem::remove_all(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::vector<std::byte> payload_of(const std::string& text) {
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return bytes;
}

std::string text_of(std::span<const std::byte> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string body(std::uint64_t i) {
    return "record-" + std::to_string(i) + std::string(i % 97, 'x');
}

// Every record in the directory, by sequence.
std::map<std::uint64_t, std::string> read_all(const std::string& directory, JournalScan* out = nullptr) {
    std::map<std::uint64_t, std::string> records;
    auto scan = scan_journal(directory, [&](const RecordView& record) {
        CHECK(records.emplace(record.sequence, text_of(record.payload)).second);
    });
    REQUIRE(scan);
    if (out != nullptr) {
        *out = scan.value();
    }
    return records;
}

std::unique_ptr<JournalWriter> open_writer(const std::string& directory, std::uint64_t segment_bytes = 64 << 10) {
    auto scan = scan_journal(directory, [](const RecordView&) {});
    REQUIRE(scan);
    auto writer = JournalWriter::open({.directory = directory, .segment_bytes = segment_bytes}, scan.value());
    REQUIRE(writer);
    return std::move(writer.value());
}

// A mount namespace of our own: directly as root, else inside a user namespace that maps our ids.
bool private_mount_namespace() {
    if (unshare(CLONE_NEWNS) == 0) {
        return true;
    }
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        return false;
    }
    const auto write_file = [](const char* path, const std::string& text) {
        const int fd = ::open(path, O_WRONLY);
        const bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (fd >= 0) {
            ::close(fd);
        }
        return ok;
    };
    return write_file("/proc/self/setgroups", "deny") &&
           write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") &&
           write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
}

void damage(const std::string& path, std::uint64_t offset, std::size_t bytes, std::byte value) {
    const int fd = ::open(path.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    const std::vector<std::byte> garbage(bytes, value);
    REQUIRE(pwrite(fd, garbage.data(), garbage.size(), static_cast<off_t>(offset)) == static_cast<ssize_t>(bytes));
    ::close(fd);
}

} // namespace

TEST_CASE("journal: records round-trip across commits, segment rolls and reopening", "[durability]") {
    TempDir dir;
    {
        auto writer = open_writer(dir.path);
        for (std::uint64_t i = 1; i <= 3000; ++i) {
            CHECK(writer->append(RecordType::message_sent, payload_of(body(i))) == i);
            if (i % 37 == 0) {
                REQUIRE(writer->submit());
                REQUIRE(writer->reap(false));
            }
        }
        auto durable = writer->sync();
        REQUIRE(durable);
        CHECK(durable.value() == 3000);
    }
    JournalScan scan;
    auto records = read_all(dir.path, &scan);
    REQUIRE(records.size() == 3000);
    CHECK(scan.segments.size() > 3); // 64 KiB segments: the 3,000 records rolled several times
    CHECK(scan.corrupt_regions == 0);
    CHECK(scan.torn_tail_bytes == 0);
    for (std::uint64_t i = 1; i <= 3000; ++i) {
        CHECK(records[i] == body(i));
    }
    // Reopened, the writer continues the sequence.
    {
        auto writer = open_writer(dir.path);
        CHECK(writer->append(RecordType::message_deleted, payload_of("after")) == 3001);
        REQUIRE(writer->sync());
    }
    records = read_all(dir.path);
    CHECK(records.size() == 3001);
    CHECK(records[3001] == "after");
}

TEST_CASE("journal: a torn tail is cut at the first bad record and erased before appending", "[durability]") {
    TempDir dir;
    {
        auto writer = open_writer(dir.path, 1 << 20);
        for (std::uint64_t i = 1; i <= 10; ++i) {
            writer->append(RecordType::message_sent, payload_of(body(i)));
        }
        REQUIRE(writer->sync());
    }
    JournalScan scan;
    (void)read_all(dir.path, &scan);
    REQUIRE(scan.segments.size() == 1);
    const SegmentScan& segment = scan.segments.front();
    // Tear the last record: half of its bytes never reached the disk.
    std::uint64_t last_offset = segment_header_bytes;
    for (std::uint64_t i = 1; i < 10; ++i) {
        last_offset += framed_size(body(i).size());
    }
    damage(segment.path, last_offset + 20, 40, std::byte{0});
    JournalScan torn;
    auto records = read_all(dir.path, &torn);
    CHECK(records.size() == 9);
    CHECK(torn.segments.front().end_offset == last_offset);
    CHECK(torn.segments.front().torn_tail_bytes > 0);
    CHECK(torn.next_sequence == 10);
    {
        auto writer = open_writer(dir.path, 1 << 20);
        CHECK(writer->append(RecordType::message_sent, payload_of("new-10")) == 10);
        REQUIRE(writer->sync());
    }
    JournalScan after;
    records = read_all(dir.path, &after);
    REQUIRE(records.size() == 10);
    CHECK(records[10] == "new-10");
    CHECK(after.torn_tail_bytes == 0); // the torn bytes are gone, not merely skipped
}

TEST_CASE("journal: a corrupt record in the middle is reported and skipped", "[durability]") {
    TempDir dir;
    {
        auto writer = open_writer(dir.path, 1 << 20);
        for (std::uint64_t i = 1; i <= 10; ++i) {
            writer->append(RecordType::message_sent, payload_of(body(i)));
        }
        REQUIRE(writer->sync());
    }
    JournalScan scan;
    (void)read_all(dir.path, &scan);
    std::uint64_t fifth = segment_header_bytes;
    for (std::uint64_t i = 1; i < 5; ++i) {
        fifth += framed_size(body(i).size());
    }
    damage(scan.segments.front().path, fifth + record_header_bytes + 2, 3, std::byte{0x5A}); // payload bit rot
    JournalScan corrupt;
    auto records = read_all(dir.path, &corrupt);
    CHECK(records.size() == 9);
    CHECK_FALSE(records.contains(5));
    CHECK(records.contains(6));
    CHECK(records.contains(10));
    REQUIRE(corrupt.segments.front().corrupt.size() == 1);
    CHECK(corrupt.segments.front().corrupt.front().offset == fifth);
    CHECK(corrupt.segments.front().corrupt.front().bytes == framed_size(body(5).size()));
    CHECK(corrupt.next_sequence == 11);
}

TEST_CASE("journal: random damage never crashes the reader nor yields an unwritten record", "[durability]") {
    TempDir dir;
    std::map<std::uint64_t, std::string> written;
    {
        auto writer = open_writer(dir.path, 1 << 20);
        for (std::uint64_t i = 1; i <= 200; ++i) {
            written[i] = body(i);
            writer->append(RecordType::message_sent, payload_of(written[i]));
        }
        REQUIRE(writer->sync());
    }
    JournalScan scan;
    (void)read_all(dir.path, &scan);
    const std::string path = scan.segments.front().path;
    const std::uint64_t end = scan.segments.front().end_offset;
    std::mt19937_64 random(42);
    for (int round = 0; round < 200; ++round) {
        // Damage: random bytes at a random place (header or records), then read everything.
        const std::uint64_t offset = segment_header_bytes + random() % (end - segment_header_bytes);
        const std::size_t bytes = 1 + random() % 64;
        damage(path, offset, bytes, static_cast<std::byte>(random() % 256));
        std::map<std::uint64_t, std::string> records;
        auto damaged = scan_journal(dir.path, [&](const RecordView& record) {
            records.emplace(record.sequence, text_of(record.payload));
        });
        REQUIRE(damaged);
        for (const auto& [sequence, text] : records) {
            REQUIRE(written.contains(sequence));
            CHECK(written[sequence] == text);
        }
    }
}

TEST_CASE("journal: a segment of another format or a foreign file is refused clearly", "[durability]") {
    TempDir dir;
    {
        auto writer = open_writer(dir.path);
        writer->append(RecordType::queue_created, payload_of("q"));
        REQUIRE(writer->sync());
    }
    JournalScan scan;
    (void)read_all(dir.path, &scan);
    damage(scan.segments.front().path, 8, 1, std::byte{9}); // the format version
    auto refused = scan_journal(dir.path, [](const RecordView&) {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::layout_version_mismatch);
    damage(scan.segments.front().path, 0, 8, std::byte{0x41}); // not a segment at all
    refused = scan_journal(dir.path, [](const RecordView&) {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("not a shmq journal segment") != std::string::npos);
}

TEST_CASE("journal: a full disk refuses new segments with a clear error, what was durable stays readable",
          "[durability]") {
    // A 256 KiB tmpfs in a private mount namespace stands for a full disk: segments are
    // preallocated, so the failure comes when a new one cannot be created.
    TempDir dir;
    std::filesystem::create_directories(dir.path);
    ChildProcess child = ChildProcess::fork_run([&]() -> int {
        if (!private_mount_namespace() || mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=256k") != 0) {
            std::printf("cannot mount a small tmpfs: %s\n", std::strerror(errno));
            return 77;
        }
        auto scan = scan_journal(dir.path + "/journal", [](const RecordView&) {});
        auto writer = JournalWriter::open({.directory = dir.path + "/journal", .segment_bytes = 64 << 10}, *scan);
        if (!writer) {
            std::printf("open: %s\n", writer.error().message.c_str());
            return 10;
        }
        std::uint64_t acknowledged = 0;
        for (std::uint64_t i = 1; i <= 100000; ++i) {
            (*writer)->append(RecordType::message_sent, payload_of(body(i)));
            auto durable = (*writer)->sync();
            if (!durable) {
                std::printf("error %s\n", durable.error().message.c_str());
                break;
            }
            acknowledged = durable.value();
        }
        std::uint64_t readable = 0;
        bool in_order = true;
        auto reread = scan_journal(dir.path + "/journal", [&](const RecordView& record) {
            in_order = in_order && record.sequence == readable + 1 && text_of(record.payload) == body(record.sequence);
            ++readable;
        });
        std::printf("acknowledged %llu readable %llu\n", static_cast<unsigned long long>(acknowledged),
                    static_cast<unsigned long long>(readable));
        return reread && in_order && readable >= acknowledged && acknowledged > 0 ? 0 : 11;
    });
    const std::string output = child.read_all();
    const int status = child.wait();
    REQUIRE(WIFEXITED(status));
    INFO(output);
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(output.find("No space left on device") != std::string::npos);
}

TEST_CASE("journal: a header whose checksum is good but whose sizes are out of bounds is refused", "[durability]") {
    // Written by someone else than the writer: a capacity the writer would zero-fill up to, or a
    // first sequence that would wrap, must be refused before anything is sized by them.
    const auto page_with = [](std::uint64_t capacity_bytes, std::uint64_t first_sequence) {
        return segment_header_page(first_sequence, capacity_bytes);
    };
    CHECK(check_segment_header(page_with(segment_bytes_min, 1)));
    CHECK(check_segment_header(page_with(segment_bytes_max, segment_first_sequence_max)));
    for (const std::uint64_t capacity : {std::uint64_t{0}, segment_bytes_min - segment_header_bytes,
                                         segment_bytes_min + 1, segment_bytes_max + segment_header_bytes,
                                         std::uint64_t{1} << 62, ~std::uint64_t{0}}) {
        auto refused = check_segment_header(page_with(capacity, 1));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("capacity") != std::string::npos);
    }
    for (const std::uint64_t first : {std::uint64_t{0}, segment_first_sequence_max + 1, ~std::uint64_t{0}}) {
        auto refused = check_segment_header(page_with(segment_bytes_min, first));
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("first sequence") != std::string::npos);
    }
    // Bytes beyond the stated capacity are refused too (the writer would never read them).
    std::vector<std::byte> longer = page_with(segment_bytes_min, 1);
    longer.resize(segment_bytes_min + record_alignment);
    CHECK_FALSE(scan_segment_bytes(longer, [](const RecordView&) {}));
}

TEST_CASE("journal: the directory check tells an unstarted newest segment from damage", "[durability]") {
    TempDir dir;
    {
        auto writer = open_writer(dir.path);
        for (std::uint64_t i = 1; i <= 2000; ++i) {
            writer->append(RecordType::message_sent, payload_of(body(i)));
        }
        REQUIRE(writer->sync());
    }
    JournalScan scan;
    (void)read_all(dir.path, &scan);
    REQUIRE(scan.segments.size() >= 3);
    auto healthy = check_journal_directory(dir.path);
    REQUIRE(healthy);
    CHECK(healthy->damaged.empty()); // the spare.tmp the writer left is expected
    CHECK_FALSE(healthy->unstarted_newest);
    CHECK(std::filesystem::exists(dir.path + "/" + std::string(spare_segment_name)));
    const std::string next = dir.path + "/" + segment_file_name(scan.next_sequence);
    const auto write_file = [](const std::string& path, std::size_t bytes, std::byte value) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        REQUIRE(fd >= 0);
        const std::vector<std::byte> content(bytes, value);
        REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(bytes));
        ::close(fd);
    };
    SECTION("an empty, short or zero newest segment is unstarted; not newest, it is damage") {
        for (const std::size_t bytes : {std::size_t{0}, std::size_t{100}, std::size_t{64 << 10}}) {
            write_file(next, bytes, std::byte{0});
            auto checked = check_journal_directory(dir.path);
            REQUIRE(checked);
            CHECK(checked->damaged.empty());
            CHECK(checked->unstarted_newest == next);
        }
        write_file(dir.path + "/" + segment_file_name(scan.next_sequence + 1000), 0, std::byte{0});
        auto checked = check_journal_directory(dir.path);
        REQUIRE(checked);
        REQUIRE(checked->damaged.size() == 1);
        CHECK(checked->damaged.front().path == next);
        CHECK(checked->damaged.front().reason.find("newer segments follow") != std::string::npos);
    }
    SECTION("a zeroed header over data, a name its header contradicts, a wrong size are damage") {
        damage(scan.segments.back().path, 0, segment_header_bytes, std::byte{0});
        std::filesystem::copy_file(scan.segments.front().path, next); // a copy under another name
        std::filesystem::resize_file(scan.segments[1].path, (64 << 10) - segment_header_bytes);
        auto checked = check_journal_directory(dir.path);
        REQUIRE(checked);
        CHECK_FALSE(checked->unstarted_newest);
        REQUIRE(checked->damaged.size() == 3);
        CHECK(checked->damaged[0].path == scan.segments[1].path);
        CHECK(checked->damaged[0].reason.find("its header states") != std::string::npos);
        CHECK(checked->damaged[1].path == scan.segments.back().path);
        CHECK(checked->damaged[1].reason.find("header is zeros but it holds data") != std::string::npos);
        CHECK(checked->damaged[2].path == next);
        CHECK(checked->damaged[2].reason.find("its name") != std::string::npos);
    }
    SECTION("stray names, links, directories and FIFOs are damage, and the reader does not follow them") {
        write_file(dir.path + "/notes.txt", 3, std::byte{'x'});
        std::filesystem::create_symlink(scan.segments.front().path, next);
        std::filesystem::create_directory(dir.path + "/" + segment_file_name(scan.next_sequence + 1));
        REQUIRE(mkfifo((dir.path + "/" + segment_file_name(scan.next_sequence + 2)).c_str(), 0600) == 0);
        const std::string spare = dir.path + "/" + std::string(spare_segment_name);
        std::filesystem::remove(spare);
        std::filesystem::create_symlink(scan.segments.front().path, spare); // the writer would truncate its target
        auto checked = check_journal_directory(dir.path);
        REQUIRE(checked);
        CHECK_FALSE(checked->unstarted_newest);
        REQUIRE(checked->damaged.size() == 5);
        CHECK(checked->damaged[0].reason == "a symbolic link, not a regular file");
        CHECK(checked->damaged[1].reason == "a directory, not a regular file");
        CHECK(checked->damaged[2].reason == "not a regular file");
        CHECK(checked->damaged[3].path == dir.path + "/notes.txt");
        CHECK(checked->damaged[4].path == spare);
        CHECK(checked->damaged[4].reason == "a symbolic link, not a regular file");
        auto refused = scan_journal(dir.path, [](const RecordView&) {});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("open " + next) != std::string::npos); // O_NOFOLLOW: ELOOP
    }
}
