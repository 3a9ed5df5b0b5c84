// SQS queue attributes (see queue_config.h). Limits come from limits.h; error messages follow
// what SQS answers for the same input.
#include "sqs/queue_config.h"

#include <boost/json.hpp>
#include <charconv>

#include "shmq/limits.h"
#include "sqs/access_policy.h"

namespace shmq::sqs {
namespace json = boost::json;
namespace {

Status invalid_value(std::string_view name, std::string_view reason = {}) {
    std::string message = "Invalid value for the parameter " + std::string(name) + ".";
    if (!reason.empty()) {
        message += " Reason: " + std::string(reason);
    }
    return {Errc::invalid_attribute_value, std::move(message)};
}

template <class Unsigned>
bool parse_uint(std::string_view text, std::int64_t minimum, std::int64_t maximum, Unsigned& out) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (text.empty() || result.ec != std::errc{} || result.ptr != end || value < minimum || value > maximum) {
        return false;
    }
    out = static_cast<Unsigned>(value);
    return true;
}

bool parse_bool(std::string_view text, bool& out) {
    if (text == "true" || text == "True" || text == "TRUE") {
        out = true;
        return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
        out = false;
        return true;
    }
    return false;
}

Status apply_redrive_policy(QueueConfig& config, std::string_view text, const QueueScope* scope) {
    if (text.empty()) {
        config.redrive_policy.clear();
        config.dead_letter_target_name.clear();
        config.max_receive_count = 0;
        return {};
    }
    const auto invalid = [&](std::string_view reason) {
        return Status{Errc::invalid_parameter_value,
                      "Value " + std::string(text) +
                          " for parameter RedrivePolicy is invalid. Reason: " + std::string(reason)};
    };
    boost::system::error_code error;
    json::value parsed = json::parse(text, error);
    if (error || !parsed.is_object()) {
        return invalid("Redrive policy is not a valid JSON map.");
    }
    const json::object& object = parsed.as_object();
    const json::value* arn = object.if_contains("deadLetterTargetArn");
    const json::value* count = object.if_contains("maxReceiveCount");
    if (arn == nullptr || !arn->is_string()) {
        return invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
    }
    if (count == nullptr) {
        return invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
    }
    std::uint32_t max_receive_count = 0;
    if (count->is_int64()) {
        const std::int64_t value = count->as_int64();
        if (value < 1 || value > limits::max_receive_count_max) {
            return invalid("Invalid value for maxReceiveCount: " + std::to_string(value) +
                           ", valid values are from 1 to 1000 both inclusive.");
        }
        max_receive_count = static_cast<std::uint32_t>(value);
    } else if (count->is_string()) {
        if (!parse_uint(count->as_string(), 1, limits::max_receive_count_max, max_receive_count)) {
            return invalid("Invalid value for maxReceiveCount: " + std::string(count->as_string()) +
                           ", valid values are from 1 to 1000 both inclusive.");
        }
    } else {
        return invalid("Invalid value for maxReceiveCount.");
    }
    std::optional<QueueName> target;
    if (scope == nullptr) {
        target = queue_name_of_any_arn(arn->as_string());
    } else {
        ParsedQueueArn target_arn = parse_queue_arn(arn->as_string(), *scope);
        if (target_arn.fault == ArnFault::other_region) {
            return invalid("Dead-letter target must be in same region as the source.");
        }
        if (target_arn.fault == ArnFault::other_account) {
            return invalid("Dead-letter target owner should be same as the source.");
        }
        target = std::move(target_arn.name);
    }
    if (!target) {
        return invalid("Invalid value for deadLetterTargetArn.");
    }
    json::object normalised;
    normalised["deadLetterTargetArn"] = arn->as_string();
    normalised["maxReceiveCount"] = max_receive_count;
    config.redrive_policy = json::serialize(normalised);
    config.dead_letter_target_name = target->text();
    config.max_receive_count = max_receive_count;
    return {};
}

Status apply_redrive_allow_policy(QueueConfig& config, std::string_view text) {
    if (text.empty()) {
        config.redrive_allow_policy.clear();
        return {};
    }
    const auto invalid = [&](std::string_view reason) {
        return Status{Errc::invalid_parameter_value,
                      "Value " + std::string(text) +
                          " for parameter RedriveAllowPolicy is invalid. Reason: " + std::string(reason)};
    };
    boost::system::error_code error;
    json::value parsed = json::parse(text, error);
    if (error || !parsed.is_object()) {
        return invalid("Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.");
    }
    const json::object& object = parsed.as_object();
    const json::value* permission = object.if_contains("redrivePermission");
    if (permission == nullptr || !permission->is_string()) {
        return invalid("Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.");
    }
    const std::string_view value = permission->as_string();
    const json::value* sources = object.if_contains("sourceQueueArns");
    if (value == "byQueue") {
        if (sources == nullptr || !sources->is_array() || sources->as_array().empty()) {
            return invalid("Amazon SQS can't create the redrive allow policy. To specify one or more source queues, "
                           "you must set redrivePermission to byQueue.");
        }
        if (sources->as_array().size() > limits::redrive_allow_source_queues_max) {
            return invalid("Amazon SQS can't create the redrive allow policy. The maximum number of source queue ARNs "
                           "you can specify is 10.");
        }
        // Queue ARNs, of any region or account (one of another never matches a source of ours).
        for (const json::value& arn : sources->as_array()) {
            if (!arn.is_string() || !queue_name_of_any_arn(arn.as_string())) {
                return invalid("Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.");
            }
        }
    } else if (value == "allowAll" || value == "denyAll") {
        if (sources != nullptr) {
            return invalid("Amazon SQS can't create the redrive allow policy. To specify one or more source queues, "
                           "you must set redrivePermission to byQueue.");
        }
    } else {
        return invalid("Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.");
    }
    config.redrive_allow_policy = json::serialize(parsed);
    return {};
}

} // namespace

const std::vector<std::string>& settable_attribute_names() {
    static const std::vector<std::string> names = {"DelaySeconds",
                                                   "MaximumMessageSize",
                                                   "MessageRetentionPeriod",
                                                   "Policy",
                                                   "ReceiveMessageWaitTimeSeconds",
                                                   "VisibilityTimeout",
                                                   "RedrivePolicy",
                                                   "RedriveAllowPolicy",
                                                   "FifoQueue",
                                                   "ContentBasedDeduplication",
                                                   "KmsMasterKeyId",
                                                   "KmsDataKeyReusePeriodSeconds",
                                                   "SqsManagedSseEnabled",
                                                   "DeduplicationScope",
                                                   "FifoThroughputLimit"};
    return names;
}

const std::vector<std::string>& extension_attribute_names() {
    static const std::vector<std::string> names = {"Durability", "MessageCapacity", "MessageBytesCapacity"};
    return names;
}

const std::vector<std::string>& all_attribute_names() {
    static const std::vector<std::string> names = {"ApproximateNumberOfMessages",
                                                   "ApproximateNumberOfMessagesDelayed",
                                                   "ApproximateNumberOfMessagesNotVisible",
                                                   "CreatedTimestamp",
                                                   "DelaySeconds",
                                                   "LastModifiedTimestamp",
                                                   "MaximumMessageSize",
                                                   "MessageRetentionPeriod",
                                                   "Policy",
                                                   "QueueArn",
                                                   "ReceiveMessageWaitTimeSeconds",
                                                   "RedrivePolicy",
                                                   "RedriveAllowPolicy",
                                                   "VisibilityTimeout",
                                                   "KmsMasterKeyId",
                                                   "KmsDataKeyReusePeriodSeconds",
                                                   "SqsManagedSseEnabled",
                                                   "FifoQueue",
                                                   "ContentBasedDeduplication",
                                                   "DeduplicationScope",
                                                   "FifoThroughputLimit"};
    return names;
}

Status apply_attributes(QueueConfig& config, const QueueAttributes& attributes, bool creating,
                        std::string_view queue_name, const QueueScope* scope) {
    // FifoQueue first: other attributes depend on it.
    if (const auto fifo = attributes.find("FifoQueue"); fifo != attributes.end()) {
        if (!creating && !config.fifo) {
            // SQS: a standard queue knows no FifoQueue attribute to set, whatever its value.
            return {Errc::invalid_attribute_name, "Unknown Attribute FifoQueue."};
        }
        bool value = false;
        if (!parse_bool(fifo->second, value)) {
            return invalid_value("FifoQueue");
        }
        if (!creating && value != config.fifo) {
            return invalid_value("FifoQueue", "Modifying queue type is not supported.");
        }
        if (creating && !value) {
            // SQS: FifoQueue=false is not accepted as an attribute of a standard queue.
            return {Errc::invalid_attribute_name, "Unknown Attribute FifoQueue."};
        }
        config.fifo = value;
    }
    const bool name_is_fifo = queue_name.ends_with(".fifo");
    if (creating && config.fifo != name_is_fifo) {
        return {Errc::invalid_parameter_value,
                config.fifo ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                              "underscores, must end with .fifo suffix and be 1 to 80 in length."
                            : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"};
    }
    for (const auto& [name, value] : attributes) {
        if (name == "FifoQueue") {
            continue;
        }
        if (name == "VisibilityTimeout") {
            if (!parse_uint(value, 0, limits::visibility_timeout_s_max, config.visibility_timeout_s)) {
                return invalid_value(name);
            }
        } else if (name == "DelaySeconds") {
            if (!parse_uint(value, 0, limits::delay_s_max, config.delay_s)) {
                return invalid_value(name);
            }
        } else if (name == "MessageRetentionPeriod") {
            if (!parse_uint(value, limits::retention_s_min, limits::retention_s_max, config.retention_s)) {
                return invalid_value(name);
            }
        } else if (name == "MaximumMessageSize") {
            if (!parse_uint(value, limits::message_size_min_setting, limits::message_size_max,
                            config.maximum_message_size)) {
                return invalid_value(name);
            }
        } else if (name == "ReceiveMessageWaitTimeSeconds") {
            if (!parse_uint(value, 0, limits::wait_time_s_max, config.receive_wait_time_s)) {
                return invalid_value(name);
            }
        } else if (name == "Policy") {
            if (!value.empty() && !AccessPolicy::parse(value)) { // enforced as read: refuse what cannot be
                return invalid_value(name);
            }
            config.policy = value;
        } else if (name == "RedrivePolicy") {
            if (Status status = apply_redrive_policy(config, value, scope); !status) {
                return status;
            }
        } else if (name == "RedriveAllowPolicy") {
            if (Status status = apply_redrive_allow_policy(config, value); !status) {
                return status;
            }
        } else if (name == "KmsMasterKeyId") {
            config.kms_master_key_id = value;
            if (!value.empty()) {
                config.sqs_managed_sse_enabled = false;
            }
        } else if (name == "KmsDataKeyReusePeriodSeconds") {
            if (!parse_uint(value, 60, 86'400, config.kms_data_key_reuse_period_s)) {
                return invalid_value(name);
            }
        } else if (name == "SqsManagedSseEnabled") {
            if (!parse_bool(value, config.sqs_managed_sse_enabled)) {
                return invalid_value(name);
            }
            if (config.sqs_managed_sse_enabled) {
                config.kms_master_key_id.clear();
            }
        } else if (name == "ContentBasedDeduplication") {
            if (!config.fifo) {
                return {Errc::invalid_attribute_name, "Unknown Attribute ContentBasedDeduplication."};
            }
            if (!parse_bool(value, config.content_based_deduplication)) {
                return invalid_value(name);
            }
        } else if (name == "DeduplicationScope") {
            if (!config.fifo) {
                return {Errc::invalid_attribute_name,
                        "You can specify the DeduplicationScope only when FifoQueue is set to true."};
            }
            if (value != "queue" && value != "messageGroup") {
                return invalid_value(name);
            }
            config.deduplication_scope = value;
        } else if (name == "Durability") {
            if (value != "memory" && value != "async" && value != "sync") {
                return invalid_value(name);
            }
            config.durability = value;
        } else if (name == "MessageCapacity") {
            // The region is sized when the queue is made: a queue created over HTTP has no other
            // way to ask for more than the default (an SQS queue never fills; a region does).
            if (!creating) {
                return invalid_value(name, "MessageCapacity can only be set when the queue is created.");
            }
            if (!parse_uint(value, limits::slot_count_min, limits::slot_count_max, config.message_capacity)) {
                return invalid_value(name, "MessageCapacity must be between " + std::to_string(limits::slot_count_min) +
                                               " and " + std::to_string(limits::slot_count_max) + ".");
            }
        } else if (name == "MessageBytesCapacity") {
            // Bytes of bodies larger than a slot's inline area the region holds, likewise fixed.
            if (!creating) {
                return invalid_value(name, "MessageBytesCapacity can only be set when the queue is created.");
            }
            if (!parse_uint(value, limits::message_bytes_capacity_min, limits::message_bytes_capacity_max,
                            config.message_bytes_capacity)) {
                return invalid_value(name, "MessageBytesCapacity must be between " +
                                               std::to_string(limits::message_bytes_capacity_min) + " and " +
                                               std::to_string(limits::message_bytes_capacity_max) + " bytes.");
            }
        } else if (name == "FifoThroughputLimit") {
            if (!config.fifo) {
                return {Errc::invalid_attribute_name,
                        "You can specify the FifoThroughputLimit only when FifoQueue is set to true."};
            }
            if (value != "perQueue" && value != "perMessageGroupId") {
                return invalid_value(name);
            }
            config.fifo_throughput_limit = value;
        } else {
            return {Errc::invalid_attribute_name, "Unknown Attribute " + name + "."};
        }
    }
    if (config.fifo) {
        if (config.deduplication_scope.empty()) {
            config.deduplication_scope = "queue";
        }
        if (config.fifo_throughput_limit.empty()) {
            config.fifo_throughput_limit = "perQueue";
        }
        // SQS: per-message-group throughput needs message-group deduplication scope.
        if (config.fifo_throughput_limit == "perMessageGroupId" && config.deduplication_scope != "messageGroup") {
            return {Errc::invalid_attribute_value,
                    "Invalid value for the parameter FifoThroughputLimit. Reason: To enable high throughput for FIFO "
                    "queues, do the following: Set DeduplicationScope to messageGroup. Set FifoThroughputLimit to "
                    "perMessageGroupId."};
        }
    }
    return {};
}

std::string attribute_value(const QueueConfig& config, std::string_view name) {
    if (name == "VisibilityTimeout")
        return std::to_string(config.visibility_timeout_s);
    if (name == "DelaySeconds")
        return std::to_string(config.delay_s);
    if (name == "MessageRetentionPeriod")
        return std::to_string(config.retention_s);
    if (name == "MaximumMessageSize")
        return std::to_string(config.maximum_message_size);
    if (name == "ReceiveMessageWaitTimeSeconds")
        return std::to_string(config.receive_wait_time_s);
    if (name == "Policy")
        return config.policy;
    if (name == "RedrivePolicy")
        return config.redrive_policy;
    if (name == "RedriveAllowPolicy")
        return config.redrive_allow_policy;
    if (name == "KmsMasterKeyId")
        return config.kms_master_key_id;
    if (name == "KmsDataKeyReusePeriodSeconds") {
        return config.kms_master_key_id.empty() ? std::string{} : std::to_string(config.kms_data_key_reuse_period_s);
    }
    if (name == "SqsManagedSseEnabled")
        return config.sqs_managed_sse_enabled ? "true" : "false";
    if (name == "FifoQueue")
        return config.fifo ? "true" : "";
    if (name == "ContentBasedDeduplication")
        return config.fifo ? (config.content_based_deduplication ? "true" : "false") : "";
    if (name == "DeduplicationScope")
        return config.fifo ? config.deduplication_scope : "";
    if (name == "FifoThroughputLimit")
        return config.fifo ? config.fifo_throughput_limit : "";
    if (name == "Durability")
        return config.durability;
    if (name == "MessageCapacity")
        return config.message_capacity == 0 ? std::string() : std::to_string(config.message_capacity);
    if (name == "MessageBytesCapacity")
        return config.message_bytes_capacity == 0 ? std::string() : std::to_string(config.message_bytes_capacity);
    return {};
}

bool redrive_allowed(const QueueConfig& dead_letter_config, const QueueName& source, const QueueScope& scope) {
    if (dead_letter_config.redrive_allow_policy.empty()) {
        return true;
    }
    boost::system::error_code error;
    const json::value parsed = json::parse(dead_letter_config.redrive_allow_policy, error);
    if (error || !parsed.is_object()) {
        return true;
    }
    const json::object& object = parsed.as_object();
    const std::string_view permission = object.at("redrivePermission").as_string();
    if (permission == "allowAll") {
        return true;
    }
    if (permission == "denyAll") {
        return false;
    }
    for (const json::value& arn : object.at("sourceQueueArns").as_array()) {
        if (arn.is_string() && parse_queue_arn(arn.as_string(), scope).name == source) {
            return true;
        }
    }
    return false;
}

std::string serialize_config(const QueueConfig& config, const QueueTags& tags) {
    json::object attributes;
    for (const std::string& name : settable_attribute_names()) {
        attributes[name] = attribute_value(config, name);
    }
    for (const std::string& name : extension_attribute_names()) {
        attributes[name] = attribute_value(config, name);
    }
    attributes["SqsManagedSseEnabled"] = config.sqs_managed_sse_enabled ? "true" : "false";
    attributes["KmsDataKeyReusePeriodSeconds"] = std::to_string(config.kms_data_key_reuse_period_s);
    json::object tag_object;
    for (const auto& [key, value] : tags) {
        tag_object[key] = value;
    }
    json::object root;
    root["attributes"] = std::move(attributes);
    root["tags"] = std::move(tag_object);
    return json::serialize(root);
}

Result<std::pair<QueueConfig, QueueTags>> parse_config(std::string_view text) {
    boost::system::error_code error;
    const json::value parsed = json::parse(text, error);
    if (error || !parsed.is_object()) {
        return Error{Errc::corrupt_region, "the queue's configuration in the region is not valid JSON"};
    }
    const json::object& root = parsed.as_object();
    QueueConfig config;
    QueueAttributes attributes;
    QueueTags tags;
    if (const json::value* object = root.if_contains("attributes"); object != nullptr && object->is_object()) {
        for (const auto& [key, value] : object->as_object()) {
            if (value.is_string() && !value.as_string().empty()) {
                attributes.emplace(std::string(key), std::string(value.as_string()));
            }
        }
    }
    if (const json::value* object = root.if_contains("tags"); object != nullptr && object->is_object()) {
        for (const auto& [key, value] : object->as_object()) {
            if (value.is_string()) {
                tags.emplace(std::string(key), std::string(value.as_string()));
            }
        }
    }
    const bool fifo = attributes.contains("FifoQueue") && attributes.at("FifoQueue") == "true";
    if (!fifo) {
        attributes.erase("ContentBasedDeduplication");
        attributes.erase("DeduplicationScope");
        attributes.erase("FifoThroughputLimit");
        attributes.erase("FifoQueue");
    }
    // A stored Policy was checked when it was set; one a later, stricter parser refuses must not
    // make the queue unreadable (it then grants nothing: SqsService denies what it cannot parse).
    if (const auto policy = attributes.find("Policy"); policy != attributes.end()) {
        config.policy = policy->second;
        attributes.erase(policy);
    }
    if (Status status = apply_attributes(config, attributes, true, fifo ? "x.fifo" : "x", nullptr); !status) {
        return Error{Errc::corrupt_region, "the queue's configuration in the region is invalid: " + status.message()};
    }
    return std::pair{std::move(config), std::move(tags)};
}

} // namespace shmq::sqs
