// Goal: shmqd's config file declares queues a person can write by hand, and every mistake in it
// is refused with its file, line, column and key: TOML syntax, unknown keys, values of the wrong
// type, queue names SQS refuses, files others may write. Applying it creates the queues that are
// missing and updates those that exist (attributes and tags), and refuses to pretend it changed
// what is fixed at creation.
// Method: parse_config on literal texts, read_config_file on files made with given modes,
// apply_declared_queues on a private namespace.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

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
    CHECK(message_of("[queues.orders]\nattributes = { VisibilityTimeout = 60 \n").starts_with("shmqd.toml:2:"));
    CHECK(message_of("[queue.orders]\n") == "shmqd.toml:1:2: queue: unknown key (known: queues, bridges)");
    CHECK(message_of("[queues.orders]\nattribute = { A = 1 }\n") ==
          "shmqd.toml:2:1: queues.orders.attribute: unknown key (a queue has attributes and tags)");
    CHECK(message_of("[queues.orders]\nattributes = { VisibilityTimeout = [1, 2] }\n") ==
          "shmqd.toml:2:36: queues.orders.attributes.VisibilityTimeout: must be a string, an integer or true/false");
    CHECK(message_of("[queues.orders]\nattributes = { VisibilityTimeout = 1.5 }\n").find("must be a string") !=
          std::string::npos);
    CHECK(message_of("[queues.orders]\ntags = \"team\"\n") ==
          "shmqd.toml:2:8: queues.orders.tags: must be a table (name = value, ...)");
    CHECK(message_of("queues = 3\n") == "shmqd.toml:1:10: queues: must be a table of queues ([queues.NAME])");
    CHECK(message_of("[queues]\norders = 1\n") ==
          "shmqd.toml:2:10: queues.orders: must be a table with attributes and tags");
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
    const std::filesystem::path directory =
        std::filesystem::temp_directory_path() / ("shmq-config-" + std::to_string(::getpid()));
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
    CHECK(first.value() ==
          std::vector<std::string>{"queue orders created", "queue ordered.fifo created"}); // file order
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
    auto no_key =
        apply_declared_queues(client, sealed.value(), [](std::string_view id) { return id == "alias/known"; });
    REQUIRE_FALSE(no_key);
    CHECK(no_key.error().message ==
          "shmqd.toml:1:1: queues.sealed.attributes.KmsMasterKeyId: key 'alias/missing' does not "
          "exist in shmqd's key ring (an id, alias/NAME or their ARN)");
    CHECK_FALSE(client.get_queue_url("sealed"));

    // A dead-letter queue declared after the queue whose RedrivePolicy names it.
    const std::string redrive =
        R"({"deadLetterTargetArn":")" + Client::queue_arn("dead") + R"(","maxReceiveCount":"3"})";
    auto chained = parse_config("[queues.source]\nattributes = { RedrivePolicy = '" + redrive + "' }\n[queues.dead]\n",
                                "shmqd.toml");
    REQUIRE(chained);
    auto applied = apply_declared_queues(client, chained.value());
    REQUIRE(applied);
    CHECK(applied.value() == std::vector<std::string>{"queue source created", "queue dead created"});
    CHECK(client.get_queue_attributes("source", {"RedrivePolicy"})->at("RedrivePolicy").find("dead") !=
          std::string::npos);
}

TEST_CASE("config file: bridges to SQS, every key checked", "[unit]") {
    auto parsed = parse_config(R"(
[queues.orders]
[bridges.orders-to-aws]
queue = "orders"
direction = "forward"
remote_queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
requests_in_flight = 8
batch_window_ms = 20
visibility_timeout_s = 30

[bridges.jobs-in]
queue = "jobs.fifo"
direction = "pull"
remote_queue_url = "http://127.0.0.1:9324/000000000000/jobs.fifo"
region = "us-east-1"
profile = "local"
ca_file = "/etc/shmq/local-ca.pem"
)",
                               "shmqd.toml");
    REQUIRE(parsed);
    REQUIRE(parsed->bridges.size() == 2);
    const bridge::BridgeSettings& forward = parsed->bridges[0];
    CHECK(forward.name == "orders-to-aws");
    CHECK(forward.declared_at == "shmqd.toml:3:1");
    CHECK(forward.local_queue == "orders");
    CHECK(forward.direction == bridge::Direction::forward);
    CHECK(forward.endpoint_url == "https://sqs.eu-west-1.amazonaws.com/"); // the queue URL's origin
    CHECK(forward.region.empty()); // found at start: from the URL's host, then the AWS sources
    CHECK(forward.requests_in_flight == 8);
    CHECK(forward.batch_window == std::chrono::milliseconds(20));
    CHECK(forward.visibility_timeout_s == 30);
    const bridge::BridgeSettings& pull = parsed->bridges[1];
    CHECK(pull.direction == bridge::Direction::pull);
    CHECK(pull.endpoint_url == "http://127.0.0.1:9324/");
    CHECK(pull.region == "us-east-1");
    CHECK(pull.profile == "local");
    CHECK(pull.ca_file == "/etc/shmq/local-ca.pem");
    CHECK(forward.ca_file.empty());      // the system's CA store
    CHECK(pull.requests_in_flight == 4); // the defaults
    CHECK(pull.batch_window == std::chrono::milliseconds(10));
    CHECK(pull.visibility_timeout_s == 60);

    const std::string head = "[bridges.b]\nqueue = \"q\"\ndirection = \"forward\"\n";
    const std::string url = "remote_queue_url = \"https://sqs.eu-west-1.amazonaws.com/1/q\"\n";
    CHECK(message_of(head + url + "batch_window = 5\n") ==
          "shmqd.toml:5:1: bridges.b.batch_window: unknown key (a bridge has queue, direction, remote_queue_url, "
          "region, endpoint_url, ca_file, profile, requests_in_flight, batch_window_ms, visibility_timeout_s)");
    CHECK(message_of("[bridges.b]\ndirection = \"forward\"\n" + url) == "shmqd.toml:1:1: bridges.b.queue: is required: "
                                                                        "the local queue");
    CHECK(message_of("[bridges.b]\nqueue = \"q\"\n" + url) ==
          "shmqd.toml:1:1: bridges.b.direction: is required: \"forward\" or \"pull\"");
    CHECK(message_of(head) == "shmqd.toml:1:1: bridges.b.remote_queue_url: is required: the SQS queue's URL");
    CHECK(message_of("[bridges.b]\nqueue = \"q\"\ndirection = \"sideways\"\n" + url) ==
          "shmqd.toml:3:13: bridges.b.direction: must be \"forward\" (local to SQS) or \"pull\" (SQS to local)");
    CHECK(message_of(head + url + "requests_in_flight = 0\n") ==
          "shmqd.toml:5:22: bridges.b.requests_in_flight: must be an integer from 1 to 64");
    CHECK(message_of(head + url + "batch_window_ms = \"5\"\n") ==
          "shmqd.toml:5:19: bridges.b.batch_window_ms: must be an integer from 0 to 10000");
    CHECK(message_of(head + url + "visibility_timeout_s = 1\n") ==
          "shmqd.toml:5:24: bridges.b.visibility_timeout_s: must be an integer from 2 to 43200");
    CHECK(message_of(head + url + "region = 3\n") == "shmqd.toml:5:10: bridges.b.region: must be a string");
    CHECK(message_of(head + url + "ca_file = \"certs/ca.pem\"\n") ==
          "shmqd.toml:5:11: bridges.b.ca_file: must be an absolute path (a PEM file of certificate authorities)");
    CHECK(message_of(head + url + "endpoint_url = \"file:///etc/passwd\"\n") ==
          "shmqd.toml:5:16: bridges.b.endpoint_url: must be an http:// or https:// URL without user, query or "
          "fragment");
    CHECK(message_of(head + "remote_queue_url = \"https://user:pw@sqs.x.amazonaws.com/1/q\"\n") ==
          "shmqd.toml:1:1: bridges.b.remote_queue_url: must be an http:// or https:// URL without user, query or "
          "fragment");
    CHECK(message_of(head + "remote_queue_url = \"https://sqs.x.amazonaws.com/1/a%2F..\"\n")
              .starts_with("shmqd.toml:1:1: bridges.b.remote_queue_url: does not end in a queue name"));
    CHECK(message_of(head + "remote_queue_url = \"https://sqs.x.amazonaws.com/1/q.fifo\"\n") ==
          "shmqd.toml:1:1: bridges.b.remote_queue_url: a FIFO queue is bridged to a FIFO queue, a standard queue to a "
          "standard one");
    CHECK(message_of("[bridges.b]\nqueue = \"../x\"\n").starts_with("shmqd.toml:2:9: bridges.b.queue: "));
    CHECK(message_of("[bridges.\"a b\"]\n").starts_with("shmqd.toml:1:10: bridges.a b: a bridge's name is 1 to 64"));
    CHECK(message_of(head + url + "[bridges.c]\nqueue = \"q\"\ndirection = \"forward\"\n" + url) ==
          "shmqd.toml:5:1: bridges.c.queue: queue q is forwarded by bridge b already (two would split its messages, "
          "not copy them)");
}

TEST_CASE("config file: the README's bridge example is a valid config", "[unit]") {
    std::ifstream readme(SHMQ_SOURCE_DIR "/README.md");
    std::stringstream text;
    text << readme.rdbuf();
    const std::string all = text.str();
    const std::size_t section = all.find("#### Bridges to Amazon SQS");
    REQUIRE(section != std::string::npos);
    const std::size_t begin = all.find("```toml\n", section);
    const std::size_t end = all.find("```\n", begin + 8);
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    auto parsed = parse_config(all.substr(begin + 8, end - begin - 8), "README.md");
    INFO((parsed ? std::string() : parsed.error().message));
    REQUIRE(parsed);
    CHECK(parsed->queues.size() == 5);
    CHECK(parsed->bridges.size() == 3);
    testing::TestNamespace ns;
    CHECK(apply_declared_queues(ns.client(), parsed.value()));
}
