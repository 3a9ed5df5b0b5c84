// A queue's attributes as SQS defines them: parsing and validating the string map of
// CreateQueue / SetQueueAttributes, the values GetQueueAttributes reports, and the JSON form kept
// in the region's config buffer (attributes and tags together).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/client.h"
#include "shmq/error.h"
#include "shmq/queue_name.h"

namespace shmq::sqs {

struct QueueConfig {
    std::uint32_t visibility_timeout_s = 30;
    std::uint32_t delay_s = 0;
    std::uint32_t retention_s = 345'600;
    std::uint32_t maximum_message_size = 1'048'576;
    std::uint32_t receive_wait_time_s = 0;
    bool fifo = false;
    bool content_based_deduplication = false;
    std::string policy;
    std::string redrive_policy;       // as given (normalised JSON); empty: none
    std::string redrive_allow_policy; // as given; empty: allowAll
    std::string kms_master_key_id;
    std::uint32_t kms_data_key_reuse_period_s = 300;
    bool sqs_managed_sse_enabled = true;
    std::string deduplication_scope;   // FIFO only: queue | messageGroup
    std::string fifo_throughput_limit; // FIFO only: perQueue | perMessageGroupId
    std::string durability = "memory"; // shmq: memory | async | sync (shmqd journals sends and deletes)
    std::uint32_t message_capacity = 0; // shmq: messages the region holds, set at creation (0: default)
    std::uint64_t message_bytes_capacity = 0; // shmq: bytes of bodies over the inline size, likewise

    // Parsed from redrive_policy.
    std::string dead_letter_target_name;
    std::uint32_t max_receive_count = 0;
};

// shmq's own queue attributes: settable, returned only when asked for by name (never in "All",
// so AWS clients see the attribute set they expect).
[[nodiscard]] const std::vector<std::string>& extension_attribute_names();

// The attribute names SQS knows; settable ones first.
[[nodiscard]] const std::vector<std::string>& settable_attribute_names();
[[nodiscard]] const std::vector<std::string>& all_attribute_names();

// Applies the attributes onto config. creating: FifoQueue may be set (else it is an error to
// change it). Unknown names are InvalidAttributeName; bad values InvalidAttributeValue. The ARNs
// of RedrivePolicy and RedriveAllowPolicy must be queue ARNs of scope; scope null: of any
// region and account (a configuration read back from a region, checked when it was set).
[[nodiscard]] Status apply_attributes(QueueConfig& config, const QueueAttributes& attributes, bool creating,
                                      std::string_view queue_name, const QueueScope* scope);

// The value GetQueueAttributes reports for a settable attribute; empty if SQS omits it.
[[nodiscard]] std::string attribute_value(const QueueConfig& config, std::string_view name);

// RedriveAllowPolicy check: may the queue source of scope use this queue as its dead-letter queue?
[[nodiscard]] bool redrive_allowed(const QueueConfig& dead_letter_config, const QueueName& source,
                                   const QueueScope& scope);

[[nodiscard]] std::string serialize_config(const QueueConfig& config, const QueueTags& tags);
[[nodiscard]] Result<std::pair<QueueConfig, QueueTags>> parse_config(std::string_view json);

} // namespace shmq::sqs
