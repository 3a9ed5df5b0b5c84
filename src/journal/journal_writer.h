// JournalWriter: appends records to the journal's segment files with io_uring, in commits: each
// commit is one write of every record staged since the last, linked to an fdatasync, and up to
// `commits_in_flight` commits overlap (performance.md: overlapping commits are what lets io_uring
// beat a write + fdatasync loop). A record is durable once the fdatasync of its commit and of
// every earlier commit has completed: durable_sequence() never runs ahead of a gap.
//
// Segments are preallocated to segment_bytes and zero-filled; a commit that does not fit in the
// active segment closes it and continues in a new one named by its first sequence. The next
// segment is prepared (created as spare.tmp, zero-filled, flushed) by a background thread while
// the active one fills, so a roll costs a header write and a rename, not 64 MiB of zeros. Opening the
// writer on a directory continues after the last good record of the last segment, first zeroing
// a torn tail so that stale bytes can never be read as records again.
#pragma once

#include <cstdint>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "journal/record.h"
#include "journal/segment.h"
#include "shmq/error.h"

struct io_uring;

namespace shmq::journal {

struct JournalOptions {
    std::string directory;
    std::uint64_t segment_bytes = 64ull << 20; // holds any record (a 1 MiB message and its attributes)
    std::uint32_t commits_in_flight = 4;
    // For power-loss tests: after each commit becomes durable, a line "<segment file> <end offset>"
    // is appended here (what an fdatasync has covered; everything after it may be lost).
    std::string durable_trace_path;
    // Told, for each commit that becomes durable, how long it took from submission (metrics).
    std::function<void(std::int64_t latency_ns)> commit_observer;
};

// What the journal directory held: every segment in order, as scanned.
struct JournalScan {
    std::vector<SegmentScan> segments;
    std::uint64_t next_sequence = 1; // the sequence the next appended record gets
    std::uint64_t records = 0;
    std::uint64_t corrupt_regions = 0;
    std::uint64_t torn_tail_bytes = 0;
};

// Reads every segment of directory in order, calling visit for each good record. A directory
// that does not exist yet is an empty journal.
[[nodiscard]] Result<JournalScan> scan_journal(const std::string& directory, const RecordVisitor& visit);

class JournalWriter {
  public:
    // Creates the directory if needed; `scan` is scan_journal's result for it (the writer
    // continues after its last good record).
    [[nodiscard]] static Result<std::unique_ptr<JournalWriter>> open(const JournalOptions& options,
                                                                     const JournalScan& scan);
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // Stages one record for the next commit; returns its sequence.
    std::uint64_t append(RecordType type, std::span<const std::byte> payload, std::uint16_t flags = 0);
    [[nodiscard]] std::uint64_t staged_bytes() const noexcept { return staged_.size(); }

    // Submits everything staged as one commit (waiting for a free commit first if all are in
    // flight). Returns the last sequence the commit covers.
    [[nodiscard]] Result<std::uint64_t> submit();
    // Collects finished commits; with wait, blocks until at least one finishes if any is in
    // flight. Returns durable_sequence().
    [[nodiscard]] Result<std::uint64_t> reap(bool wait);
    // Waits up to timeout_ns for a commit to finish (if any is in flight), then reaps.
    [[nodiscard]] Result<std::uint64_t> reap_for(std::int64_t timeout_ns);
    // submit(), then waits until everything appended so far is durable.
    [[nodiscard]] Result<std::uint64_t> sync();

    [[nodiscard]] std::uint64_t durable_sequence() const noexcept { return durable_sequence_; }
    [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_sequence_; }
    [[nodiscard]] std::uint32_t commits_in_flight() const noexcept {
        return static_cast<std::uint32_t>(in_flight_.size());
    }
    // Past this many, submit() first waits for one to finish.
    [[nodiscard]] std::uint32_t commits_in_flight_max() const noexcept { return options_.commits_in_flight; }

    // The segment files, oldest first; the last is the one being appended to. Compaction
    // (tools/shmqd/compactor.h) carries the live records of the oldest closed one forward, then
    // removes it: the journal is always a contiguous run of sequences, so a record can only be
    // made obsolete by a later one that survives it.
    struct Segment {
        std::uint64_t first_sequence;
        std::uint64_t capacity_bytes;
    };
    [[nodiscard]] const std::deque<Segment>& segments() const noexcept { return segments_; }
    [[nodiscard]] std::string segment_path(const Segment& segment) const;
    // Bytes of every segment file but the active one.
    [[nodiscard]] std::uint64_t closed_segment_bytes() const noexcept;
    // Deletes the oldest segment file (refused for the active one). The caller makes sure that
    // whatever made its records obsolete is durable first.
    [[nodiscard]] Status remove_oldest_segment();

  private:
    struct Commit {
        std::vector<std::byte> bytes;
        std::uint64_t last_sequence = 0;
        int fd = -1;            // the segment it writes to
        bool done = false;
        int result = 0;         // first error (negative errno), 0 when both operations succeeded
        std::uint32_t pending = 0; // io_uring completions still expected
        std::uint64_t segment_first_sequence = 0; // of the segment it writes to
        std::uint64_t end_offset = 0;             // in that segment, once written
        std::chrono::steady_clock::time_point submitted;
    };

    JournalWriter(JournalOptions options, std::unique_ptr<io_uring> ring);
    [[nodiscard]] Status open_segment(std::uint64_t first_sequence);
    // Starts preparing spare.tmp in the background; take_spare waits for it and turns it into
    // the segment starting at first_sequence (header, flush, rename, directory flush).
    void start_spare();
    [[nodiscard]] Status take_spare(std::uint64_t first_sequence);
    [[nodiscard]] Status continue_segment(const SegmentScan& last);
    [[nodiscard]] Status queue_commit(std::vector<std::byte> bytes, std::uint64_t last_sequence);
    [[nodiscard]] Status wait_for_free_commit();
    void trace_durable(const Commit& commit);

    JournalOptions options_;
    std::unique_ptr<io_uring> ring_;
    int fd_ = -1;                 // active segment
    std::uint64_t write_offset_ = 0;
    std::vector<int> closing_fds_; // segments closed while commits to them were in flight
    std::vector<std::byte> staged_;
    std::uint64_t staged_first_sequence_ = 0;
    std::uint64_t next_sequence_ = 1;
    std::uint64_t durable_sequence_ = 0;
    std::deque<std::unique_ptr<Commit>> in_flight_;
    std::deque<Segment> segments_;
    std::thread spare_thread_;
    int spare_fd_ = -1;   // written by the spare thread, read after joining it
    Status spare_status_; // likewise
    int trace_fd_ = -1;
};

} // namespace shmq::journal
