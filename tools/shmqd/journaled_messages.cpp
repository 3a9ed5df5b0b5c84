// What the journal holds for one queue (see journaled_messages.h).
#include "journaled_messages.h"

namespace shmq::daemon {

bool JournaledMessages::add(const MessageId& id, JournalLocation location) {
    if (!live_.emplace(id, location).second) {
        return false;
    }
    bytes_ += location.bytes;
    count_sealed(location.data_key_id, true);
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
        count_sealed(found->second.data_key_id, false);
    }
    live_.erase(found);
    return true;
}

void JournaledMessages::remember(const MessageId& id, JournalLocation location) {
    if (live_.contains(id) || !remembered_.emplace(id, location).second) {
        return;
    }
    bytes_ += location.bytes;
    count_sealed(location.data_key_id, true);
}

const JournalLocation* JournaledMessages::find(const MessageId& id) const {
    const auto found = live_.find(id);
    return found == live_.end() ? nullptr : &found->second;
}

const JournalLocation* JournaledMessages::find_remembered(const MessageId& id) const {
    const auto found = remembered_.find(id);
    return found == remembered_.end() ? nullptr : &found->second;
}

void JournaledMessages::set_unreadable(const MessageId& id) {
    if (const auto found = live_.find(id); found != live_.end()) {
        unreadable_.insert(*found); // bytes and sealed counts stay: the record still stands
        live_.erase(found);
    }
}

const JournalLocation* JournaledMessages::find_unreadable(const MessageId& id) const {
    const auto found = unreadable_.find(id);
    return found == unreadable_.end() ? nullptr : &found->second;
}

void JournaledMessages::relocate_unreadable(const MessageId& id, std::uint64_t sequence) {
    if (const auto found = unreadable_.find(id); found != unreadable_.end()) {
        found->second.sequence = sequence;
    }
}

void JournaledMessages::relocate(const MessageId& id, std::uint64_t sequence) {
    if (const auto found = live_.find(id); found != live_.end()) {
        found->second.sequence = sequence;
    }
}

void JournaledMessages::relocate_remembered(const MessageId& id, std::uint64_t sequence, std::uint32_t bytes,
                                            std::uint64_t data_key_id) {
    if (const auto found = remembered_.find(id); found != remembered_.end()) {
        bytes_ = bytes_ - found->second.bytes + bytes;
        found->second.sequence = sequence;
        found->second.bytes = bytes;
        count_sealed(found->second.data_key_id, false);
        found->second.data_key_id = data_key_id;
        count_sealed(data_key_id, true);
    }
}

void JournaledMessages::prune(std::int64_t now_ns) {
    boost::unordered::erase_if(remembered_, [&](const auto& entry) {
        if (entry.second.remember_until_ns > now_ns) {
            return false;
        }
        bytes_ -= entry.second.bytes;
        count_sealed(entry.second.data_key_id, false);
        return true;
    });
}

std::uint64_t JournaledMessages::sealed_with(std::uint64_t data_key_id) const {
    const auto found = sealed_counts_.find(data_key_id);
    return found == sealed_counts_.end() ? 0 : found->second;
}

void JournaledMessages::count_sealed(std::uint64_t data_key_id, bool standing) {
    if (data_key_id == 0) {
        return;
    }
    if (standing) {
        ++sealed_counts_[data_key_id];
    } else if (const auto found = sealed_counts_.find(data_key_id); found != sealed_counts_.end() && --found->second == 0) {
        sealed_counts_.erase(found);
    }
}

} // namespace shmq::daemon
