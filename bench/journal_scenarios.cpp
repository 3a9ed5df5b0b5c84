// shmqd's journal writer against the floor of the disk under it (see scenarios.h, "journal").
// Both sides write the same bytes: `records` records of 64-byte payloads per commit, framed by
// journal::append_record, into files of one journal segment's size in a data directory on the
// real disk ($SHMQ_BENCH_DATA_DIR, else ./shmq-bench-journal-<pid>; never tmpfs, refused).
//   raw_fdatasync: one preallocated, zero-filled file; pwrite of a commit's records at the next
//                  offset (back to 0 when the file is full), then fdatasync. The buffer is framed
//                  once before the clock: the floor pays no framing.
//   writer:        journal::JournalWriter on a fresh directory per invocation: append the records,
//                  submit(), reap(false), with up to `in_flight` commits overlapping; the last
//                  iteration is a sync(), so every timed record is durable when the clock stops.
//                  Segment rolls (zero-filling a new 64 MiB file) happen inside the timed loop,
//                  as they do in shmqd.
// Setup (zero-filling, opening) and removal are not timed. Everything this file creates is
// removed by journal_cleanup(); the data directory too unless it existed before the run.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "bench_environment.h"
#include "journal/journal_writer.h"
#include "journal/record.h"
#include "scenarios.h"

namespace shmq_bench {

namespace {

constexpr std::size_t journal_payload_bytes = 64;
constexpr std::size_t zero_chunk_bytes = 1u << 20;
// The size of the raw floor's file: what one journal segment holds.
const std::uint64_t raw_file_bytes = shmq::journal::JournalOptions{}.segment_bytes;

struct DataDirectory {
    bool resolved = false;
    std::string path;  // "" when it could not be set up (error says why)
    std::string error;
    bool created = false; // we made it, so cleanup removes it whole
    std::string raw_file; // the raw floor's file, once zero-filled
    std::uint64_t writer_runs = 0;
};

DataDirectory& data_directory_state() {
    static DataDirectory state;
    return state;
}

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// The data directory, created on first use; nullptr (with error) when unusable.
const std::string* data_directory(std::string& error) {
    DataDirectory& state = data_directory_state();
    if (!state.resolved) {
        state.resolved = true;
        const char* configured = std::getenv("SHMQ_BENCH_DATA_DIR");
        std::error_code code;
        const std::filesystem::path path =
            configured != nullptr && configured[0] != '\0'
                ? std::filesystem::path(configured)
                : std::filesystem::current_path(code) / ("shmq-bench-journal-" + std::to_string(::getpid()));
        const bool existed = std::filesystem::exists(path, code);
        if (!std::filesystem::create_directories(path, code) && code) {
            state.error = "creating " + path.string() + ": " + code.message();
        } else {
            state.created = !existed;
            state.path = std::filesystem::absolute(path, code).string();
            struct statfs info {};
            if (::statfs(state.path.c_str(), &info) != 0) {
                state.error = errno_text("statfs " + state.path);
            } else if (info.f_type == TMPFS_MAGIC || info.f_type == RAMFS_MAGIC) {
                // fdatasync on memory measures nothing about durability.
                state.error = state.path + " is in memory (tmpfs/ramfs): set SHMQ_BENCH_DATA_DIR to a disk";
            }
        }
        if (!state.error.empty()) {
            state.path.clear();
        }
    }
    error = state.error;
    return state.path.empty() ? nullptr : &state.path;
}

// The 64-byte payload every record carries.
std::array<std::byte, journal_payload_bytes> make_payload() {
    std::array<std::byte, journal_payload_bytes> payload{};
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<std::byte>('a' + i % 26);
    }
    return payload;
}

bool write_all(int fd, const std::byte* bytes, std::size_t size, std::uint64_t offset, std::string& error) {
    while (size > 0) {
        const ssize_t written = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            error = written < 0 ? errno_text("pwrite") : "pwrite wrote nothing";
            return false;
        }
        bytes += written;
        size -= static_cast<std::size_t>(written);
        offset += static_cast<std::uint64_t>(written);
    }
    return true;
}

// The raw floor's file, zero-filled and flushed once per run (so later fdatasyncs have no
// metadata to write, as with a journal segment); reused by every invocation. -1 with error.
int open_raw_file(std::string& error) {
    const std::string* directory = data_directory(error);
    if (directory == nullptr) {
        return -1;
    }
    DataDirectory& state = data_directory_state();
    const std::string path = *directory + "/raw-fdatasync.dat";
    if (!state.raw_file.empty()) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            error = errno_text("open " + path);
        }
        return fd;
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = errno_text("create " + path);
        return -1;
    }
    const std::vector<std::byte> zeros(zero_chunk_bytes);
    for (std::uint64_t offset = 0; offset < raw_file_bytes; offset += zero_chunk_bytes) {
        const auto size = static_cast<std::size_t>(std::min<std::uint64_t>(zero_chunk_bytes, raw_file_bytes - offset));
        if (!write_all(fd, zeros.data(), size, offset, error)) {
            ::close(fd);
            return -1;
        }
    }
    if (::fdatasync(fd) != 0) {
        error = errno_text("fdatasync " + path);
        ::close(fd);
        return -1;
    }
    state.raw_file = path;
    return fd;
}

std::size_t segment_files(const std::string& directory) {
    std::size_t count = 0;
    std::error_code code;
    for (const auto& entry : std::filesystem::directory_iterator(directory, code)) {
        if (entry.path().extension() == ".seg") {
            ++count;
        }
    }
    return count;
}

void set_rates(benchmark::State& state, std::uint32_t records) {
    const auto total_records = static_cast<std::int64_t>(state.iterations()) * records;
    state.SetItemsProcessed(total_records);
    state.SetBytesProcessed(total_records *
                            static_cast<std::int64_t>(shmq::journal::framed_size(journal_payload_bytes)));
}

} // namespace

const std::string* bench_data_directory(std::string& error) {
    return data_directory(error);
}

void journal_raw_fdatasync(benchmark::State& state, std::uint32_t records) {
    std::string error;
    const int fd = open_raw_file(error);
    if (fd < 0) {
        state.SkipWithError(error.c_str());
        return;
    }
    // One commit's bytes, framed exactly as the writer frames them.
    const auto payload = make_payload();
    std::vector<std::byte> commit;
    commit.reserve(records * shmq::journal::framed_size(journal_payload_bytes));
    for (std::uint32_t i = 0; i < records; ++i) {
        shmq::journal::append_record(commit, shmq::journal::RecordType::message_sent, i + 1ull, payload);
    }
    std::vector<std::int64_t> sync_ns;
    sync_ns.reserve(static_cast<std::size_t>(state.max_iterations));
    std::uint64_t offset = 0;
    for (auto _ : state) {
        if (offset + commit.size() > raw_file_bytes) {
            offset = 0;
        }
        if (!write_all(fd, commit.data(), commit.size(), offset, error)) {
            state.SkipWithError(error.c_str());
            break;
        }
        offset += commit.size();
        const std::int64_t before = monotonic_ns();
        if (::fdatasync(fd) != 0) {
            error = errno_text("fdatasync");
            state.SkipWithError(error.c_str());
            break;
        }
        sync_ns.push_back(monotonic_ns() - before);
    }
    ::close(fd);
    set_rates(state, records);
    report_latency_percentiles(state, sync_ns);
}

void journal_writer(benchmark::State& state, std::uint32_t records, std::uint32_t in_flight) {
    namespace journal = shmq::journal;
    std::string error;
    const std::string* data = data_directory(error);
    if (data == nullptr) {
        state.SkipWithError(error.c_str());
        return;
    }
    DataDirectory& data_state = data_directory_state();
    const std::string directory = *data + "/writer-" + std::to_string(++data_state.writer_runs);
    std::error_code code;
    std::filesystem::remove_all(directory, code);
    std::size_t segments = 0;
    {
        auto scan = journal::scan_journal(directory, {});
        if (!scan) {
            state.SkipWithError(("scan_journal: " + scan.error().message).c_str());
            return;
        }
        journal::JournalOptions options;
        options.directory = directory;
        options.commits_in_flight = in_flight;
        auto opened = journal::JournalWriter::open(options, scan.value());
        if (!opened) {
            state.SkipWithError(("JournalWriter::open: " + opened.error().message).c_str());
            std::filesystem::remove_all(directory, code);
            return;
        }
        journal::JournalWriter& writer = *opened.value();
        const auto payload = make_payload();
        const bool measure_commits = in_flight == 1;
        std::vector<std::int64_t> commit_ns;
        if (measure_commits) {
            commit_ns.reserve(static_cast<std::size_t>(state.max_iterations));
        }
        std::int64_t iteration = 0;
        for (auto _ : state) {
            for (std::uint32_t i = 0; i < records; ++i) {
                writer.append(journal::RecordType::message_sent, payload);
            }
            // The last iteration waits for every commit, so the clock stops on durable records.
            if (++iteration == static_cast<std::int64_t>(state.max_iterations)) {
                const std::int64_t before = monotonic_ns();
                if (auto synced = writer.sync(); !synced) {
                    error = "sync: " + synced.error().message;
                    state.SkipWithError(error.c_str());
                    break;
                }
                if (measure_commits) {
                    commit_ns.push_back(monotonic_ns() - before);
                }
                continue;
            }
            const std::int64_t before = monotonic_ns();
            auto submitted = writer.submit();
            if (!submitted) {
                error = "submit: " + submitted.error().message;
                state.SkipWithError(error.c_str());
                break;
            }
            if (measure_commits) {
                // One commit in flight: wait for it here (the next submit would anyway) to time it.
                while (writer.durable_sequence() < submitted.value()) {
                    auto reaped = writer.reap(true);
                    if (!reaped || (writer.commits_in_flight() == 0 && writer.durable_sequence() < submitted.value())) {
                        error = reaped ? "a commit vanished" : "reap: " + reaped.error().message;
                        break;
                    }
                }
                if (!error.empty()) {
                    state.SkipWithError(error.c_str());
                    break;
                }
                commit_ns.push_back(monotonic_ns() - before);
            } else if (auto reaped = writer.reap(false); !reaped) {
                error = "reap: " + reaped.error().message;
                state.SkipWithError(error.c_str());
                break;
            }
        }
        if (error.empty()) {
            if (auto synced = writer.sync(); !synced) { // nothing left when the loop completed
                error = "sync: " + synced.error().message;
                state.SkipWithError(error.c_str());
            }
        }
        if (measure_commits) {
            report_latency_percentiles(state, commit_ns);
        }
        segments = segment_files(directory);
    } // the writer closes its segments here
    std::filesystem::remove_all(directory, code);
    set_rates(state, records);
    // More than one segment file: the run rolled to a new segment inside the timed loop.
    state.counters["segments"] = benchmark::Counter(static_cast<double>(segments));
}

void journal_cleanup() {
    DataDirectory& state = data_directory_state();
    if (state.path.empty()) {
        return;
    }
    std::error_code code;
    if (state.created) {
        std::filesystem::remove_all(state.path, code);
    } else {
        if (!state.raw_file.empty()) {
            std::filesystem::remove(state.raw_file, code);
        }
        for (std::uint64_t run = 1; run <= state.writer_runs; ++run) {
            std::filesystem::remove_all(state.path + "/writer-" + std::to_string(run), code);
        }
    }
    state = DataDirectory{};
}

} // namespace shmq_bench
