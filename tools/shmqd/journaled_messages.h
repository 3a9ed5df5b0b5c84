// JournaledMessages: what the journal holds for one queue, and where. Live messages: the
// sequence of the message_sent record that stands for each (the first one, if recovery or
// compaction left two) and its framed size. Remembered messages: FIFO messages deleted within
// their deduplication window, whose ids a recovery must still refuse as duplicates until the
// window closes (their standing record is the message_sent, or a compaction's
// message_remembered). DurableQueue keeps it current, so that nothing is journaled twice and no
// deletion is journaled for a message the journal never held; the compactor consults it to carry
// standing records forward out of old segments and to weigh the live data against the disk used.
// It also counts the standing records sealed under each data key: a data key's record stands
// while any does (data_keys.h).
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <cstring>

#include "shmq/message.h"

namespace shmq::daemon {

struct JournalLocation {
    std::uint64_t sequence = 0;
    std::uint32_t bytes = 0;            // framed record size
    std::int64_t remember_until_ns = 0; // FIFO with deduplication: the end of its window
    std::uint64_t data_key_id = 0;      // sealed under this data key (data_keys.h); 0: plain
};

struct MessageIdHash {
    std::size_t operator()(const MessageId& id) const noexcept {
        std::size_t value; // the bytes are random (or a sender's counter in the low half): mix both
        std::uint64_t high;
        std::memcpy(&value, id.bytes.data(), sizeof value);
        std::memcpy(&high, id.bytes.data() + 8, sizeof high);
        return value ^ (high * 0x9E37'79B9'7F4A'7C15ull);
    }
};

class JournaledMessages {
  public:
    // Open addressing: recovery looks up or inserts every message of the journal, and a node per
    // entry (std::unordered_map) made that a cache miss and an allocation each.
    using Map = boost::unordered_flat_map<MessageId, JournalLocation, MessageIdHash>;

    // False (and the first location kept) if the message is already live.
    bool add(const MessageId& id, JournalLocation location);
    // The message was deleted: false if it was not live. Its deduplication id stays remembered
    // if its window is still open at now_ns.
    bool remove(const MessageId& id, std::int64_t now_ns);
    // A message_remembered record replayed (ignored if the message is known already).
    void remember(const MessageId& id, JournalLocation location);
    // Valid until the next change of this object.
    [[nodiscard]] const JournalLocation* find(const MessageId& id) const;
    [[nodiscard]] const JournalLocation* find_remembered(const MessageId& id) const;
    // A live message whose sealed record could not be opened at recovery (its data key or master
    // key is missing, or its tag fails): it is not in the queue, but its record keeps standing
    // (never journaled as deleted, carried by compaction with its data key) so that it comes back
    // once its key does. It leaves live(), so a reconcile does not take it for deleted.
    void set_unreadable(const MessageId& id);
    [[nodiscard]] const JournalLocation* find_unreadable(const MessageId& id) const;
    void relocate_unreadable(const MessageId& id, std::uint64_t sequence);
    [[nodiscard]] std::size_t unreadable_count() const noexcept { return unreadable_.size(); }
    // Its standing record is now the one at sequence (compaction rewrote it).
    void relocate(const MessageId& id, std::uint64_t sequence);
    // A remembered message's ids were carried as a new record (sealed anew under data_key_id).
    void relocate_remembered(const MessageId& id, std::uint64_t sequence, std::uint32_t bytes,
                             std::uint64_t data_key_id);
    // Forgets remembered ids whose window closed.
    void prune(std::int64_t now_ns);

    [[nodiscard]] std::size_t size() const noexcept { return live_.size(); }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; } // live and remembered
    // Standing records (live and remembered) sealed under the data key.
    [[nodiscard]] std::uint64_t sealed_with(std::uint64_t data_key_id) const;
    [[nodiscard]] const Map& live() const noexcept { return live_; }
    [[nodiscard]] const Map& remembered() const noexcept { return remembered_; }
    [[nodiscard]] auto begin() const noexcept { return live_.begin(); }
    [[nodiscard]] auto end() const noexcept { return live_.end(); }

  private:
    Map live_;
    Map remembered_;
    Map unreadable_;
    std::uint64_t bytes_ = 0;
    void count_sealed(std::uint64_t data_key_id, bool standing);
    boost::unordered_flat_map<std::uint64_t, std::uint64_t> sealed_counts_; // data key id -> standing records
};

} // namespace shmq::daemon
