// The queue definitions shmqd keeps in the journal: name, settable attributes, tags and region
// capacity, enough to create the queue again after the host lost its shared memory. A definition
// is journaled whole (queue_created, then queue_config after each attribute or tag change) and
// queue_deleted removes it, so replaying the journal in order leaves the latest of each queue.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "journal/record.h"
#include "journaled_messages.h"
#include "shmq/client.h"

namespace shmq::daemon {

struct QueueDefinition {
    std::string name;
    QueueAttributes attributes; // settable ones only (no counters, timestamps or ARN)
    QueueTags tags;
    QueueCapacity capacity;
};

// The definition of a live queue, read through the client; nullopt if it vanished meanwhile.
[[nodiscard]] std::optional<QueueDefinition> read_definition(const Client& client, const std::string& name);

[[nodiscard]] std::vector<std::byte> encode_definition(const QueueDefinition& definition);
[[nodiscard]] std::vector<std::byte> encode_deletion(const std::string& name);

class QueueCatalog {
  public:
    // Applies one journal record; false (and the catalog unchanged) for a payload that does not
    // parse, which the caller reports.
    bool apply(const journal::RecordView& record);
    [[nodiscard]] const std::map<std::string, QueueDefinition>& queues() const noexcept { return queues_; }

    // Where each live definition stands in the journal (for compaction): the queue whose current
    // definition is the record at sequence, if any; the record's new place once rewritten; the
    // bytes all current definitions take.
    [[nodiscard]] const std::string* defined_at(std::uint64_t sequence) const;
    void relocate(const std::string& name, std::uint64_t sequence);
    [[nodiscard]] std::uint64_t live_bytes() const;

  private:
    std::map<std::string, QueueDefinition> queues_;
    std::map<std::string, JournalLocation> locations_;
};

} // namespace shmq::daemon
