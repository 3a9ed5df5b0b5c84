// Reading and applying shmqd's config file (see config_file.h).
#include "config_file.h"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
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

// The origin (scheme://host[:port]/) of an http or https URL, or an error for anything else.
Result<std::string> http_origin(std::string_view text) {
    auto url = boost::urls::parse_absolute_uri(text);
    if (!url || (url->scheme() != "https" && url->scheme() != "http") || !url->has_authority() ||
        url->encoded_host().empty() || url->has_userinfo() || url->has_query() || url->has_fragment()) {
        return Error{Errc::invalid_parameter_value,
                     "must be an http:// or https:// URL without user, query or fragment"};
    }
    return std::string(url->scheme()) + "://" + std::string(url->encoded_host_and_port()) + "/";
}

Result<std::string> text_member(const toml::node& node, const std::string& file, const std::string& key) {
    if (const auto* text = node.as_string()) {
        return text->get();
    }
    return config_error(place(file, node.source()), key, "must be a string");
}

Result<std::int64_t> integer_member(const toml::node& node, const std::string& file, const std::string& key,
                                    std::int64_t low, std::int64_t high) {
    const auto* integer = node.as_integer();
    if (integer == nullptr || integer->get() < low || integer->get() > high) {
        return config_error(place(file, node.source()), key,
                            "must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
    }
    return integer->get();
}

// One [bridges.NAME] table: every key checked, the remote queue URL's queue name and type too.
Result<bridge::BridgeSettings> declared_bridge(const toml::key& name, const toml::node& node, const std::string& file) {
    const std::string key = "bridges." + std::string(name.str());
    const std::string_view bridge_name = name.str();
    if (bridge_name.empty() || bridge_name.size() > 64 ||
        !std::all_of(bridge_name.begin(), bridge_name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_'; })) {
        return config_error(place(file, name.source()), key, "a bridge's name is 1 to 64 of A-Z a-z 0-9 - _");
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
        return config_error(place(file, node.source()), key, "must be a table ([bridges.NAME])");
    }
    bridge::BridgeSettings settings;
    settings.name = std::string(bridge_name);
    settings.declared_at = place(file, node.source());
    bool has_direction = false;
    for (const auto& entry : *table) {
        const toml::key& part_key = entry.first;
        const toml::node& value = entry.second; // named, not bound: lambdas below capture it
        const std::string part(part_key.str());
        const std::string where = key + "." + part;
        Status read;
        const auto text = [&](std::string& into) {
            auto got = text_member(value, file, where);
            read = got ? Status{} : Status(got.error());
            if (got) {
                into = std::move(got.value());
            }
        };
        if (part == "queue") {
            text(settings.local_queue);
            if (read) {
                if (auto parsed = QueueName::parse(settings.local_queue); !parsed) {
                    return config_error(place(file, value.source()), where, parsed.error().message);
                }
            }
        } else if (part == "direction") {
            std::string direction;
            text(direction);
            if (read && direction != "forward" && direction != "pull") {
                return config_error(place(file, value.source()), where,
                                    "must be \"forward\" (local to SQS) or \"pull\" (SQS to local)");
            }
            settings.direction = direction == "pull" ? bridge::Direction::pull : bridge::Direction::forward;
            has_direction = true;
        } else if (part == "remote_queue_url") {
            text(settings.remote_queue_url);
        } else if (part == "region") {
            text(settings.region);
        } else if (part == "endpoint_url") {
            text(settings.endpoint_url);
            if (read) {
                if (auto origin = http_origin(settings.endpoint_url); !origin) {
                    return config_error(place(file, value.source()), where, origin.error().message);
                }
            }
        } else if (part == "profile") {
            text(settings.profile);
        } else if (part == "ca_file") {
            text(settings.ca_file);
            if (read && !settings.ca_file.starts_with('/')) {
                return config_error(place(file, value.source()), where,
                                    "must be an absolute path (a PEM file of certificate authorities)");
            }
        } else if (part == "requests_in_flight") {
            auto count = integer_member(value, file, where, 1, bridge::BridgeSettings::requests_in_flight_max);
            if (!count) {
                return count.error();
            }
            settings.requests_in_flight = static_cast<std::uint32_t>(count.value());
        } else if (part == "batch_window_ms") {
            auto window = integer_member(value, file, where, 0, bridge::BridgeSettings::batch_window_max.count());
            if (!window) {
                return window.error();
            }
            settings.batch_window = std::chrono::milliseconds(window.value());
        } else if (part == "visibility_timeout_s") {
            auto timeout = integer_member(value, file, where, bridge::BridgeSettings::visibility_timeout_s_min,
                                          bridge::BridgeSettings::visibility_timeout_s_max);
            if (!timeout) {
                return timeout.error();
            }
            settings.visibility_timeout_s = static_cast<std::int32_t>(timeout.value());
        } else {
            return config_error(place(file, part_key.source()), where,
                                "unknown key (a bridge has queue, direction, remote_queue_url, region, endpoint_url, "
                                "ca_file, profile, requests_in_flight, batch_window_ms, visibility_timeout_s)");
        }
        if (!read) {
            return read.error();
        }
    }
    const std::string at = place(file, node.source());
    if (settings.local_queue.empty()) {
        return config_error(at, key + ".queue", "is required: the local queue");
    }
    if (!has_direction) {
        return config_error(at, key + ".direction", "is required: \"forward\" or \"pull\"");
    }
    if (settings.remote_queue_url.empty()) {
        return config_error(at, key + ".remote_queue_url", "is required: the SQS queue's URL");
    }
    auto origin = http_origin(settings.remote_queue_url);
    if (!origin) {
        return config_error(at, key + ".remote_queue_url", origin.error().message);
    }
    // .../ACCOUNT/NAME: the remote name must be a queue name, and of the local queue's type.
    const std::string_view url = settings.remote_queue_url;
    const std::string_view remote_name = url.substr(url.rfind('/') + 1);
    if (auto parsed = QueueName::parse(remote_name); !parsed) {
        return config_error(at, key + ".remote_queue_url", "does not end in a queue name: " + parsed.error().message);
    }
    if (remote_name.ends_with(".fifo") != settings.local_queue.ends_with(".fifo")) {
        return config_error(at, key + ".remote_queue_url",
                            "a FIFO queue is bridged to a FIFO queue, a standard queue to a standard one");
    }
    if (settings.endpoint_url.empty()) {
        settings.endpoint_url = origin.value(); // SQS answers at its queue URLs' host
    }
    return settings;
}

// Entries of a [queues] or [bridges] table in the file's order (toml++ lists keys sorted; the
// file's order is the person's).
template <class Entry, class Read> Result<std::vector<Entry>> in_file_order(const toml::table& table, Read read) {
    std::vector<std::pair<toml::source_position, Entry>> in_order;
    for (const auto& [entry_key, entry_node] : table) {
        auto entry = read(entry_key, entry_node);
        if (!entry) {
            return entry.error();
        }
        in_order.emplace_back(entry_node.source().begin, std::move(entry.value()));
    }
    std::stable_sort(in_order.begin(), in_order.end(), [](const auto& a, const auto& b) {
        return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
    });
    std::vector<Entry> out;
    for (auto& [position, entry] : in_order) {
        out.push_back(std::move(entry));
    }
    return out;
}

} // namespace

Result<DaemonConfig> parse_config(std::string_view text, const std::string& name) {
    toml::table document;
    try {
        document = toml::parse(text, name);
    } catch (const toml::parse_error& error) {
        return Error{Errc::invalid_parameter_value,
                     place(name, error.source()) + ": " + std::string(error.description())};
    }
    DaemonConfig config;
    for (const auto& [key, node] : document) {
        const toml::table* table = node.as_table();
        if (key.str() == "queues") {
            if (table == nullptr) {
                return config_error(place(name, node.source()), "queues", "must be a table of queues ([queues.NAME])");
            }
            auto queues = in_file_order<DeclaredQueue>(
                *table, [&](const toml::key& k, const toml::node& n) { return declared_queue(k, n, name); });
            if (!queues) {
                return queues.error();
            }
            config.queues = std::move(queues.value());
        } else if (key.str() == "bridges") {
            if (table == nullptr) {
                return config_error(place(name, node.source()), "bridges",
                                    "must be a table of bridges ([bridges.NAME])");
            }
            auto bridges = in_file_order<bridge::BridgeSettings>(
                *table, [&](const toml::key& k, const toml::node& n) { return declared_bridge(k, n, name); });
            if (!bridges) {
                return bridges.error();
            }
            config.bridges = std::move(bridges.value());
        } else {
            return config_error(place(name, key.source()), key.str(), "unknown key (known: queues, bridges)");
        }
    }
    // Two forward bridges of one queue would split its messages between them, not copy them.
    for (std::size_t i = 0; i < config.bridges.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const bridge::BridgeSettings& a = config.bridges[i];
            const bridge::BridgeSettings& b = config.bridges[j];
            if (a.direction == bridge::Direction::forward && b.direction == bridge::Direction::forward &&
                a.local_queue == b.local_queue) {
                return config_error(a.declared_at, "bridges." + a.name + ".queue",
                                    "queue " + a.local_queue + " is forwarded by bridge " + b.name +
                                        " already (two would split its messages, not copy them)");
            }
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
        if (const auto kms_key = queue.attributes.find("KmsMasterKeyId"); kms_key != queue.attributes.end() &&
                                                                          !kms_key->second.empty() && kms_key_exists &&
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
