// Compactor: keeps the journal's disk use proportional to its live data. When the closed segments
// hold more than compaction_ratio times the bytes of everything live in the journal (so more than
// 40 % of them is dead, wherever the live records are), the
// oldest closed segment is read, the records in it that still stand (a queue's current
// definition, a message not yet deleted, a deleted FIFO message's ids within their
// deduplication window) are appended again at the end, and once the journal is
// durable through them the old file is removed. Deletions and queue deletions are not carried:
// only the oldest segment is ever removed, so what they cancelled was in it or is already gone.
//
// A crash at any point is safe: before the removal, a carried message stands twice in the
// journal and recovery keeps the first; after it, once.
#pragma once

#include <cstdint>
#include <optional>

#include "journal/journal_writer.h"

namespace shmq::daemon {

// What the compactor asks of the daemon, which knows what is live.
class LiveRecords {
  public:
    virtual ~LiveRecords() = default;
    // If record (from the oldest segment) still stands, appends what must survive of it (the
    // record itself, or less: a deleted FIFO message's ids without its body) and notes its new
    // place. Returns the bytes appended, 0 for a dead record.
    [[nodiscard]] virtual std::uint64_t carry(const journal::RecordView& record, journal::JournalWriter& journal) = 0;
    // Framed bytes of every standing record.
    [[nodiscard]] virtual std::uint64_t live_bytes() const = 0;
};

struct CompactionTotals {
    std::uint64_t segments_removed = 0;
    std::uint64_t records_carried = 0;
    std::uint64_t bytes_carried = 0;
};

// Closed segments may hold this many times the live data before the oldest is compacted. At 1.0
// long-lived messages sitting in old segments were carried forward at nearly every roll (the
// recovery bench measured 9x write amplification); at 1.75 about half a segment is carried per
// segment freed, and the closed segments plus the active and spare ones stay within 2x the live
// data once it is a few segments large.
inline constexpr double compaction_ratio = 1.75;

class Compactor {
  public:
    // One step, called from the daemon's loop: removes a segment whose carried records became
    // durable, or starts on the oldest closed segment if compaction is due (appending and
    // submitting its standing records). Returns the records appended.
    [[nodiscard]] Result<std::uint64_t> step(journal::JournalWriter& journal, LiveRecords& live);
    [[nodiscard]] const CompactionTotals& totals() const noexcept { return totals_; }

  private:
    // The oldest segment's standing records were appended up to this sequence: it goes once the
    // journal is durable that far.
    std::optional<std::uint64_t> removal_after_;
    CompactionTotals totals_;
};

} // namespace shmq::daemon
