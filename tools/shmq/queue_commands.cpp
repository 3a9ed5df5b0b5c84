// Queue management commands: create-queue, delete-queue, get-queue-url, list-queues,
// get-queue-attributes, set-queue-attributes, purge-queue, tag-queue, untag-queue,
// list-queue-tags, list-dead-letter-source-queues. Each prints what `aws sqs` prints for the
// same call: the response members in model order, members SQS leaves out (an empty URL list,
// no tags) left out here too, so the output is empty exactly when aws's is.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "arguments.h"
#include "command.h"
#include "shmq/limits.h"
#include "json_output.h"

namespace shmq::cli {
namespace {

// Bounds the pages list-queues follows when it collects every queue, as aws's paginator does.
constexpr std::size_t list_pages_max = 1u << 20;

struct CreateQueueCommand {
    TextOption queue_name, attributes, tags;
    QueueCapacity capacity; // shmq's own sizing flags (not in aws sqs); 0: the library default
    bool no_deduplication = false;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_name, "--queue-name", "Name of the queue to create", true);
        add_text_option(parser, attributes, "--attributes", "Queue attributes: JSON object or Name=Value,Name=Value");
        add_text_option(parser, tags, "--tags", "Tags: JSON object or Key=Value,Key=Value");
        const std::string group = "shmq capacity (not in aws sqs)";
        parser.add_option("--slots", capacity.slot_count, "Messages the queue holds at once")
            ->check(CLI::Range(limits::slot_count_min, limits::slot_count_max))
            ->group(group);
        parser.add_option("--message-bytes", capacity.message_bytes_capacity,
                          "Bytes of bodies over the inline size the queue holds at once (MessageBytesCapacity; "
                          "default: a largest message in every slot, up to 64 GiB)")
            ->check(CLI::Range(std::uint64_t{limits::message_bytes_capacity_min}, limits::message_bytes_capacity_max))
            ->group(group);
        parser.add_option("--inline-bytes", capacity.inline_bytes,
                          "Body + attribute bytes kept in the slot itself (multiple of 64, up to 960)")
            ->check(CLI::Range(64u, static_cast<std::uint32_t>(limits::slot_inline_bytes_max)))
            ->group(group);
        parser.add_option("--dedup-entries", capacity.dedup_entries,
                          "FIFO: deduplication ids the 5-minute window holds")
            ->check(CLI::Range(1u, limits::dedup_entries_max))
            ->group(group);
        parser.add_flag("--no-deduplication", no_deduplication,
                        "FIFO: keep no deduplication window (ids optional, never remembered)")
            ->group(group);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = load_text(queue_name);
        if (!name.ok()) {
            return name.failure();
        }
        QueueAttributes queue_attributes;
        if (attributes.given()) {
            auto loaded = load_string_map(attributes);
            if (!loaded.ok()) {
                return loaded.failure();
            }
            queue_attributes = std::move(loaded).value();
        }
        QueueTags queue_tags;
        if (tags.given()) {
            auto loaded = load_string_map(tags);
            if (!loaded.ok()) {
                return loaded.failure();
            }
            queue_tags = std::move(loaded).value();
        }
        capacity.fifo_deduplication = !no_deduplication;
        auto url = client.create_queue(name.value(), queue_attributes, queue_tags, capacity);
        if (!url.ok()) {
            return Failure::service(url.error());
        }
        print_response({{"QueueUrl", url.value()}});
        return {};
    }
};

struct DeleteQueueCommand {
    TextOption queue_url;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue to delete", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        if (auto status = client.delete_queue(name.value()); !status.ok()) {
            return Failure::service(status.error());
        }
        return {};
    }
};

struct GetQueueUrlCommand {
    TextOption queue_name, queue_owner_aws_account_id;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_name, "--queue-name", "Name of the queue", true);
        // Accepted for compatibility: every queue on this host belongs to one owner.
        add_text_option(parser, queue_owner_aws_account_id, "--queue-owner-aws-account-id",
                        "Ignored: all queues of a namespace have one owner");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = load_text(queue_name);
        if (!name.ok()) {
            return name.failure();
        }
        auto url = client.get_queue_url(name.value());
        if (!url.ok()) {
            return Failure::service(url.error());
        }
        print_response({{"QueueUrl", url.value()}});
        return {};
    }
};

// aws paginates list-queues itself: without --max-results or --next-token it follows every
// NextToken and prints all URLs; --max-items stops early and prints a NextToken to resume with
// --starting-token; --page-size sets the page length it asks for.
struct ListQueuesCommand {
    TextOption queue_name_prefix, max_results, next_token, starting_token, page_size, max_items;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_name_prefix, "--queue-name-prefix", "Only queues whose names begin with this");
        add_text_option(parser, max_results, "--max-results",
                        "Page length (1-1000); prints one page and its NextToken");
        add_text_option(parser, next_token, "--next-token", "Where a previous page ended");
        add_text_option(parser, starting_token, "--starting-token", "NextToken printed by a previous --max-items call");
        add_text_option(parser, page_size, "--page-size", "Page length used while paginating");
        add_text_option(parser, max_items, "--max-items", "Print at most this many URLs");
    }

    Outcome run(const Client& client, const GlobalOptions& globals) {
        auto prefix = load_text(queue_name_prefix);
        if (!prefix.ok()) {
            return prefix.failure();
        }
        auto results = load_integer(max_results);
        auto page = load_integer(page_size);
        auto items = load_integer(max_items);
        for (const auto* parsed : {&results, &page, &items}) {
            if (!parsed->ok()) {
                return parsed->failure();
            }
        }
        if (max_results.given() || next_token.given() || globals.no_paginate) {
            return one_page(client, prefix.value(), results.value());
        }
        return all_pages(client, prefix.value(), page.value(), items.value());
    }

  private:
    static std::int32_t to_page_length(std::int64_t value) {
        // Out-of-range values go to the library, which answers as SQS does.
        if (value > INT32_MAX || value < INT32_MIN) {
            return value > 0 ? INT32_MAX : INT32_MIN;
        }
        return static_cast<std::int32_t>(value);
    }

    Outcome one_page(const Client& client, const std::string& prefix, std::optional<std::int64_t> results) {
        auto token = load_text(next_token);
        if (!token.ok()) {
            return token.failure();
        }
        auto listed = client.list_queues(prefix, results ? to_page_length(*results) : -1, token.value());
        if (!listed.ok()) {
            return Failure::service(listed.error());
        }
        print_page(listed.value().queue_urls, listed.value().next_token);
        return {};
    }

    Outcome all_pages(const Client& client, const std::string& prefix, std::optional<std::int64_t> page_length,
                      std::optional<std::int64_t> items) {
        auto token = load_text(starting_token);
        if (!token.ok()) {
            return token.failure();
        }
        if (items && *items < 1) {
            return Failure::parameter(max_items.name, "must be a positive integer");
        }
        std::vector<std::string> urls;
        std::string next = token.value();
        for (std::size_t pages = 0; pages < list_pages_max; ++pages) {
            // With --max-items, ask for exactly what is still wanted so a page never has to be
            // cut in the middle (a cut page would have no token to resume from).
            std::int32_t length = page_length ? to_page_length(*page_length) : -1;
            if (items) {
                const auto wanted = static_cast<std::int64_t>(static_cast<std::uint64_t>(*items) - urls.size());
                const std::int64_t page_max = 1000; // SQS's MaxResults bound
                const std::int64_t limit = length > 0 ? std::min<std::int64_t>(length, page_max) : page_max;
                length = static_cast<std::int32_t>(std::min(wanted, limit));
            }
            auto listed = client.list_queues(prefix, length, next);
            if (!listed.ok()) {
                return Failure::service(listed.error());
            }
            for (auto& url : listed.value().queue_urls) {
                urls.push_back(std::move(url));
            }
            next = std::move(listed.value().next_token);
            if (next.empty()) {
                break;
            }
            if (items && urls.size() >= static_cast<std::uint64_t>(*items)) {
                print_page(urls, next);
                return {};
            }
        }
        print_page(urls, {});
        return {};
    }

    static void print_page(const std::vector<std::string>& urls, const std::string& token) {
        boost::json::object response;
        if (!urls.empty()) {
            boost::json::array list;
            for (const auto& url : urls) {
                list.emplace_back(url);
            }
            response["QueueUrls"] = std::move(list);
        }
        if (!token.empty()) {
            response["NextToken"] = token;
        }
        print_response(response);
    }
};

struct GetQueueAttributesCommand {
    TextOption queue_url;
    ListOption attribute_names;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_list_option(parser, attribute_names, "--attribute-names",
                        "Attributes to get (All, VisibilityTimeout, ...)");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        std::vector<std::string> names;
        if (attribute_names.given()) {
            auto loaded = load_string_list(attribute_names);
            if (!loaded.ok()) {
                return loaded.failure();
            }
            names = std::move(loaded).value();
        }
        auto attributes = client.get_queue_attributes(name.value(), names);
        if (!attributes.ok()) {
            return Failure::service(attributes.error());
        }
        boost::json::object response;
        if (!attributes.value().empty()) {
            boost::json::object map;
            for (const auto& [key, value] : attributes.value()) {
                map[key] = value;
            }
            response["Attributes"] = std::move(map);
        }
        print_response(response);
        return {};
    }
};

struct SetQueueAttributesCommand {
    TextOption queue_url, attributes;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_text_option(parser, attributes, "--attributes", "Attributes: JSON object or Name=Value,Name=Value", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        auto loaded = load_string_map(attributes);
        if (!loaded.ok()) {
            return loaded.failure();
        }
        if (auto status = client.set_queue_attributes(name.value(), loaded.value()); !status.ok()) {
            return Failure::service(status.error());
        }
        return {};
    }
};

struct PurgeQueueCommand {
    TextOption queue_url;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue to purge", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        if (auto status = client.purge_queue(name.value()); !status.ok()) {
            return Failure::service(status.error());
        }
        return {};
    }
};

struct TagQueueCommand {
    TextOption queue_url, tags;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_text_option(parser, tags, "--tags", "Tags: JSON object or Key=Value,Key=Value", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        auto loaded = load_string_map(tags);
        if (!loaded.ok()) {
            return loaded.failure();
        }
        if (auto status = client.tag_queue(name.value(), loaded.value()); !status.ok()) {
            return Failure::service(status.error());
        }
        return {};
    }
};

struct UntagQueueCommand {
    TextOption queue_url;
    ListOption tag_keys;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true);
        add_list_option(parser, tag_keys, "--tag-keys", "Keys of the tags to remove", true);
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        auto keys = load_string_list(tag_keys);
        if (!keys.ok()) {
            return keys.failure();
        }
        if (auto status = client.untag_queue(name.value(), keys.value()); !status.ok()) {
            return Failure::service(status.error());
        }
        return {};
    }
};

struct ListQueueTagsCommand {
    TextOption queue_url;

    void declare(CLI::App& parser) { add_text_option(parser, queue_url, "--queue-url", "URL of the queue", true); }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        auto tags = client.list_queue_tags(name.value());
        if (!tags.ok()) {
            return Failure::service(tags.error());
        }
        // SQS leaves Tags out when a queue has none (recorded from AWS), so aws prints nothing.
        boost::json::object response;
        if (!tags.value().empty()) {
            boost::json::object map;
            for (const auto& [key, value] : tags.value()) {
                map[key] = value;
            }
            response["Tags"] = std::move(map);
        }
        print_response(response);
        return {};
    }
};

// The library returns every source queue at once; --max-results and --next-token page through
// that list here (the token is the index to resume at) so the flags behave as in aws.
struct ListDeadLetterSourceQueuesCommand {
    TextOption queue_url, max_results, next_token;

    void declare(CLI::App& parser) {
        add_text_option(parser, queue_url, "--queue-url", "URL of the dead-letter queue", true);
        add_text_option(parser, max_results, "--max-results", "Page length (1-1000)");
        add_text_option(parser, next_token, "--next-token", "Where a previous page ended");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue_url.value);
        if (!name.ok()) {
            return name.failure();
        }
        auto results = load_integer(max_results);
        if (!results.ok()) {
            return results.failure();
        }
        auto token = load_text(next_token);
        if (!token.ok()) {
            return token.failure();
        }
        if (results.value() && (*results.value() < 1 || *results.value() > 1000)) {
            return Failure::service(Errc::invalid_parameter_value,
                                    "Value " + std::to_string(*results.value()) +
                                        " for parameter MaxResults is invalid. Reason: must be "
                                        "between 1 and 1000.");
        }
        std::size_t start = 0;
        if (!token.value().empty()) {
            std::int64_t parsed = -1;
            const auto& text = token.value();
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
            if (error != std::errc{} || end != text.data() + text.size() || parsed < 0) {
                return Failure::service(Errc::invalid_parameter_value, "Invalid NextToken value.");
            }
            start = static_cast<std::size_t>(parsed);
        }
        auto sources = client.list_dead_letter_source_queues(name.value());
        if (!sources.ok()) {
            return Failure::service(sources.error());
        }
        const auto& urls = sources.value();
        std::size_t end = urls.size();
        if (results.value()) {
            end = std::min(end, start + static_cast<std::size_t>(*results.value()));
        }
        boost::json::array list;
        for (std::size_t index = start; index < end; ++index) {
            list.emplace_back(urls[index]);
        }
        // queueUrls is a required member of the response, so aws prints it even when empty.
        boost::json::object response{{"queueUrls", std::move(list)}};
        if (end < urls.size()) {
            response["NextToken"] = std::to_string(end);
        }
        print_response(response);
        return {};
    }
};

} // namespace

void add_queue_commands(CommandSet& commands) {
    commands.add<CreateQueueCommand>("create-queue", "CreateQueue", "Create a queue");
    commands.add<DeleteQueueCommand>("delete-queue", "DeleteQueue", "Delete a queue");
    commands.add<GetQueueUrlCommand>("get-queue-url", "GetQueueUrl", "Get the URL of a queue");
    commands.add<ListQueuesCommand>("list-queues", "ListQueues", "List queues");
    commands.add<GetQueueAttributesCommand>("get-queue-attributes", "GetQueueAttributes", "Get queue attributes");
    commands.add<SetQueueAttributesCommand>("set-queue-attributes", "SetQueueAttributes", "Set queue attributes");
    commands.add<PurgeQueueCommand>("purge-queue", "PurgeQueue", "Delete every message in a queue");
    commands.add<TagQueueCommand>("tag-queue", "TagQueue", "Add tags to a queue");
    commands.add<UntagQueueCommand>("untag-queue", "UntagQueue", "Remove tags from a queue");
    commands.add<ListQueueTagsCommand>("list-queue-tags", "ListQueueTags", "List a queue's tags");
    commands.add<ListDeadLetterSourceQueuesCommand>("list-dead-letter-source-queues", "ListDeadLetterSourceQueues",
                                                    "List the queues that use this queue as their dead-letter queue");
}

} // namespace shmq::cli
