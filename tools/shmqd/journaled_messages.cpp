// What the journal holds for one queue (see journaled_messages.h).
#include "journaled_messages.h"

namespace shmq::daemon {

bool JournaledMessages::add(const MessageId& id, JournalLocation location) {
    if (!live_.emplace(id, location).second) {
        return false;
    }
    bytes_ += location.bytes;
    return true;
}

bool JournaledMessages::remove(const MessageId& id, std::int64_t now_ns) {
    const auto found = live_.find(id);
    if (found == live_.end()) {
        return false;
    }
    if (found->second.remember_until_ns > now_ns) {
        remembered_.insert(*found); // the record keeps standing, for its ids
    } else {
        bytes_ -= found->second.bytes;
    }
    live_.erase(found);
    return true;
}

void JournaledMessages::remember(const MessageId& id, JournalLocation location) {
    if (live_.contains(id) || !remembered_.emplace(id, location).second) {
        return;
    }
    bytes_ += location.bytes;
}

const JournalLocation* JournaledMessages::find(const MessageId& id) const {
    const auto found = live_.find(id);
    return found == live_.end() ? nullptr : &found->second;
}

const JournalLocation* JournaledMessages::find_remembered(const MessageId& id) const {
    const auto found = remembered_.find(id);
    return found == remembered_.end() ? nullptr : &found->second;
}

void JournaledMessages::relocate(const MessageId& id, std::uint64_t sequence) {
    if (const auto found = live_.find(id); found != live_.end()) {
        found->second.sequence = sequence;
    }
}

void JournaledMessages::relocate_remembered(const MessageId& id, std::uint64_t sequence, std::uint32_t bytes) {
    if (const auto found = remembered_.find(id); found != remembered_.end()) {
        bytes_ = bytes_ - found->second.bytes + bytes;
        found->second.sequence = sequence;
        found->second.bytes = bytes;
    }
}

void JournaledMessages::prune(std::int64_t now_ns) {
    boost::unordered::erase_if(remembered_, [&](const auto& entry) {
        if (entry.second.remember_until_ns > now_ns) {
            return false;
        }
        bytes_ -= entry.second.bytes;
        return true;
    });
}

} // namespace shmq::daemon
