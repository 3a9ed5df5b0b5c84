// The journal's io_uring appender and the directory scan (see journal_writer.h).
#include "journal/journal_writer.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>

#include "engine/crash_point.h"
#include "journal/journal_directory.h"

namespace shmq::journal {
namespace {

constexpr std::size_t zero_chunk_bytes = 1u << 20;

Error system_error(const std::string& what, int error_number) {
    return Error{Errc::system_error, what + ": " + std::strerror(error_number)};
}

// Writes zeros over [from, to) and flushes them: preallocation that needs no metadata update on
// later fdatasyncs, and the erasure of a torn tail.
Status write_zeros(int fd, std::uint64_t from, std::uint64_t to) {
    static const std::vector<std::byte> zeros(zero_chunk_bytes);
    while (from < to) {
        const std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(zero_chunk_bytes, to - from));
        const ssize_t written = pwrite(fd, zeros.data(), size, static_cast<off_t>(from));
        if (written <= 0) {
            return system_error("zero-filling a journal segment", written < 0 ? errno : EIO);
        }
        from += static_cast<std::uint64_t>(written);
    }
    return {};
}

Status sync_directory(const std::string& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return system_error("open " + directory, errno);
    }
    const int rc = fsync(fd);
    const int saved = errno;
    ::close(fd);
    return rc == 0 ? Status{} : Status{system_error("fsync " + directory, saved)};
}

} // namespace

Result<JournalScan> scan_journal(const std::string& directory, const RecordVisitor& visit) {
    JournalScan journal;
    std::error_code error;
    if (!std::filesystem::exists(directory, error)) {
        return journal;
    }
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        std::string name = entry.path().filename().string();
        if (parse_segment_file_name(name)) {
            names.push_back(std::move(name)); // scan_segment refuses one that is not a regular file
        }
    }
    if (error) {
        return Error{Errc::system_error, "reading " + directory + ": " + error.message()};
    }
    std::sort(names.begin(), names.end()); // zero-padded first sequences sort as numbers
    for (const std::string& name : names) {
        auto scan = scan_segment(directory + "/" + name, visit);
        if (!scan) {
            return scan.error();
        }
        journal.records += scan->records;
        journal.corrupt_regions += scan->corrupt.size();
        journal.torn_tail_bytes += scan->torn_tail_bytes;
        journal.next_sequence = std::max(journal.next_sequence, scan->next_sequence);
        journal.segments.push_back(std::move(scan.value()));
    }
    return journal;
}

JournalWriter::JournalWriter(JournalOptions options, std::unique_ptr<io_uring> ring)
    : options_(std::move(options)), ring_(std::move(ring)) {}

JournalWriter::~JournalWriter() {
    while (!in_flight_.empty()) {
        if (!reap(true)) {
            break;
        }
    }
    if (spare_thread_.joinable()) {
        spare_thread_.join();
    }
    if (spare_fd_ >= 0) {
        ::close(spare_fd_); // spare.tmp stays, prepared, for the next writer to reuse or redo
    }
    io_uring_queue_exit(ring_.get());
    for (const int fd : closing_fds_) {
        ::close(fd);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    if (trace_fd_ >= 0) {
        ::close(trace_fd_);
    }
}

Result<std::unique_ptr<JournalWriter>> JournalWriter::open(const JournalOptions& options, const JournalScan& scan) {
    if (options.segment_bytes < segment_bytes_min || options.segment_bytes > segment_bytes_max ||
        options.segment_bytes % segment_header_bytes != 0 || options.commits_in_flight == 0) {
        return Error{Errc::invalid_parameter_value,
                     "journal segments must be a multiple of 4 KiB from 64 KiB to 4 GiB, with at least one commit "
                     "in flight"};
    }
    std::error_code error;
    std::filesystem::create_directories(options.directory, error);
    if (error) {
        return Error{Errc::system_error, "creating " + options.directory + ": " + error.message()};
    }
    auto ring = std::make_unique<io_uring>();
    if (const int rc = io_uring_queue_init(4 * options.commits_in_flight, ring.get(), 0); rc < 0) {
        return system_error("io_uring_queue_init", -rc);
    }
    std::unique_ptr<JournalWriter> writer(new JournalWriter(options, std::move(ring)));
    if (!options.durable_trace_path.empty()) {
        writer->trace_fd_ = ::open(options.durable_trace_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (writer->trace_fd_ < 0) {
            return system_error("open " + options.durable_trace_path, errno);
        }
    }
    writer->next_sequence_ = scan.next_sequence;
    writer->durable_sequence_ = scan.next_sequence - 1;
    for (const SegmentScan& segment : scan.segments) {
        writer->segments_.push_back({segment.first_sequence, segment.capacity_bytes});
    }
    const Status opened = scan.segments.empty() ? writer->open_segment(scan.next_sequence)
                                                : writer->continue_segment(scan.segments.back());
    if (!opened) {
        return opened.error();
    }
    writer->start_spare();
    return writer;
}

namespace {

std::string spare_path(const std::string& directory) {
    return directory + "/" + std::string(spare_segment_name);
}

// Writes the header page of a segment starting at first_sequence and flushes it.
Status write_header(int fd, const std::string& path, std::uint64_t first_sequence, std::uint64_t capacity_bytes) {
    const std::vector<std::byte> page = segment_header_page(first_sequence, capacity_bytes);
    if (pwrite(fd, page.data(), page.size(), 0) != static_cast<ssize_t>(page.size())) {
        return system_error("write " + path, errno);
    }
    if (fdatasync(fd) != 0) {
        return system_error("fdatasync " + path, errno);
    }
    return {};
}

// Creates (or reuses) path, zero-filled to capacity and flushed; the fd, or an error (the file
// is then removed: a full disk leaves nothing half made behind).
Result<int> prepare_zeroed_file(const std::string& path, std::uint64_t capacity_bytes) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return system_error("create " + path, errno);
    }
    Status status = write_zeros(fd, 0, capacity_bytes);
    if (status && fdatasync(fd) != 0) {
        status = system_error("fdatasync " + path, errno);
    }
    if (!status) {
        ::close(fd);
        unlink(path.c_str());
        return status.error();
    }
    return fd;
}

} // namespace

void JournalWriter::start_spare() {
    spare_thread_ = std::thread([this, path = spare_path(options_.directory), capacity = options_.segment_bytes] {
        auto prepared = prepare_zeroed_file(path, capacity);
        spare_fd_ = prepared ? prepared.value() : -1;
        spare_status_ = prepared ? Status{} : Status{prepared.error()};
    });
}

Status JournalWriter::take_spare(std::uint64_t first_sequence) {
    if (spare_thread_.joinable()) {
        spare_thread_.join();
    }
    if (spare_fd_ < 0) {
        return spare_status_.ok() ? Status{Errc::system_error, "no spare journal segment"} : spare_status_;
    }
    const int fd = std::exchange(spare_fd_, -1);
    const std::string path = options_.directory + "/" + segment_file_name(first_sequence);
    // Header first, flushed, then the name: a crash in between leaves a spare, never a segment
    // without its header.
    Status status = write_header(fd, path, first_sequence, options_.segment_bytes);
    SHMQ_CRASH_POINT("journal.roll.after_header");
    if (status && rename(spare_path(options_.directory).c_str(), path.c_str()) != 0) {
        status = system_error("rename to " + path, errno);
    }
    SHMQ_CRASH_POINT("journal.roll.after_rename");
    if (status) {
        status = sync_directory(options_.directory); // the new name survives a power loss too
    }
    if (!status) {
        ::close(fd);
        return status;
    }
    if (fd_ >= 0) {
        closing_fds_.push_back(fd_); // commits to it may still be in flight
    }
    fd_ = fd;
    write_offset_ = segment_header_bytes;
    segments_.push_back({first_sequence, options_.segment_bytes});
    start_spare(); // the one after this
    return {};
}

Status JournalWriter::open_segment(std::uint64_t first_sequence) {
    // The first segment of an empty journal: made here and now (no spare yet).
    const std::string path = options_.directory + "/" + segment_file_name(first_sequence);
    auto prepared = prepare_zeroed_file(path, options_.segment_bytes);
    if (!prepared) {
        return prepared.error();
    }
    const int fd = prepared.value();
    Status status = write_header(fd, path, first_sequence, options_.segment_bytes);
    if (status) {
        status = sync_directory(options_.directory);
    }
    if (!status) {
        ::close(fd);
        unlink(path.c_str());
        return status;
    }
    fd_ = fd;
    write_offset_ = segment_header_bytes;
    segments_.push_back({first_sequence, options_.segment_bytes});
    return {};
}

Status JournalWriter::continue_segment(const SegmentScan& last) {
    const int fd = ::open(last.path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return system_error("open " + last.path, errno);
    }
    // Bytes after the last good record are a torn tail: erase them before appending, or a later
    // scan could read stale records that happen to carry the sequences we are about to reuse.
    Status status = write_zeros(fd, last.end_offset, std::max(last.capacity_bytes, last.end_offset));
    if (status && fdatasync(fd) != 0) {
        status = system_error("fdatasync " + last.path, errno);
    }
    if (!status) {
        ::close(fd);
        return status;
    }
    fd_ = fd;
    write_offset_ = last.end_offset;
    options_.segment_bytes = last.capacity_bytes; // the file's own size rules
    return {};
}

std::uint64_t JournalWriter::append(RecordType type, std::span<const std::byte> payload, std::uint16_t flags) {
    if (staged_.empty()) {
        staged_first_sequence_ = next_sequence_;
    }
    append_record(staged_, type, next_sequence_, payload, flags);
    return next_sequence_++;
}

Result<std::uint64_t> JournalWriter::submit() {
    if (staged_.empty()) {
        return next_sequence_ - 1;
    }
    std::vector<std::byte> bytes = std::move(staged_);
    staged_.clear();
    std::uint64_t first = staged_first_sequence_;
    std::size_t start = 0;
    while (start < bytes.size()) {
        // The longest run of whole records from `start` that fits in the active segment.
        const std::uint64_t room = options_.segment_bytes - write_offset_;
        std::size_t end = start;
        std::uint64_t sequence = first;
        while (end < bytes.size()) {
            RecordHeader header;
            std::memcpy(&header, bytes.data() + end, sizeof header);
            const std::size_t size = framed_size(header.length);
            if (end - start + size > room) {
                break;
            }
            end += size;
            sequence = header.sequence;
        }
        if (end == start) {
            if (write_offset_ == segment_header_bytes) {
                return Error{Errc::invalid_parameter_value, "a journal record larger than a segment"};
            }
            if (Status status = take_spare(first); !status) {
                return status.error();
            }
            continue;
        }
        std::vector<std::byte> part(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                                    bytes.begin() + static_cast<std::ptrdiff_t>(end));
        if (Status status = queue_commit(std::move(part), sequence); !status) {
            return status.error();
        }
        first = sequence + 1;
        start = end;
    }
    return next_sequence_ - 1;
}

Status JournalWriter::wait_for_free_commit() {
    while (in_flight_.size() >= options_.commits_in_flight) {
        if (auto reaped = reap(true); !reaped) {
            return reaped.error();
        }
    }
    return {};
}

Status JournalWriter::queue_commit(std::vector<std::byte> bytes, std::uint64_t last_sequence) {
    if (Status status = wait_for_free_commit(); !status) {
        return status;
    }
    auto commit = std::make_unique<Commit>();
    commit->bytes = std::move(bytes);
    commit->last_sequence = last_sequence;
    commit->fd = fd_;
    commit->pending = 2;
    commit->segment_first_sequence = segments_.back().first_sequence;
    commit->submitted = std::chrono::steady_clock::now();
    commit->end_offset = write_offset_ + commit->bytes.size();
    io_uring_sqe* write = io_uring_get_sqe(ring_.get());
    io_uring_sqe* flush = write == nullptr ? nullptr : io_uring_get_sqe(ring_.get());
    if (write == nullptr || flush == nullptr) {
        return {Errc::system_error, "io_uring submission queue full"};
    }
    // The write, then (linked: only after it succeeded) the fdatasync that makes it durable.
    io_uring_prep_write(write, fd_, commit->bytes.data(), static_cast<unsigned>(commit->bytes.size()), write_offset_);
    io_uring_sqe_set_data64(write, reinterpret_cast<std::uint64_t>(commit.get()));
    write->flags |= IOSQE_IO_LINK;
    io_uring_prep_fsync(flush, fd_, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(flush, reinterpret_cast<std::uint64_t>(commit.get()) | 1u);
    if (const int rc = io_uring_submit(ring_.get()); rc < 0) {
        return system_error("io_uring_submit", -rc);
    }
    write_offset_ += commit->bytes.size();
    in_flight_.push_back(std::move(commit));
    SHMQ_CRASH_POINT("journal.commit.after_submit"); // written or not, not yet durable
    return {};
}

Result<std::uint64_t> JournalWriter::reap(bool wait) {
    bool waited = !wait || in_flight_.empty();
    for (;;) {
        io_uring_cqe* cqe = nullptr;
        const int rc = waited ? io_uring_peek_cqe(ring_.get(), &cqe) : io_uring_wait_cqe(ring_.get(), &cqe);
        if (rc == -EAGAIN || cqe == nullptr) {
            break;
        }
        if (rc < 0 && rc != -EINTR) {
            return system_error("io_uring_wait_cqe", -rc);
        }
        if (rc == -EINTR) {
            continue;
        }
        waited = true;
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        auto* commit = reinterpret_cast<Commit*>(data & ~std::uint64_t{1});
        const bool is_flush = (data & 1u) != 0;
        const int result = cqe->res;
        io_uring_cqe_seen(ring_.get(), cqe);
        if (commit->result == 0) {
            if (result < 0) {
                commit->result = result;
            } else if (!is_flush && static_cast<std::size_t>(result) != commit->bytes.size()) {
                commit->result = -EIO; // a short write: the rest of the commit is not on disk
            }
        }
        if (--commit->pending == 0) {
            commit->done = true;
        }
    }
    // Durable: a prefix of commits in submission order, all finished.
    while (!in_flight_.empty() && in_flight_.front()->done) {
        const std::unique_ptr<Commit>& front = in_flight_.front();
        if (front->result != 0) {
            const int error_number = front->result == -ECANCELED ? EIO : -front->result;
            in_flight_.pop_front();
            return system_error("journal commit", error_number);
        }
        durable_sequence_ = front->last_sequence;
        trace_durable(*front);
        if (options_.commit_observer) {
            options_.commit_observer(
                std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - front->submitted)
                    .count());
        }
        in_flight_.pop_front();
        SHMQ_CRASH_POINT("journal.commit.after_durable"); // durable, not yet acknowledged
    }
    // Segments closed by a roll are released once no commit writes to them any more.
    std::erase_if(closing_fds_, [&](int fd) {
        const bool used = std::any_of(in_flight_.begin(), in_flight_.end(),
                                      [fd](const std::unique_ptr<Commit>& commit) { return commit->fd == fd; });
        if (!used) {
            ::close(fd);
        }
        return !used;
    });
    return durable_sequence_;
}

void JournalWriter::trace_durable(const Commit& commit) {
    if (trace_fd_ < 0) {
        return;
    }
    const std::string line =
        segment_file_name(commit.segment_first_sequence) + " " + std::to_string(commit.end_offset) + "\n";
    (void)!write(trace_fd_, line.data(), line.size());
}

Result<std::uint64_t> JournalWriter::reap_for(std::int64_t timeout_ns) {
    if (!in_flight_.empty()) {
        __kernel_timespec timeout{timeout_ns / 1'000'000'000, timeout_ns % 1'000'000'000};
        io_uring_cqe* cqe = nullptr;
        const int rc = io_uring_wait_cqe_timeout(ring_.get(), &cqe, &timeout);
        if (rc < 0 && rc != -ETIME && rc != -EINTR) {
            return system_error("io_uring_wait_cqe_timeout", -rc);
        }
    }
    return reap(false);
}

std::string JournalWriter::segment_path(const Segment& segment) const {
    return options_.directory + "/" + segment_file_name(segment.first_sequence);
}

std::uint64_t JournalWriter::closed_segment_bytes() const noexcept {
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i + 1 < segments_.size(); ++i) {
        bytes += segments_[i].capacity_bytes;
    }
    return bytes;
}

Status JournalWriter::remove_oldest_segment() {
    if (segments_.size() < 2) {
        return {Errc::invalid_parameter_value, "the active journal segment cannot be removed"};
    }
    const std::string path = segment_path(segments_.front());
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        return system_error("unlink " + path, errno);
    }
    segments_.pop_front();
    return sync_directory(options_.directory); // or a power loss could bring it back
}

Result<std::uint64_t> JournalWriter::sync() {
    if (auto submitted = submit(); !submitted) {
        return submitted.error();
    }
    while (durable_sequence_ + 1 < next_sequence_) {
        if (in_flight_.empty()) {
            return Error{Errc::system_error, "journal commits lost"};
        }
        if (auto reaped = reap(true); !reaped) {
            return reaped.error();
        }
    }
    return durable_sequence_;
}

} // namespace shmq::journal
