// shmqd's config file (--config FILE): TOML, edited by hand, read with toml++. Today it declares
// the queues shmqd keeps in its namespace, each with CreateQueue's attributes and tags:
//
//   [queues.orders]
//   attributes = { VisibilityTimeout = 60, Durability = "async", MessageCapacity = 100000 }
//   tags = { team = "payments" }
//
//   [queues."orders.fifo"]
//   attributes = { FifoQueue = true, ContentBasedDeduplication = true }
//
// Attribute values may be written as TOML strings, integers or booleans (they are SQS's strings
// either way). At start, a declared queue that does not exist is created; one that exists gets
// the declared attributes and tags set (attributes it does not name keep their values; those
// fixed at creation, FifoQueue and the capacities, must match or are reported). Every error names
// the file, the line and column, and the key: an unknown key, a value of the wrong type, a queue
// name SQS would refuse, or what the queue's creation answered.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <string>
#include <vector>

#include "bridge/bridge_settings.h"
#include "shmq/client.h"
#include "shmq/error.h"

namespace shmq::daemon {

struct DeclaredQueue {
    std::string name;
    QueueAttributes attributes;
    QueueTags tags;
    std::string where; // "FILE:LINE:COLUMN", of the queue's table: for errors about it
};

struct DaemonConfig {
    std::vector<DeclaredQueue> queues;
    std::vector<bridge::BridgeSettings> bridges; // checked; started after the queues exist
};

// The file at path, parsed and checked (not applied). A config file is trusted with queues: one
// that is not a regular file, is over 1 MiB, is owned by another user than us or root, or that
// its group or others may write is refused (client::TrustedFile::config).
[[nodiscard]] Result<DaemonConfig> read_config_file(const std::string& path);
// The same checks on text already read (name: what errors call it).
[[nodiscard]] Result<DaemonConfig> parse_config(std::string_view text, const std::string& name);

// Creates or updates each declared queue through client, in the file's order, then sets the
// RedrivePolicy of those that declare one (a dead-letter queue may be declared after the queues
// that name it); what was done, one line per queue (created, or updated), or the first error
// with its place in the file. kms_key_exists (shmqd's
// key ring) checks a KmsMasterKeyId as CreateQueue over HTTP does.
[[nodiscard]] Result<std::vector<std::string>>
apply_declared_queues(const Client& client, const DaemonConfig& config,
                      const std::function<bool(std::string_view)>& kms_key_exists = {});

} // namespace shmq::daemon
