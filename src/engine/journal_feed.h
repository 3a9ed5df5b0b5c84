// JournalFeed: shmqd's side of a Durability=async queue. Senders list each message's slot in the
// region's journal_sends ring just before publishing it, and whoever frees a published message
// lists the slot in journal_deletes while it still owns it (FREEING); shmqd drains both rings,
// copies each new message out of its slot and journals it, and journals deletions.
//
// Ring entries are hints, as everywhere: a send entry names a slot and 8 generation bits, and
// copy() checks the slot still holds that message (and that it did not change while it was
// copied). A message deleted before shmqd got to it is simply never journaled. A full ring sets
// journal_overflow, after which shmqd reconciles its view with every slot (live_messages).
// Durability=sync senders then wait until shmqd publishes a durable position past their entry.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/queue_engine.h"
#include "shmq/message.h"

namespace shmq::engine {

struct FedMessage {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0; // the full generation of the slot's message
    MessageId message_id;
    std::int64_t sent_ns = 0;
    std::uint32_t sender_uid = 0;
    std::string body;
    std::string encoded_attributes;    // FIFO: the trailer holds MessageGroupId and deduplication id
    std::uint64_t sequence_number = 0; // FIFO: its SequenceNumber; 0 for standard queues
};

class JournalFeed {
  public:
    explicit JournalFeed(QueueEngine& engine) noexcept : engine_(engine) {}

    enum class Copy : std::uint8_t {
        copied,  // out holds the message
        pending, // still being written: try again later
        gone,    // not that message any more (deleted, or the slot reused)
    };
    // Copies the message a send entry names (slot, 8 generation bits).
    [[nodiscard]] Copy copy(std::uint32_t slot, std::uint32_t generation_bits, FedMessage& out) const;
    // A FIFO message deleted before shmqd could copy it: its deduplication id must still be
    // journaled (a retry after a reboot is a duplicate for the rest of the window). Reads what
    // the freed slot still holds (identity, SequenceNumber, sent time, attributes; no body) and
    // accepts it only if the queue's deduplication window confirms it (an entry for that key
    // names that message), so a slot already reused can never give a wrong record.
    [[nodiscard]] bool copy_deleted_ids(std::uint32_t slot, FedMessage& out) const;

    // Pops every send entry: visit(slot, generation_bits, ring position); returns the position
    // after the last one.
    std::uint64_t drain_sends(const std::function<void(std::uint32_t, std::uint32_t, std::uint64_t)>& visit);
    // Pops every delete entry: visit(slot, generation_bits).
    void drain_deletes(const std::function<void(std::uint32_t, std::uint32_t)>& visit);

    // True once, after a ring overflowed (then the rings are not a complete account).
    [[nodiscard]] bool take_overflow() noexcept;
    // The MessageId of the message a slot holds, if it still holds that generation's message
    // (no body copied: reconciling a region recovery just refilled compares ids only).
    [[nodiscard]] bool peek_id(std::uint32_t slot, std::uint32_t generation, MessageId& out) const;
    [[nodiscard]] std::uint32_t slot_count() const noexcept;
    // Every slot holding a message now: visit(slot, full generation).
    void live_messages(const std::function<void(std::uint32_t, std::uint32_t)>& visit) const;
    [[nodiscard]] bool durable() const noexcept; // Durability async or sync
    // A FIFO queue with a deduplication window (which recovery must rebuild).
    [[nodiscard]] bool deduplicating() const noexcept;

    // Durability=sync: this shmqd (pid and start time) journals the queue; release() unless
    // another took over. publish_durable: every send entry below position is durable (or gone);
    // sync senders waiting for it wake.
    void claim(std::uint32_t pid, std::uint64_t start_ticks) noexcept;
    void release(std::uint32_t pid) noexcept;
    void publish_durable(std::uint64_t position) noexcept;
    // The futex word sync senders bump (and wake while set_sleeping(true)) after listing a send.
    [[nodiscard]] std::atomic<std::uint32_t>& wake_word() noexcept;
    void set_sleeping(bool sleeping) noexcept;
    [[nodiscard]] bool sends_listed() const noexcept; // a send entry waits in the ring

  private:
    QueueEngine& engine_;
};

} // namespace shmq::engine
