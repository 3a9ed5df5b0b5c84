// Queue management of a namespace (see client.h). Each queue is one region file in the
// namespace directory; creation links a fully built file (so CreateQueue races resolve to one
// winner), deletion marks the region deleted (handles in use stop) and unlinks it. Every action
// takes its queue name through QueueName::parse before anything touches a file: a text that is
// not a queue name is a queue that does not exist (CreateQueue: an invalid name).
#include "shmq/client.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

#include "client/private_directory.h"
#include "engine/config_store.h"
#include "engine/daemon_marker.h"
#include "engine/queue_engine.h"
#include "engine/wait_set.h"
#include "region/region.h"
#include "sqs/queue_config.h"

namespace shmq {
namespace {

constexpr std::string_view url_base = "http://127.0.0.1:9324/";
constexpr std::int32_t list_queues_max = 1000;
constexpr std::string_view region_suffix = ".q";
constexpr std::string_view tasks_suffix = ".tasks";
// Region file modes: the namespace's user only, or with group access its group too.
constexpr std::uint32_t region_mode_owner_only = 0600;
constexpr std::uint32_t region_mode_group = 0660;

bool valid_namespace(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

Status validate_tags(const QueueTags& tags) {
    for (const auto& [key, value] : tags) {
        if (key.empty() || key.size() > limits::tag_key_length_max) {
            return {Errc::invalid_parameter_value, "Tag keys must be between 1 and 128 characters in length."};
        }
        if (value.size() > limits::tag_value_length_max) {
            return {Errc::invalid_parameter_value, "Tag values may only be up to 256 characters in length."};
        }
        if (key.starts_with("aws:")) {
            return {Errc::invalid_parameter_value, "Tag keys must not start with aws:."};
        }
    }
    return {};
}

Status queue_missing() {
    return {Errc::queue_does_not_exist, "The specified queue does not exist."};
}

// The name of a queue an action works on: a text that is no queue name names no queue.
Result<QueueName> existing_name(std::string_view text) {
    auto name = QueueName::parse(text);
    if (!name) {
        return queue_missing().error();
    }
    return name;
}

} // namespace

Client::Client(std::string namespace_name, std::string namespace_dir, const Clock* clock, QueueScope scope,
               bool group_access)
    : namespace_name_(std::move(namespace_name)), namespace_dir_(std::move(namespace_dir)), clock_(clock),
      scope_(std::move(scope)), group_access_(group_access) {}

Result<Client> Client::open(const ClientOptions& options) {
    std::string name = options.namespace_name;
    if (name.empty()) {
        const char* env = std::getenv("SHMQ_NAMESPACE");
        name = env != nullptr && *env != '\0' ? env : "default";
    }
    if (!valid_namespace(name)) {
        return Error{Errc::invalid_parameter_value,
                     "namespace '" + name + "' is invalid: use 1 to 64 of [A-Za-z0-9_-]"};
    }
    std::string root = options.shm_dir;
    if (root.empty()) {
        const char* env = std::getenv("SHMQ_SHM_DIR");
        root = env != nullptr && *env != '\0' ? env : "/dev/shm";
    }
    const std::string parent = root + "/shmq";
    const std::string directory = parent + "/" + name;
    // The parent is shared by every user of the host; each namespace directory is one user's
    // (or, with group access, one group's).
    if (Status status = client::make_shared_parent(parent); !status) {
        return status.error();
    }
    const bool group_access = options.group_access || client::group_access_from_environment();
    const auto access = group_access ? client::DirectoryAccess::group : client::DirectoryAccess::owner_only;
    if (Status status = client::make_private_directory(directory, access); !status) {
        return status.error();
    }
    const Clock* clock = options.clock != nullptr ? options.clock : &SystemClock::instance();
    return Client(std::move(name), directory, clock, options.scope, group_access);
}

std::string Client::queue_url(std::string_view name) {
    return std::string(url_base) + std::string(queue_account_default) + "/" + std::string(name);
}
std::string Client::queue_arn(std::string_view name) {
    return QueueScope{}.arn_of(name);
}

// ---------------------------------------------------------------------------------------------

namespace {

// A RedrivePolicy must name an existing queue of the same type that allows this source. Call it
// holding no queue's config mutex: it takes the target's (a source that is its own target, or
// A -> B checked while B -> A is, would otherwise deadlock on a mutex that is not recursive).
//
// A queue may be its own dead-letter target, and targets may form a cycle (A -> B -> A): SQS
// accepts both (security scanners carry a rule, CloudGuard D9.AWS.OPE.19, flagging queues whose
// dead-letter queue is themselves, and a known way to send dead letters back is to make the
// source the dead-letter queue's own target). Neither can loop here: a move happens once per
// receive of a message, into a queue where it starts over with no receives, and a queue that is
// its own target keeps delivering the message instead of moving it (QueueEngine::dead_letter_queue).
Status check_redrive_target(const std::string& directory, const QueueName& source, const sqs::QueueConfig& config,
                            const QueueScope& scope) {
    if (config.dead_letter_target_name.empty()) {
        return {};
    }
    const auto invalid = [&](std::string_view reason) {
        return Status{Errc::invalid_parameter_value,
                      "Value " + config.redrive_policy +
                          " for parameter RedrivePolicy is invalid. Reason: " + std::string(reason)};
    };
    if (config.dead_letter_target_name == source.text()) {
        // Its own target: the configuration being set is the target's (same type by definition).
        return sqs::redrive_allowed(config, source, scope) ? Status{}
                                                         : invalid("Dead-letter target does not allow this source "
                                                                   "queue (RedriveAllowPolicy).");
    }
    auto region = region::Region::open(directory, config.dead_letter_target_name);
    if (!region) {
        return invalid("Dead-letter target does not exist.");
    }
    auto target = engine::read_config(*region.value());
    if (!target) {
        return target.error();
    }
    if (target->first.fifo != config.fifo) {
        return invalid(config.fifo ? "Dead-letter queue must be a FIFO queue for a FIFO source queue."
                                   : "Dead-letter queue must be a standard queue for a standard source queue.");
    }
    if (!sqs::redrive_allowed(target->first, source, scope)) {
        return invalid("Dead-letter target does not allow this source queue (RedriveAllowPolicy).");
    }
    return {};
}

} // namespace

Result<std::string> Client::create_queue(std::string_view text, const QueueAttributes& attributes,
                                         const QueueTags& tags, const QueueCapacity& capacity) const {
    auto parsed = QueueName::parse(text);
    if (!parsed) {
        return parsed.error();
    }
    const QueueName& name = parsed.value();
    if (tags.size() > limits::tags_per_queue_max) {
        return Error{Errc::invalid_parameter_value, "Too many tags added for queue " + name.text() + "."};
    }
    if (Status status = validate_tags(tags); !status) {
        return status.error();
    }
    sqs::QueueConfig config;
    config.fifo = false;
    if (Status status = sqs::apply_attributes(config, attributes, true, name, &scope_); !status) {
        return status.error();
    }
    if (!attributes.contains("Durability") && engine::daemon_serves(namespace_dir_)) {
        config.durability = "async"; // a shmqd journals this namespace: queues are durable by default
    }
    QueueCapacity sized = capacity;
    if (sized.slot_count == 0 && config.message_capacity != 0) {
        sized.slot_count = config.message_capacity; // the MessageCapacity attribute (HTTP clients)
    }
    if (sized.message_bytes_capacity == 0) {
        sized.message_bytes_capacity = config.message_bytes_capacity; // MessageBytesCapacity, likewise
    }
    // The one switch: group bits only in a namespace opened with group access.
    const std::uint32_t allowed_mode = group_access_ ? region_mode_group : region_mode_owner_only;
    sized.permissions = (capacity.permissions == 0 ? allowed_mode : capacity.permissions) & allowed_mode;
    if (Status status = check_redrive_target(namespace_dir_, name, config, scope_); !status) {
        return status.error();
    }
    layout::HotAttributes hot{};
    engine::fill_hot_attributes(config, hot);
    const std::int64_t now = clock_->now_ns();
    auto created = region::Region::create(namespace_dir_, name, sized, sqs::serialize_config(config, tags),
                                          config.fifo, hot, now);
    if (created) {
        return queue_url(name);
    }
    if (created.code() != Errc::queue_name_exists) {
        return created.error();
    }
    // It exists: CreateQueue is idempotent when every given attribute matches.
    auto existing_region = region::Region::open(namespace_dir_, name);
    if (!existing_region) {
        return existing_region.error();
    }
    auto existing = engine::read_config(*existing_region.value());
    if (!existing) {
        return existing.error();
    }
    for (const auto& [attribute, value] : attributes) {
        (void)value;
        if (sqs::attribute_value(existing->first, attribute) != sqs::attribute_value(config, attribute)) {
            return Error{Errc::queue_name_exists,
                         "A queue already exists with the same name and a different value for attribute " + attribute};
        }
    }
    return queue_url(name);
}

Status Client::delete_queue(std::string_view text) const {
    auto name = existing_name(text);
    if (!name) {
        return name.status();
    }
    auto region = region::Region::open(namespace_dir_, name.value());
    if (!region) {
        return region.code() == Errc::queue_does_not_exist ? queue_missing() : region.status();
    }
    layout::RegionHeader& header = region.value()->header();
    header.deleted.store(1, std::memory_order_release);
    // Sleepers return at once and see the queue gone.
    engine::wake(header.readable, INT32_MAX);
    engine::wake(header.writable, INT32_MAX);
    const std::string path = region::Region::path_of(namespace_dir_, name.value());
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        return {Errc::system_error, "cannot delete the region of queue " + name->text() + ": " + std::strerror(errno)};
    }
    // Its message move tasks go with it.
    const std::string tasks = namespace_dir_ + "/" + name->text() + std::string(tasks_suffix);
    unlink(tasks.c_str());
    return {};
}

Result<std::string> Client::get_queue_url(std::string_view text) const {
    auto name = existing_name(text);
    if (!name) {
        return name.error();
    }
    auto region = region::Region::open(namespace_dir_, name.value());
    if (!region) {
        return region.code() == Errc::queue_does_not_exist ? queue_missing().error() : region.error();
    }
    if (region.value()->header().deleted.load(std::memory_order_acquire) != 0) {
        return queue_missing().error();
    }
    return queue_url(name.value());
}

Result<std::vector<std::string>> Client::queue_names() const {
    const int directory_fd = ::open(namespace_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* directory = directory_fd < 0 ? nullptr : fdopendir(directory_fd);
    if (directory == nullptr) {
        const Error error{Errc::system_error,
                          std::string("cannot list the namespace directory: ") + std::strerror(errno)};
        if (directory_fd >= 0) {
            ::close(directory_fd);
        }
        return error;
    }
    struct stat directory_info {};
    if (fstat(directory_fd, &directory_info) != 0) {
        closedir(directory);
        return Error{Errc::system_error, std::string("cannot stat the namespace directory: ") + std::strerror(errno)};
    }
    std::vector<std::string> names;
    while (const dirent* entry = readdir(directory)) {
        std::string_view file = entry->d_name;
        if (!file.ends_with(region_suffix)) {
            continue;
        }
        file.remove_suffix(region_suffix.size());
        // Only what Region::open would open: a queue name, a regular file of ours (or our group's).
        struct stat info {};
        if (QueueName::is_valid(file) && fstatat(directory_fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0 &&
            region::Region::check_file(file, info, directory_info)) {
            names.emplace_back(file);
        }
    }
    closedir(directory);
    std::sort(names.begin(), names.end());
    return names;
}

Result<ListQueuesPage> Client::list_queues(std::string_view prefix, std::int32_t max_results,
                                           std::string_view next_token) const {
    if (max_results != -1 && (max_results < 1 || max_results > list_queues_max)) {
        return Error{
            Errc::invalid_parameter_value,
            "Value " + std::to_string(max_results) +
                " for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."};
    }
    auto all = queue_names();
    if (!all) {
        return all.error();
    }
    std::vector<std::string> names;
    for (std::string& name : all.value()) {
        if (name.starts_with(prefix) && (next_token.empty() || name > next_token)) {
            names.push_back(std::move(name));
        }
    }
    ListQueuesPage page;
    const std::size_t limit =
        max_results == -1 ? static_cast<std::size_t>(list_queues_max) : static_cast<std::size_t>(max_results);
    for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
        page.queue_urls.push_back(queue_url(names[i]));
    }
    if (max_results != -1 && names.size() > limit) {
        page.next_token = names[limit - 1];
    }
    return page;
}

Result<QueueAttributes> Client::get_queue_attributes(std::string_view name,
                                                     const std::vector<std::string>& attribute_names) const {
    const auto& known = sqs::all_attribute_names();
    const auto& extensions = sqs::extension_attribute_names();
    bool all = false;
    for (const std::string& attribute : attribute_names) {
        if (attribute == "All") {
            all = true;
        } else if (std::find(known.begin(), known.end(), attribute) == known.end() &&
                   std::find(extensions.begin(), extensions.end(), attribute) == extensions.end()) {
            return Error{Errc::invalid_attribute_name, "Unknown Attribute " + attribute + "."};
        }
    }
    auto opened = open_queue(name);
    if (!opened) {
        return opened.error();
    }
    engine::QueueEngine& engine = opened->engine();
    auto config = engine::read_config(engine.region());
    if (!config) {
        return config.error();
    }
    const QueueInspection counts = engine.inspect();
    const layout::RegionHeader& header = engine.region().header();
    QueueAttributes out;
    const auto wanted = [&](std::string_view attribute) {
        return all || std::find(attribute_names.begin(), attribute_names.end(), attribute) != attribute_names.end();
    };
    for (const std::string& attribute : known) {
        if (!wanted(attribute)) {
            continue;
        }
        std::string value;
        if (attribute == "ApproximateNumberOfMessages") {
            value = std::to_string(counts.ready);
        } else if (attribute == "ApproximateNumberOfMessagesNotVisible") {
            value = std::to_string(counts.in_flight);
        } else if (attribute == "ApproximateNumberOfMessagesDelayed") {
            value = std::to_string(counts.delayed);
        } else if (attribute == "CreatedTimestamp") {
            value = std::to_string(header.created_ns / 1'000'000'000);
        } else if (attribute == "LastModifiedTimestamp") {
            value = std::to_string(header.last_modified_ns.load(std::memory_order_relaxed) / 1'000'000'000);
        } else if (attribute == "QueueArn") {
            value = scope_.arn_of(engine.region().name());
        } else {
            value = sqs::attribute_value(config->first, attribute);
        }
        if (!value.empty()) {
            out.emplace(attribute, std::move(value));
        }
    }
    for (const std::string& attribute : extensions) { // by name only, never with "All"
        if (std::find(attribute_names.begin(), attribute_names.end(), attribute) != attribute_names.end()) {
            std::string value = sqs::attribute_value(config->first, attribute);
            if (attribute == "MessageCapacity") {
                value = std::to_string(engine.region().slot_count());
            } else if (attribute == "MessageBytesCapacity") {
                value = std::to_string(engine.region().header().message_bytes_capacity);
            }
            out.emplace(attribute, std::move(value));
        }
    }
    return out;
}

Status Client::set_queue_attributes(std::string_view text, const QueueAttributes& attributes) const {
    auto name = existing_name(text);
    if (!name) {
        return name.status();
    }
    auto region = region::Region::open(namespace_dir_, name.value());
    if (!region) {
        return region.code() == Errc::queue_does_not_exist ? queue_missing() : region.status();
    }
    // The dead-letter target is checked first, on the configuration these attributes make, and
    // not under this queue's config mutex (see check_redrive_target). A RedriveAllowPolicy
    // changed on the target in between is the same race SQS has.
    auto current = engine::read_config(*region.value());
    if (!current) {
        return current.error();
    }
    sqs::QueueConfig proposed = std::move(current->first);
    if (Status status = sqs::apply_attributes(proposed, attributes, false, name.value(), &scope_); !status) {
        return status;
    }
    if (Status status = check_redrive_target(namespace_dir_, name.value(), proposed, scope_); !status) {
        return status;
    }
    return engine::update_config(*region.value(), clock_->now_ns(), [&](sqs::QueueConfig& config, QueueTags&) {
        return sqs::apply_attributes(config, attributes, false, name.value(), &scope_);
    });
}

Status Client::purge_queue(std::string_view name) const {
    auto opened = open_queue(name);
    if (!opened) {
        return opened.status();
    }
    return opened->engine().purge();
}

Status Client::tag_queue(std::string_view text, const QueueTags& tags) const {
    if (Status status = validate_tags(tags); !status) {
        return status;
    }
    auto name = existing_name(text);
    if (!name) {
        return name.status();
    }
    auto region = region::Region::open(namespace_dir_, name.value());
    if (!region) {
        return region.code() == Errc::queue_does_not_exist ? queue_missing() : region.status();
    }
    return engine::update_config(*region.value(), clock_->now_ns(), [&](sqs::QueueConfig&, QueueTags& current) {
        QueueTags merged = current;
        for (const auto& [key, value] : tags) {
            merged[key] = value;
        }
        if (merged.size() > limits::tags_per_queue_max) {
            return Status{Errc::invalid_parameter_value, "Too many tags added for queue " + name->text() + "."};
        }
        current = std::move(merged);
        return Status{};
    });
}

Status Client::untag_queue(std::string_view text, const std::vector<std::string>& keys) const {
    auto name = existing_name(text);
    if (!name) {
        return name.status();
    }
    auto region = region::Region::open(namespace_dir_, name.value());
    if (!region) {
        return region.code() == Errc::queue_does_not_exist ? queue_missing() : region.status();
    }
    return engine::update_config(*region.value(), clock_->now_ns(), [&](sqs::QueueConfig&, QueueTags& current) {
        for (const std::string& key : keys) {
            current.erase(key);
        }
        return Status{};
    });
}

Result<QueueTags> Client::list_queue_tags(std::string_view text) const {
    auto name = existing_name(text);
    if (!name) {
        return name.error();
    }
    auto region = region::Region::open(namespace_dir_, name.value());
    if (!region) {
        return region.code() == Errc::queue_does_not_exist ? queue_missing().error() : region.error();
    }
    auto config = engine::read_config(*region.value());
    if (!config) {
        return config.error();
    }
    return config->second;
}

Result<std::vector<std::string>> Client::list_dead_letter_source_queues(std::string_view text) const {
    auto name = existing_name(text);
    if (!name) {
        return name.error();
    }
    if (auto url = get_queue_url(name->text()); !url) {
        return url.error();
    }
    auto candidates = queue_names();
    if (!candidates) {
        return candidates.error();
    }
    std::vector<std::string> sources;
    for (const std::string& candidate : candidates.value()) {
        auto region = region::Region::open(namespace_dir_, candidate);
        if (!region) {
            continue;
        }
        auto config = engine::read_config(*region.value());
        if (config && config->first.dead_letter_target_name == name->text()) {
            sources.push_back(queue_url(candidate));
        }
    }
    return sources;
}

Result<Queue> Client::open_queue(std::string_view text) const {
    auto name = existing_name(text);
    if (!name) {
        return name.error();
    }
    auto region = region::Region::open(namespace_dir_, name.value());
    if (!region) {
        return region.code() == Errc::queue_does_not_exist ? queue_missing().error() : region.error();
    }
    if (region.value()->header().deleted.load(std::memory_order_acquire) != 0) {
        return queue_missing().error();
    }
    auto engine = engine::QueueEngine::attach(std::move(region.value()), namespace_dir_, *clock_);
    if (!engine) {
        return engine.error();
    }
    return Queue(std::move(engine.value()));
}

} // namespace shmq
