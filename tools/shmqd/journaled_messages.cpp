// The live messages of one queue's journal (see journaled_messages.h).
#include "journaled_messages.h"

namespace shmq::daemon {

bool JournaledMessages::add(const MessageId& id, JournalLocation location) {
    if (!messages_.emplace(id, location).second) {
        return false;
    }
    bytes_ += location.bytes;
    return true;
}

bool JournaledMessages::remove(const MessageId& id) {
    const auto found = messages_.find(id);
    if (found == messages_.end()) {
        return false;
    }
    bytes_ -= found->second.bytes;
    messages_.erase(found);
    return true;
}

const JournalLocation* JournaledMessages::find(const MessageId& id) const {
    const auto found = messages_.find(id);
    return found == messages_.end() ? nullptr : &found->second;
}

void JournaledMessages::relocate(const MessageId& id, std::uint64_t sequence) {
    if (const auto found = messages_.find(id); found != messages_.end()) {
        found->second.sequence = sequence;
    }
}

void JournaledMessages::clear() {
    messages_.clear();
    bytes_ = 0;
}

} // namespace shmq::daemon
