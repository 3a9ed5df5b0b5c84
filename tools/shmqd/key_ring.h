// KeyRing: shmqd's master keys, which wrap the data keys that seal journal records (issue 11).
// They live in one JSON file (--key-file, default <data dir>/keys.json), which shmqd creates on
// its first start with two keys: the SQS-managed key (what SqsManagedSseEnabled=true queues use)
// and the key of alias `alias/aws/sqs` (AWS's managed KMS key, which every account has). An
// operator adds keys by hand:
//
//   { "managed_key": "<id of the SQS-managed key>",
//     "keys": [ { "id": "<KMS-style key id>", "aliases": ["alias/payments"],
//                 "material": "<base64 of 32 random bytes: openssl rand -base64 32>",
//                 "created": "2026-12-07T10:00:00Z" }, ... ] }
//
// The file is a secret: it must be a regular file (not a symbolic link) owned by shmqd's user and
// readable by nobody else (mode 0600 or stricter), or shmqd refuses to start. Losing it loses
// every sealed message of the journal: back it up apart from the journal.
//
// A queue's KmsMasterKeyId names a key as KMS accepts it: key id, `alias/NAME`, or their ARNs
// (arn:aws:kms:<region>:<account>:key/<id> or .../alias/<name>) in shmqd's region and account.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sealing_key.h"
#include "shmq/error.h"
#include "shmq/queue_name.h"

namespace shmq::daemon {

// Bounds on an untrusted key file.
inline constexpr std::size_t key_file_bytes_max = 1u << 20;
inline constexpr std::size_t key_ring_keys_max = 1'000;
inline constexpr std::size_t key_aliases_max = 50;
inline constexpr std::size_t key_name_length_max = 256; // ids and aliases, as KMS bounds alias names
inline constexpr std::string_view aws_managed_sqs_alias = "alias/aws/sqs";

struct MasterKey {
    std::string id;
    std::vector<std::string> aliases;
    SealingKey key;
};

class KeyRing {
  public:
    // Reads path, or creates it (0600, with the SQS-managed key and alias/aws/sqs) when it does
    // not exist. Errors name the file and what is wrong with it.
    [[nodiscard]] static Result<KeyRing> open_or_create(const std::string& path, const QueueScope& scope);

    // The key a KmsMasterKeyId names, or nullptr.
    [[nodiscard]] MasterKey* find(std::string_view key_id);
    // What SqsManagedSseEnabled=true queues are sealed under.
    [[nodiscard]] MasterKey& managed() { return *keys_[managed_index_]; }
    [[nodiscard]] MasterKey* by_id(std::string_view id);
    // Whether find(key_id) finds a key: safe from any thread (the ring never changes once read).
    [[nodiscard]] bool knows(std::string_view key_id) const { return const_cast<KeyRing*>(this)->find(key_id) != nullptr; }
    [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }

  private:
    KeyRing() = default;
    std::vector<std::unique_ptr<MasterKey>> keys_; // stable addresses: data keys point at their master
    std::size_t managed_index_ = 0;
    QueueScope scope_;
};

} // namespace shmq::daemon
