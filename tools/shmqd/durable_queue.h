// DurableQueue: shmqd's journaling of one Durability=async or sync queue. It drains the region's
// journal rings (engine/journal_feed.h), copies each new message out of its slot into a
// message_sent record and turns each freed slot into a message_deleted record. It remembers which
// message each slot holds (so a delete entry names a message) and keeps the queue's
// JournaledMessages up to date (so nothing is journaled twice and nothing deleted is left live).
// After a ring overflow, and when it attaches, it reconciles: the journal is brought in line with
// every slot. Its sends are sealed as the queue's SSE attributes ask (set_sealing): a send that
// cannot be sealed is not journaled in plain text instead; the failure stops shmqd (failure()).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "engine/journal_feed.h"
#include "journal/journal_writer.h"
#include "journaled_messages.h"
#include "sent_record_writer.h"
#include "shmq/queue.h"

namespace shmq::daemon {

class DurableQueue {
  public:
    // journaled: what the journal holds live for this queue (replayed at start); it must outlive
    // this object, which keeps it current.
    // writer: shared by the durable queues of one shmqd, outlives them.
    DurableQueue(std::string name, Queue queue, JournaledMessages& journaled, SentRecordWriter& writer);
    ~DurableQueue();
    DurableQueue(const DurableQueue&) = delete;
    DurableQueue& operator=(const DurableQueue&) = delete;

    // Journals what the rings list (or reconciles after an overflow); returns records appended.
    std::uint64_t pump(journal::JournalWriter& journal);
    // Brings the journal in line with the region; returns records appended.
    std::uint64_t reconcile(journal::JournalWriter& journal);
    // The journal is durable up to durable_sequence: Durability=sync senders whose entries that
    // covers are released.
    void on_durable(std::uint64_t durable_sequence);

    // How its sends are sealed from now on, decided from its definition at config_version.
    void set_sealing(const QueueSealing& sealing, std::uint32_t config_version) noexcept {
        sealing_ = sealing;
        sealing_version_ = config_version;
    }
    // The queue's attributes changed since its sealing was decided: pump journals nothing until
    // set_sealing is called again (the daemon's journal_changes).
    [[nodiscard]] bool sealing_stale() const noexcept;
    // The first send that could not be journaled (sealing failed), if any.
    [[nodiscard]] const Status& failure() const noexcept { return failure_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] engine::JournalFeed& feed() noexcept { return feed_; }

  private:
    struct Held {
        bool used = false;
        std::uint32_t generation = 0;
        MessageId id;
    };
    void on_send(std::uint32_t slot, std::uint32_t generation_bits, std::uint64_t position,
                 journal::JournalWriter& journal, std::uint64_t& appended);
    // After a pump: once the journal is durable through `sequence`, send entries below
    // `position` are.
    void mark(std::uint64_t sequence, std::uint64_t position);
    void on_delete(std::uint32_t slot, std::uint32_t generation_bits, journal::JournalWriter& journal,
                   std::uint64_t& appended);
    void journal_deleted(const MessageId& id, journal::JournalWriter& journal, std::uint64_t& appended);
    // message_ (ids only) was deleted before it could be journaled: its deduplication id is.
    void journal_remembered(journal::JournalWriter& journal, std::uint64_t& appended);

    std::string name_;
    Queue queue_;
    engine::JournalFeed feed_;
    std::vector<Held> held_; // by slot: the message we saw in it
    JournaledMessages& journaled_;
    bool deduplicating_; // FIFO with a deduplication window: deleted ids stay remembered
    struct Pending {
        std::uint32_t slot, generation_bits;
        std::uint64_t position;
    };
    std::vector<Pending> pending_;                          // sends still being written
    std::deque<std::pair<std::uint64_t, std::uint64_t>> marks_; // (journal sequence, ring position)
    std::vector<std::byte> payload_;                        // scratch
    SentRecordWriter& writer_;
    QueueSealing sealing_;
    std::uint32_t sealing_version_ = 0;
    std::vector<Pending> drained_; // scratch: the sends one pump took from the ring
    Status failure_;
    engine::FedMessage message_;                            // scratch
};

} // namespace shmq::daemon
