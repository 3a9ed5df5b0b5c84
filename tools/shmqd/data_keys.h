// DataKeys: the AES-256-GCM keys that seal a queue's journal records (issue 11, encryption at
// rest). Each is generated for one queue, wrapped by a master key of the key ring (key_ring.h)
// and journaled wrapped, as a data_key record, before the first record it seals:
//
//   queue (u32 length, bytes) · data key id (u64, random, never 0) · created_ns (i64)
//   · master key id (u32 length, bytes) · box: the key wrapped by the master key (12 + 32 + 16),
//     bound to the record type and every clear byte before it
//
// A queue's current key is replaced by a fresh one when its master key changes, when it is older
// than the queue's KmsDataKeyReusePeriodSeconds, and at every start of shmqd (a key is only ever
// used by the run that made it, so its nonce counter never repeats). Old keys stay known as long
// as a standing record is sealed with them: the compactor carries a data_key record forward while
// its queue's JournaledMessages count a record under its id, or while it is the queue's current key.
//
// Recovery replays data_key records first in journal order (a key always precedes what it
// seals; a carried key may come later, which is why messages are opened only in the restore pass,
// once every key is known). A key whose master is missing from the key ring, or whose box fails,
// is reported and unknown: the records it sealed are reported unreadable, never guessed at.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "journal/journal_writer.h"
#include "key_ring.h"
#include "sealing_key.h"

namespace shmq::daemon {

// A data key seals at most this many records (GCM with 96-bit nonces is safe far beyond; this
// keeps every key's use within what NIST SP 800-38D states for any nonce construction).
inline constexpr std::uint64_t data_key_records_max = 1ull << 32;

struct DataKey {
    std::uint64_t id = 0;
    std::string queue;
    std::string master_key_id;
    std::int64_t created_ns = 0;
    std::uint64_t sealed_records = 0; // by this run
    SealingKey key;
};

// How a queue's records are sealed: under a master key of the ring, or not at all.
struct QueueSealing {
    MasterKey* master = nullptr; // nullptr: plain records (SqsManagedSseEnabled=false, no KmsMasterKeyId)
    std::int64_t reuse_period_ns = 300'000'000'000; // KmsDataKeyReusePeriodSeconds
};

// The queue and id a data_key record names (no key needed); nullopt when it does not parse.
struct DataKeyIdentity {
    std::string_view queue;
    std::uint64_t id = 0;
};
[[nodiscard]] std::optional<DataKeyIdentity> identify_data_key(std::span<const std::byte> payload);

class DataKeys {
  public:
    // ring: where master keys are found (must outlive this); nullptr when shmqd has none.
    explicit DataKeys(KeyRing* ring) : ring_(ring) {}

    enum class Replayed { known, malformed, master_missing, unwrap_failed };
    // A data_key record read back: the key is known from now on, unless the result says why not.
    Replayed replay(std::span<const std::byte> payload);

    // The key the next record of queue is sealed with, generated (and its data_key record
    // appended to journal) when the queue has none usable at now_ns.
    [[nodiscard]] Result<DataKey*> current(std::string_view queue, const QueueSealing& sealing, std::int64_t now_ns,
                                           journal::JournalWriter& journal);
    [[nodiscard]] DataKey* find(std::uint64_t id);
    [[nodiscard]] bool is_current(std::uint64_t id) const;
    // The key's record was not carried (nothing stands sealed with it): it is forgotten.
    void retire(std::uint64_t id);
    // Forgets every key but the current ones for which in_use(key) is false.
    void retire_unused(const std::function<bool(const DataKey&)>& in_use);
    // The queue was deleted: its keys go with its records.
    void forget_queue(std::string_view queue);
    [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }

  private:
    KeyRing* ring_;
    boost::unordered_flat_map<std::uint64_t, std::unique_ptr<DataKey>> keys_;
    std::map<std::string, std::uint64_t, std::less<>> current_; // queue -> its current key's id
    std::vector<std::byte> scratch_;
};

} // namespace shmq::daemon
