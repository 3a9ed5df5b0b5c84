// Reading and applying shmqd's config file (see config_file.h).
#include "config_file.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string_view>
#include <toml++/toml.h>
#include <utility>

#include "client/private_directory.h"
#include "shmq/queue_name.h"

namespace shmq::daemon {

namespace {

constexpr std::size_t config_bytes_max = 1u << 20;
// Fixed when a queue is created: an existing queue whose value differs cannot follow the file.
constexpr std::array<std::string_view, 3> creation_attributes = {"FifoQueue", "MessageCapacity",
                                                                 "MessageBytesCapacity"};

// Whether two texts of an attribute say the same: as numbers ("0100" and "100"), or as words
// whatever their case ("TRUE" and "true"), as SQS reads them.
bool same_value(std::string_view a, std::string_view b) {
    std::uint64_t a_number = 0;
    std::uint64_t b_number = 0;
    const auto a_read = std::from_chars(a.data(), a.data() + a.size(), a_number);
    const auto b_read = std::from_chars(b.data(), b.data() + b.size(), b_number);
    if (a_read.ec == std::errc{} && a_read.ptr == a.data() + a.size() && b_read.ec == std::errc{} &&
        b_read.ptr == b.data() + b.size()) {
        return a_number == b_number;
    }
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string place(const std::string& file, const toml::source_region& source) {
    return file + ":" + std::to_string(source.begin.line) + ":" + std::to_string(source.begin.column);
}

Error config_error(const std::string& where, std::string_view key, std::string_view message) {
    return Error{Errc::invalid_parameter_value, where + ": " + std::string(key) + ": " + std::string(message)};
}

// An attribute or tag value as SQS's string: TOML strings, integers and booleans.
Result<std::string> string_value(const toml::node& node, const std::string& file, std::string_view key) {
    if (const auto* text = node.as_string()) {
        return text->get();
    }
    if (const auto* integer = node.as_integer()) {
        return std::to_string(integer->get());
    }
    if (const auto* boolean = node.as_boolean()) {
        return std::string(boolean->get() ? "true" : "false");
    }
    return config_error(place(file, node.source()), key, "must be a string, an integer or true/false");
}

Result<std::map<std::string, std::string, std::less<>>> string_table(const toml::node& node, const std::string& file,
                                                                     const std::string& key) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
        return config_error(place(file, node.source()), key, "must be a table (name = value, ...)");
    }
    std::map<std::string, std::string, std::less<>> out;
    for (const auto& [name, value] : *table) {
        auto text = string_value(value, file, key + "." + std::string(name.str()));
        if (!text) {
            return text.error();
        }
        out.emplace(std::string(name.str()), std::move(text.value()));
    }
    return out;
}

Result<DeclaredQueue> declared_queue(const toml::key& name, const toml::node& node, const std::string& file) {
    const std::string key = "queues." + std::string(name.str());
    if (auto parsed = QueueName::parse(name.str()); !parsed) {
        return config_error(place(file, name.source()), key, parsed.error().message);
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
        return config_error(place(file, node.source()), key, "must be a table with attributes and tags");
    }
    DeclaredQueue queue{std::string(name.str()), {}, {}, place(file, node.source())};
    for (const auto& [part, value] : *table) {
        if (part.str() == "attributes") {
            auto attributes = string_table(value, file, key + ".attributes");
            if (!attributes) {
                return attributes.error();
            }
            queue.attributes = std::move(attributes.value());
        } else if (part.str() == "tags") {
            auto tags = string_table(value, file, key + ".tags");
            if (!tags) {
                return tags.error();
            }
            queue.tags = std::move(tags.value());
        } else {
            return config_error(place(file, part.source()), key + "." + std::string(part.str()),
                                "unknown key (a queue has attributes and tags)");
        }
    }
    return queue;
}

} // namespace

Result<DaemonConfig> parse_config(std::string_view text, const std::string& name) {
    toml::table document;
    try {
        document = toml::parse(text, name);
    } catch (const toml::parse_error& error) {
        return Error{Errc::invalid_parameter_value, place(name, error.source()) + ": " + std::string(error.description())};
    }
    DaemonConfig config;
    for (const auto& [key, node] : document) {
        if (key.str() != "queues") {
            return config_error(place(name, key.source()), key.str(), "unknown key (known: queues)");
        }
        const toml::table* queues = node.as_table();
        if (queues == nullptr) {
            return config_error(place(name, node.source()), "queues", "must be a table of queues ([queues.NAME])");
        }
        // toml++ lists a table's keys sorted; the file's order is the person's.
        std::vector<std::pair<toml::source_position, DeclaredQueue>> in_order;
        for (const auto& [queue_name, queue_node] : *queues) {
            auto queue = declared_queue(queue_name, queue_node, name);
            if (!queue) {
                return queue.error();
            }
            in_order.emplace_back(queue_node.source().begin, std::move(queue.value()));
        }
        std::stable_sort(in_order.begin(), in_order.end(), [](const auto& a, const auto& b) {
            return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
        });
        for (auto& [position, queue] : in_order) {
            config.queues.push_back(std::move(queue));
        }
    }
    return config;
}

Result<DaemonConfig> read_config_file(const std::string& path) {
    auto text = client::read_trusted_file(path, config_bytes_max, client::TrustedFile::config);
    if (!text) {
        return text.error();
    }
    return parse_config(text.value(), path);
}

Result<std::vector<std::string>> apply_declared_queues(const Client& client, const DaemonConfig& config,
                                                       const std::function<bool(std::string_view)>& kms_key_exists) {
    std::vector<std::string> done;
    for (const DeclaredQueue& declared : config.queues) {
        const std::string key = "queues." + declared.name;
        // A RedrivePolicy names another queue, maybe declared further down: set in a second pass.
        DeclaredQueue queue = declared;
        queue.attributes.erase("RedrivePolicy");
        if (const auto kms_key = queue.attributes.find("KmsMasterKeyId");
            kms_key != queue.attributes.end() && !kms_key->second.empty() && kms_key_exists &&
            !kms_key_exists(kms_key->second)) {
            return config_error(queue.where, key + ".attributes.KmsMasterKeyId",
                                "key '" + kms_key->second +
                                    "' does not exist in shmqd's key ring (an id, alias/NAME or their ARN)");
        }
        if (!client.get_queue_url(queue.name)) {
            if (auto created = client.create_queue(queue.name, queue.attributes, queue.tags); !created) {
                return config_error(queue.where, key, created.error().message);
            }
            done.push_back("queue " + queue.name + " created");
            continue;
        }
        QueueAttributes settable = queue.attributes;
        std::vector<std::string> fixed_names;
        for (const std::string_view name : creation_attributes) {
            if (auto found = settable.find(name); found != settable.end()) {
                fixed_names.emplace_back(name);
            }
        }
        if (!fixed_names.empty()) {
            auto current = client.get_queue_attributes(queue.name, fixed_names);
            if (!current) {
                return config_error(queue.where, key, current.error().message);
            }
            for (const std::string& name : fixed_names) {
                const auto now = current->find(name);
                const std::string& in_file = settable.find(name)->second;
                if (now == current->end() || !same_value(now->second, in_file)) {
                    return config_error(queue.where, key + ".attributes." + name,
                                        "is fixed when a queue is created: the queue has " +
                                            (now == current->end() ? std::string("none") : now->second) +
                                            ", the file says " + in_file);
                }
                settable.erase(settable.find(name));
            }
        }
        if (Status set = client.set_queue_attributes(queue.name, settable); !set) {
            return config_error(queue.where, key + ".attributes", set.message());
        }
        if (!queue.tags.empty()) {
            if (Status tagged = client.tag_queue(queue.name, queue.tags); !tagged) {
                return config_error(queue.where, key + ".tags", tagged.message());
            }
        }
        done.push_back("queue " + queue.name + " updated from the config file");
    }
    for (const DeclaredQueue& queue : config.queues) {
        if (const auto redrive = queue.attributes.find("RedrivePolicy"); redrive != queue.attributes.end()) {
            if (Status set = client.set_queue_attributes(queue.name, {{"RedrivePolicy", redrive->second}}); !set) {
                return config_error(queue.where, "queues." + queue.name + ".attributes.RedrivePolicy", set.message());
            }
        }
    }
    return done;
}

} // namespace shmq::daemon
