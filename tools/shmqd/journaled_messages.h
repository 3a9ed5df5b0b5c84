// JournaledMessages: which messages of one queue the journal holds live, and where: the sequence
// of the message_sent record that stands for each (the first one, if recovery or compaction left
// two) and its framed size. DurableQueue consults it so that nothing is journaled twice and no
// deletion is journaled for a message the journal never held; the compactor consults it to carry
// live records forward out of old segments and to weigh the live data against the disk used.
#pragma once

#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "shmq/message.h"

namespace shmq::daemon {

struct JournalLocation {
    std::uint64_t sequence = 0;
    std::uint32_t bytes = 0; // framed record size
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
    // False (and the first location kept) if the message is already live.
    bool add(const MessageId& id, JournalLocation location);
    // False if it was not live.
    bool remove(const MessageId& id);
    [[nodiscard]] const JournalLocation* find(const MessageId& id) const;
    // Its standing record is now the one at sequence (compaction rewrote it).
    void relocate(const MessageId& id, std::uint64_t sequence);
    void clear();

    [[nodiscard]] std::size_t size() const noexcept { return messages_.size(); }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] auto begin() const noexcept { return messages_.begin(); }
    [[nodiscard]] auto end() const noexcept { return messages_.end(); }

  private:
    std::unordered_map<MessageId, JournalLocation, MessageIdHash> messages_;
    std::uint64_t bytes_ = 0;
};

} // namespace shmq::daemon
