// Journaling of one durable queue (see durable_queue.h).
#include "durable_queue.h"

#include <unistd.h>

#include <algorithm>
#include <boost/unordered/unordered_flat_set.hpp>

#include "engine/crash_point.h"
#include "engine/process_liveness.h"
#include "message_records.h"
#include "shmq/clock.h"
#include "shmq/layout/fifo_layout.h"

namespace shmq::daemon {

DurableQueue::DurableQueue(std::string name, Queue queue, JournaledMessages& journaled, SentRecordWriter& writer)
    : name_(std::move(name)), queue_(std::move(queue)), feed_(engine_of(queue_)), held_(feed_.slot_count()),
      journaled_(journaled), deduplicating_(feed_.deduplicating()), writer_(writer) {
    const auto pid = static_cast<std::uint32_t>(getpid());
    feed_.claim(pid, engine::process_start_ticks(pid));
}

DurableQueue::~DurableQueue() {
    feed_.release(static_cast<std::uint32_t>(getpid()));
}

void DurableQueue::mark(std::uint64_t sequence, std::uint64_t position) {
    for (const Pending& pending : pending_) {
        position = std::min(position, pending.position); // not durable before it is journaled
    }
    marks_.emplace_back(sequence, position);
}

void DurableQueue::on_durable(std::uint64_t durable_sequence) {
    std::uint64_t position = 0;
    bool moved = false;
    while (!marks_.empty() && marks_.front().first <= durable_sequence) {
        position = std::max(position, marks_.front().second);
        moved = true;
        marks_.pop_front();
    }
    if (moved) {
        feed_.publish_durable(position);
        SHMQ_CRASH_POINT("shmqd.ack.after_publish");
    }
}

void DurableQueue::journal_deleted(const MessageId& id, journal::JournalWriter& journal, std::uint64_t& appended) {
    if (!journaled_.remove(id, SystemClock::instance().now_ns())) {
        return; // never journaled (deleted before we saw it): nothing to undo
    }
    encode_deleted({name_, id}, payload_);
    journal.append(journal::RecordType::message_deleted, payload_);
    ++appended;
}

void DurableQueue::on_send(std::uint32_t slot, std::uint32_t generation_bits, std::uint64_t position,
                           journal::JournalWriter& journal, std::uint64_t& appended) {
    switch (feed_.copy(slot, generation_bits, message_)) {
    case engine::JournalFeed::Copy::pending:
        pending_.push_back({slot, generation_bits, position});
        return;
    case engine::JournalFeed::Copy::gone:
        if (deduplicating_ && feed_.copy_deleted_ids(slot, message_)) {
            journal_remembered(journal, appended);
        }
        return;
    case engine::JournalFeed::Copy::copied:
        break;
    }
    Held& held = held_[slot];
    if (held.used) {
        if (held.generation == message_.generation) {
            return; // already journaled
        }
        // The slot was freed and reused: its earlier message is gone even if its delete entry
        // has not come yet (which then finds nothing to do).
        journal_deleted(held.id, journal, appended);
    }
    held = Held{true, message_.generation, message_.message_id};
    if (journaled_.find(message_.message_id) != nullptr) {
        return; // put back from the journal (recovery): already there
    }
    auto written = writer_.append(journal::RecordType::message_sent,
                                  {name_, message_.message_id, message_.sent_ns, message_.sender_uid, message_.body,
                                   message_.encoded_attributes, message_.sequence_number},
                                  sealing_, SystemClock::instance().now_ns(), journal);
    if (!written) {
        failure_ = written.error();
        return;
    }
    journaled_.add(message_.message_id, {written->sequence, written->bytes,
                                         deduplicating_ ? message_.sent_ns + layout::dedup_window_ns : 0,
                                         written->data_key_id});
    ++appended;
}

void DurableQueue::journal_remembered(journal::JournalWriter& journal, std::uint64_t& appended) {
    if (journaled_.find(message_.message_id) != nullptr ||
        journaled_.find_remembered(message_.message_id) != nullptr) {
        return;
    }
    auto written = writer_.append(journal::RecordType::message_remembered,
                                  {name_, message_.message_id, message_.sent_ns, message_.sender_uid, {},
                                   message_.encoded_attributes, message_.sequence_number},
                                  sealing_, SystemClock::instance().now_ns(), journal);
    if (!written) {
        failure_ = written.error();
        return;
    }
    journaled_.remember(message_.message_id, {written->sequence, written->bytes,
                                              message_.sent_ns + layout::dedup_window_ns, written->data_key_id});
    ++appended;
}

void DurableQueue::on_delete(std::uint32_t slot, std::uint32_t generation_bits, journal::JournalWriter& journal,
                             std::uint64_t& appended) {
    if (slot >= held_.size() || !held_[slot].used || (held_[slot].generation & 0xFFu) != generation_bits) {
        return;
    }
    journal_deleted(held_[slot].id, journal, appended);
    held_[slot].used = false;
}

bool DurableQueue::sealing_stale() const noexcept {
    return queue_.config_version() != sealing_version_;
}

std::uint64_t DurableQueue::pump(journal::JournalWriter& journal) {
    if (sealing_stale()) {
        return 0; // the daemon decides the sealing again first (journal_changes)
    }
    if (feed_.take_overflow()) {
        return reconcile(journal);
    }
    std::uint64_t appended = 0;
    std::vector<Pending> retry;
    retry.swap(pending_);
    for (const Pending& pending : retry) {
        on_send(pending.slot, pending.generation_bits, pending.position, journal, appended);
    }
    // Sends before deletes: a delete entry is listed after its send entry, so a message is
    // journaled (if it still existed) before its deletion is looked at.
    drained_.clear();
    const std::uint64_t next = feed_.drain_sends([&](std::uint32_t slot, std::uint32_t bits, std::uint64_t position) {
        drained_.push_back({slot, bits, position});
    });
    // A send listed after an attribute change (SSE turned on, say) is seen here with the change
    // visible (the change's version moved before the sender could send): such sends wait for the
    // daemon to decide the sealing again, so none is journaled under the old one.
    if (sealing_stale()) {
        pending_.insert(pending_.end(), drained_.begin(), drained_.end());
        return appended;
    }
    for (const Pending& send : drained_) {
        on_send(send.slot, send.generation_bits, send.position, journal, appended);
    }
    feed_.drain_deletes([&](std::uint32_t slot, std::uint32_t bits) { on_delete(slot, bits, journal, appended); });
    mark(journal.next_sequence() - 1, next);
    if (appended > 0) {
        SHMQ_CRASH_POINT("shmqd.pump.after_append"); // staged, not yet written
    }
    return appended;
}

std::uint64_t DurableQueue::reconcile(journal::JournalWriter& journal) {
    std::uint64_t appended = 0;
    // The rings' contents are covered by the scan below.
    const std::uint64_t next = feed_.drain_sends([](std::uint32_t, std::uint32_t, std::uint64_t) {});
    feed_.drain_deletes([](std::uint32_t, std::uint32_t) {});
    pending_.clear();
    std::vector<Held> seen(held_.size());
    std::size_t journaled_in_region = 0; // live slots whose message the journal holds
    feed_.live_messages([&](std::uint32_t slot, std::uint32_t generation) {
        const Held& held = held_[slot];
        if (held.used && held.generation == generation) {
            seen[slot] = held;
            journaled_in_region += journaled_.find(held.id) != nullptr ? 1u : 0u;
            return;
        }
        // A message the journal holds already (put back by recovery, or journaled before a
        // restart of shmqd): its id is enough, no copy.
        MessageId id;
        if (feed_.peek_id(slot, generation, id) && journaled_.find(id) != nullptr) {
            seen[slot] = Held{true, generation, id};
            ++journaled_in_region;
            return;
        }
        on_send(slot, generation & 0xFFu, 0, journal, appended);
        if (held_[slot].used && held_[slot].generation == generation) {
            seen[slot] = held_[slot];
            journaled_in_region += journaled_.find(held_[slot].id) != nullptr ? 1u : 0u;
        }
    });
    // Whatever the journal holds live that no slot holds any more was deleted meanwhile (none,
    // when every journaled message was found: the common case, e.g. right after a recovery).
    std::vector<MessageId> gone;
    if (journaled_in_region != journaled_.size()) {
        boost::unordered_flat_set<MessageId, MessageIdHash> in_region;
        in_region.reserve(journaled_in_region);
        for (const Held& held : seen) {
            if (held.used) {
                in_region.insert(held.id);
            }
        }
        for (const auto& [id, location] : journaled_) {
            if (!in_region.contains(id)) {
                gone.push_back(id);
            }
        }
    }
    for (const MessageId& id : gone) {
        journal_deleted(id, journal, appended);
    }
    held_ = std::move(seen);
    pending_.clear(); // a live slot is never WRITING
    mark(journal.next_sequence() - 1, next);
    return appended;
}

} // namespace shmq::daemon
