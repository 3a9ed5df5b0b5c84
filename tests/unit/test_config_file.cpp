// Goal: shmqd's config file declares queues a person can write by hand, and every mistake in it
// is refused with its file, line, column and key: TOML syntax, unknown keys, values of the wrong
// type, queue names SQS refuses, files others may write. Applying it creates the queues that are
// missing and updates those that exist (attributes and tags), and refuses to pretend it changed
// what is fixed at creation.
// Method: parse_config on literal texts, read_config_file on files made with given modes,
// apply_declared_queues on a private namespace.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "shmqd/config_file.h"
#include "support/test_namespace.h"

using namespace shmq;
using namespace shmq::daemon;

namespace {

std::string message_of(std::string_view text) {
    auto parsed = parse_config(text, "shmqd.toml");
    REQUIRE_FALSE(parsed);
    return parsed.error().message;
}

} // namespace

TEST_CASE("config file: queues with attributes and tags, values as strings, integers or booleans", "[unit]") {
    auto parsed = parse_config(R"(
# queues shmqd keeps
[queues.orders]
attributes = { VisibilityTimeout = 60, Durability = "async" }
tags = { team = "payments" }

[queues."orders.fifo"]
attributes = { FifoQueue = true, ContentBasedDeduplication = true }

[queues.plain]
)",
                               "shmqd.toml");
    REQUIRE(parsed);
    REQUIRE(parsed->queues.size() == 3);
    const DeclaredQueue& orders = parsed->queues[0];
    CHECK(orders.name == "orders");
    CHECK(orders.attributes == QueueAttributes{{"Durability", "async"}, {"VisibilityTimeout", "60"}});
    CHECK(orders.tags == QueueTags{{"team", "payments"}});
    CHECK(orders.where == "shmqd.toml:3:1");
    CHECK(parsed->queues[1].name == "orders.fifo");
    CHECK(parsed->queues[1].attributes.at("FifoQueue") == "true");
    CHECK(parsed->queues[2].attributes.empty());
    CHECK(parse_config("", "empty.toml")->queues.empty());
}

TEST_CASE("config file: every mistake names its file, line, column and key", "[unit]") {
    CHECK(message_of("[queues.orders]\nattributes = { VisibilityTimeout = 60 \n") .starts_with("shmqd.toml:2:"));
    CHECK(message_of("[queue.orders]\n") == "shmqd.toml:1:2: queue: unknown key (known: queues)");
    CHECK(message_of("[queues.orders]\nattribute = { A = 1 }\n") ==
          "shmqd.toml:2:1: queues.orders.attribute: unknown key (a queue has attributes and tags)");
    CHECK(message_of("[queues.orders]\nattributes = { VisibilityTimeout = [1, 2] }\n") ==
          "shmqd.toml:2:36: queues.orders.attributes.VisibilityTimeout: must be a string, an integer or true/false");
    CHECK(message_of("[queues.orders]\nattributes = { VisibilityTimeout = 1.5 }\n").find("must be a string") !=
          std::string::npos);
    CHECK(message_of("[queues.orders]\ntags = \"team\"\n") ==
          "shmqd.toml:2:8: queues.orders.tags: must be a table (name = value, ...)");
    CHECK(message_of("queues = 3\n") == "shmqd.toml:1:10: queues: must be a table of queues ([queues.NAME])");
    CHECK(message_of("[queues]\norders = 1\n") == "shmqd.toml:2:10: queues.orders: must be a table with attributes and tags");
    // Names SQS would refuse, paths among them, never reach the namespace.
    for (const char* name : {"\"../escape\"", "\"a b\"", "\"x.fifo.fifo\"", "\"\""}) {
        CAPTURE(name);
        const std::string text = std::string("[queues.") + name + "]\n";
        const std::string message = message_of(text);
        CHECK(message.starts_with("shmqd.toml:1:"));
        CHECK(message.find("queues.") != std::string::npos);
    }
    CHECK(message_of("[queues.a]\n[queues.a]\n").starts_with("shmqd.toml:2:")); // TOML: defined twice
}

TEST_CASE("config file: read only from a regular file of ours that others cannot write", "[unit]") {
    const std::filesystem::path directory = std::filesystem::temp_directory_path() /
                                            ("shmq-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    const std::string path = (directory / "shmqd.toml").string();
    std::ofstream(path) << "[queues.orders]\n";
    ::chmod(path.c_str(), 0644);
    auto read = read_config_file(path);
    REQUIRE(read);
    CHECK(read->queues.size() == 1);
    ::chmod(path.c_str(), 0666);
    auto writable = read_config_file(path);
    REQUIRE_FALSE(writable);
    CHECK(writable.error().message == path + ": is writable by its group or others (mode 0666): it decides what "
                                             "shmqd does; chmod go-w it");
    auto missing = read_config_file((directory / "missing.toml").string());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("No such file") != std::string::npos);
    auto not_a_file = read_config_file(directory.string());
    REQUIRE_FALSE(not_a_file);
    CHECK(not_a_file.error().message == directory.string() + ": is not a regular file");
    std::ofstream(path, std::ios::trunc) << std::string((1u << 20) + 1, '#');
    ::chmod(path.c_str(), 0600);
    CHECK(read_config_file(path).error().message == path + ": is larger than 1048576 bytes");
    std::filesystem::remove_all(directory);
}

TEST_CASE("config file: missing queues are created, existing ones updated, creation-only values kept", "[unit]") {
    testing::TestNamespace ns;
    auto config = parse_config(R"(
[queues.orders]
attributes = { VisibilityTimeout = 60 }
tags = { team = "payments" }
[queues."ordered.fifo"]
attributes = { FifoQueue = true }
)",
                               "shmqd.toml");
    REQUIRE(config);
    const Client& client = ns.client();
    auto first = apply_declared_queues(client, config.value());
    REQUIRE(first);
    CHECK(first.value() == std::vector<std::string>{"queue orders created", "queue ordered.fifo created"}); // file order
    CHECK(client.get_queue_attributes("orders", {"VisibilityTimeout"})->at("VisibilityTimeout") == "60");
    CHECK(client.list_queue_tags("orders")->at("team") == "payments");

    auto changed = parse_config("[queues.orders]\nattributes = { VisibilityTimeout = 5, DelaySeconds = 2 }\n"
                                "tags = { owner = \"ops\" }\n",
                                "shmqd.toml");
    REQUIRE(changed);
    auto second = apply_declared_queues(client, changed.value());
    REQUIRE(second);
    CHECK(second.value() == std::vector<std::string>{"queue orders updated from the config file"});
    auto attributes = client.get_queue_attributes("orders", {"VisibilityTimeout", "DelaySeconds"});
    CHECK(attributes->at("VisibilityTimeout") == "5");
    CHECK(attributes->at("DelaySeconds") == "2");
    CHECK(client.list_queue_tags("orders").value() == QueueTags{{"owner", "ops"}, {"team", "payments"}});

    // Creation-only values as SQS reads them: a boolean in any case, a number with any zeros.
    auto same = parse_config("[queues.\"ordered.fifo\"]\nattributes = { FifoQueue = \"TRUE\" }\n", "shmqd.toml");
    CHECK(apply_declared_queues(client, same.value()));
    auto bad_value = parse_config("[queues.orders]\nattributes = { VisibilityTimeout = 99999 }\n", "shmqd.toml");
    auto refused = apply_declared_queues(client, bad_value.value());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.starts_with("shmqd.toml:1:1: queues.orders.attributes: "));
    auto fixed = parse_config("[queues.\"ordered.fifo\"]\nattributes = { FifoQueue = false }\n", "shmqd.toml");
    auto kept = apply_declared_queues(client, fixed.value());
    REQUIRE_FALSE(kept);
    CHECK(kept.error().message ==
          "shmqd.toml:1:1: queues.ordered.fifo.attributes.FifoQueue: is fixed when a queue is created: the queue "
          "has true, the file says false");
    auto created_bad = parse_config("[queues.fresh]\nattributes = { Unknown = 1 }\n", "shmqd.toml");
    auto not_created = apply_declared_queues(client, created_bad.value());
    REQUIRE_FALSE(not_created);
    CHECK(not_created.error().message.starts_with("shmqd.toml:1:1: queues.fresh: "));
    CHECK_FALSE(client.get_queue_url("fresh"));
    auto sealed = parse_config("[queues.sealed]\nattributes = { KmsMasterKeyId = \"alias/missing\" }\n", "shmqd.toml");
    auto no_key = apply_declared_queues(client, sealed.value(), [](std::string_view id) { return id == "alias/known"; });
    REQUIRE_FALSE(no_key);
    CHECK(no_key.error().message == "shmqd.toml:1:1: queues.sealed.attributes.KmsMasterKeyId: key 'alias/missing' does not "
                                    "exist in shmqd's key ring (an id, alias/NAME or their ARN)");
    CHECK_FALSE(client.get_queue_url("sealed"));

    // A dead-letter queue declared after the queue whose RedrivePolicy names it.
    const std::string redrive = R"({"deadLetterTargetArn":")" + Client::queue_arn("dead") + R"(","maxReceiveCount":"3"})";
    auto chained = parse_config("[queues.source]\nattributes = { RedrivePolicy = '" + redrive + "' }\n[queues.dead]\n",
                                "shmqd.toml");
    REQUIRE(chained);
    auto applied = apply_declared_queues(client, chained.value());
    REQUIRE(applied);
    CHECK(applied.value() == std::vector<std::string>{"queue source created", "queue dead created"});
    CHECK(client.get_queue_attributes("source", {"RedrivePolicy"})->at("RedrivePolicy").find("dead") !=
          std::string::npos);
}
