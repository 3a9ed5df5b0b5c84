// Queue definitions as journal payloads: JSON objects (Boost.JSON), see queue_catalog.h.
#include "queue_catalog.h"

#include <boost/json.hpp>
#include <set>

#include "sqs/queue_config.h"

namespace shmq::daemon {
namespace {

namespace json = boost::json;

// What GetQueueAttributes returns but CreateQueue does not take.
const std::set<std::string, std::less<>> read_only_attributes{
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",           "LastModifiedTimestamp",              "QueueArn",
};

std::vector<std::byte> bytes_of(const std::string& text) {
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    return bytes;
}

json::object string_map(const std::map<std::string, std::string, std::less<>>& values) {
    json::object out;
    for (const auto& [key, value] : values) {
        out[key] = value;
    }
    return out;
}

template <class Map> bool read_string_map(const json::value* value, Map& out) {
    if (value == nullptr || !value->is_object()) {
        return false;
    }
    for (const auto& [key, item] : value->get_object()) {
        if (!item.is_string()) {
            return false;
        }
        out[std::string(key)] = std::string(item.get_string());
    }
    return true;
}

std::uint64_t number_or(const json::object& object, std::string_view key, std::uint64_t fallback) {
    const json::value* value = object.if_contains(key);
    return value != nullptr && value->is_uint64()   ? value->get_uint64()
           : value != nullptr && value->is_int64() ? static_cast<std::uint64_t>(value->get_int64())
                                                     : fallback;
}

} // namespace

std::optional<QueueDefinition> read_definition(const Client& client, const std::string& name) {
    // "All" leaves out shmq's own attributes (Durability): asked for by name.
    std::vector<std::string> wanted{"All"};
    const auto& extensions = sqs::extension_attribute_names();
    wanted.insert(wanted.end(), extensions.begin(), extensions.end());
    auto attributes = client.get_queue_attributes(name, wanted);
    auto tags = client.list_queue_tags(name);
    auto queue = client.open_queue(name);
    if (!attributes || !tags || !queue) {
        return std::nullopt;
    }
    QueueDefinition definition;
    definition.name = name;
    for (const auto& [key, value] : attributes.value()) {
        if (!read_only_attributes.contains(key)) {
            definition.attributes[key] = value;
        }
    }
    definition.tags = std::move(tags.value());
    const QueueInspection inspection = queue->inspect();
    definition.capacity.slot_count = inspection.slot_count;
    definition.capacity.message_bytes_capacity = inspection.message_bytes_capacity;
    definition.capacity.inline_bytes = inspection.inline_bytes;
    definition.capacity.permissions = inspection.permissions;
    definition.capacity.fifo_deduplication = inspection.fifo_deduplication;
    definition.capacity.dedup_entries = inspection.dedup_entries;
    return definition;
}

std::vector<std::byte> encode_definition(const QueueDefinition& definition) {
    json::object capacity{
        {"slot_count", definition.capacity.slot_count},
        {"message_bytes_capacity", definition.capacity.message_bytes_capacity},
        {"inline_bytes", definition.capacity.inline_bytes},
        {"permissions", definition.capacity.permissions},
        {"dedup_entries", definition.capacity.dedup_entries},
        {"fifo_deduplication", definition.capacity.fifo_deduplication},
    };
    const json::object object{
        {"name", definition.name},
        {"attributes", string_map(definition.attributes)},
        {"tags", string_map(definition.tags)},
        {"capacity", std::move(capacity)},
    };
    return bytes_of(json::serialize(object));
}

std::vector<std::byte> encode_deletion(const std::string& name) {
    return bytes_of(json::serialize(json::object{{"name", name}}));
}

bool QueueCatalog::apply(const journal::RecordView& record) {
    const std::string_view text(reinterpret_cast<const char*>(record.payload.data()), record.payload.size());
    json::error_code error;
    const json::value parsed = json::parse(text, error);
    if (error || !parsed.is_object() || !parsed.get_object().contains("name") ||
        !parsed.get_object().at("name").is_string()) {
        return false;
    }
    const json::object& object = parsed.get_object();
    const std::string name(object.at("name").get_string());
    switch (record.type) {
    case journal::RecordType::queue_deleted:
        queues_.erase(name);
        locations_.erase(name);
        return true;
    case journal::RecordType::queue_created:
    case journal::RecordType::queue_config: {
        QueueDefinition definition;
        definition.name = name;
        const json::value* capacity = object.if_contains("capacity");
        if (!read_string_map(object.if_contains("attributes"), definition.attributes) ||
            !read_string_map(object.if_contains("tags"), definition.tags) || capacity == nullptr ||
            !capacity->is_object()) {
            return false;
        }
        const json::object& sizes = capacity->get_object();
        definition.capacity.slot_count = static_cast<std::uint32_t>(number_or(sizes, "slot_count", 0));
        definition.capacity.message_bytes_capacity = number_or(sizes, "message_bytes_capacity", 0);
        definition.capacity.inline_bytes = static_cast<std::uint32_t>(number_or(sizes, "inline_bytes", 0));
        definition.capacity.permissions = static_cast<std::uint32_t>(number_or(sizes, "permissions", 0600));
        definition.capacity.dedup_entries = static_cast<std::uint32_t>(number_or(sizes, "dedup_entries", 0));
        const json::value* deduplication = sizes.if_contains("fifo_deduplication");
        definition.capacity.fifo_deduplication =
            deduplication == nullptr || !deduplication->is_bool() || deduplication->get_bool();
        queues_[name] = std::move(definition);
        locations_[name] = {record.sequence, static_cast<std::uint32_t>(journal::framed_size(record.payload.size()))};
        return true;
    }
    default:
        return true; // not a definition record: nothing for the catalog
    }
}

const std::string* QueueCatalog::defined_at(std::uint64_t sequence) const {
    for (const auto& [name, location] : locations_) {
        if (location.sequence == sequence) {
            return &name;
        }
    }
    return nullptr;
}

void QueueCatalog::relocate(const std::string& name, std::uint64_t sequence) {
    if (const auto found = locations_.find(name); found != locations_.end()) {
        found->second.sequence = sequence;
    }
}

std::uint64_t QueueCatalog::live_bytes() const {
    std::uint64_t total = 0;
    for (const auto& [name, location] : locations_) {
        total += location.bytes;
    }
    return total;
}

} // namespace shmq::daemon
