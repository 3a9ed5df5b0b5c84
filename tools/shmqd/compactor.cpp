// Journal compaction (see compactor.h).
#include "compactor.h"

#include "engine/crash_point.h"

namespace shmq::daemon {

Result<std::uint64_t> Compactor::step(journal::JournalWriter& journal, LiveRecords& live) {
    if (removal_after_) {
        if (journal.durable_sequence() < *removal_after_) {
            return 0; // the daemon's commits get there soon
        }
        if (Status removed = journal.remove_oldest_segment(); !removed) {
            return removed.error();
        }
        SHMQ_CRASH_POINT("shmqd.compaction.after_remove");
        removal_after_.reset();
        ++totals_.segments_removed;
        return 0;
    }
    if (journal.segments().size() < 2 ||
        static_cast<double>(journal.closed_segment_bytes()) <= compaction_ratio * static_cast<double>(live.live_bytes())) {
        return 0;
    }
    const journal::JournalWriter::Segment oldest = journal.segments().front();
    std::uint64_t appended = 0;
    auto scan = journal::scan_segment(journal.segment_path(oldest), [&](const journal::RecordView& record) {
        const std::uint64_t bytes = live.carry(record, journal);
        appended += bytes > 0 ? 1 : 0;
        totals_.bytes_carried += bytes;
    });
    if (!scan) {
        return scan.error();
    }
    totals_.records_carried += appended;
    if (auto submitted = journal.submit(); !submitted) {
        return submitted.error();
    }
    SHMQ_CRASH_POINT("shmqd.compaction.after_carry");
    // Everything that made the other records dead was appended before now: once durable, the
    // old file can go.
    removal_after_ = journal.next_sequence() - 1;
    return appended;
}

} // namespace shmq::daemon
