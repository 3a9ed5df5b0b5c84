// Goal: the queues shmqd's config file declares exist once shmqd says it is ready, with their
// attributes and tags, are journaled like any queue (a reboot brings them back with their
// messages), follow the file when it changes at the next start, and a mistake in the file stops
// shmqd before it serves anything, with exit status 2 and the file, line and key on stderr.
// Method: the real shmqd with --config, a file written by the test; a reboot is the regions wiped.
#include <sys/stat.h>

#include <fstream>

#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

// The config file, beside the data directory, removed with the test.
struct ConfigFile {
    std::string path;
    explicit ConfigFile(const DataDir& data) : path(data.path + "-shmqd.toml") {}
    ~ConfigFile() { std::filesystem::remove(path); }
    ConfigFile(const ConfigFile&) = delete;
    ConfigFile& operator=(const ConfigFile&) = delete;

    const std::string& write(const std::string& text) const {
        std::ofstream(path, std::ios::trunc) << text;
        ::chmod(path.c_str(), 0600);
        return path;
    }
};

} // namespace

TEST_CASE("shmqd --config: declared queues exist when it is ready, survive a reboot and follow the file",
          "[durability]") {
    TestNamespace ns;
    DataDir data;
    const ConfigFile config(data);
    const std::string path = config.write(R"(
[queues.orders]
attributes = { VisibilityTimeout = 45, Durability = "sync", SqsManagedSseEnabled = false }
tags = { team = "payments" }

[queues."orders.fifo"]
attributes = { FifoQueue = true, ContentBasedDeduplication = true }
)");
    {
        ChildProcess daemon = start_daemon(ns, data, {"--config", path});
        auto attributes = ns.client().get_queue_attributes("orders", {"VisibilityTimeout", "Durability"});
        REQUIRE(attributes);
        CHECK(attributes->at("VisibilityTimeout") == "45");
        CHECK(attributes->at("Durability") == "sync");
        CHECK(ns.client().list_queue_tags("orders")->at("team") == "payments");
        CHECK(ns.client().get_queue_attributes("orders.fifo", {"ContentBasedDeduplication"})
                  ->at("ContentBasedDeduplication") == "true");
        auto queue = ns.client().open_queue("orders");
        REQUIRE(queue);
        REQUIRE(queue->send({.body = "kept across the reboot"})); // sync: journaled when it returns
        stop_daemon(daemon);
    }
    wipe_regions(ns);
    config.write("[queues.orders]\nattributes = { VisibilityTimeout = 7 }\n");
    {
        ChildProcess daemon = start_daemon(ns, data, {"--config", path});
        auto attributes = ns.client().get_queue_attributes("orders", {"VisibilityTimeout", "Durability"});
        REQUIRE(attributes);
        CHECK(attributes->at("VisibilityTimeout") == "7");   // the file's new value
        CHECK(attributes->at("Durability") == "sync");       // restored from the journal, kept
        CHECK(ns.client().get_queue_url("orders.fifo"));      // no longer declared: restored, not deleted
        auto queue = ns.client().open_queue("orders");
        REQUIRE(queue);
        const auto messages = receive_all(queue.value());
        REQUIRE(messages.size() == 1);
        CHECK(messages.begin()->second.body == "kept across the reboot");
        stop_daemon(daemon);
    }
}

TEST_CASE("shmqd --config: a mistake in the file stops it with status 2 and where the mistake is", "[durability]") {
    TestNamespace ns;
    DataDir data;
    const ConfigFile config(data);
    const std::vector<std::string> base{"--data-dir", data.path, "--namespace", ns.name(), "--listen", "127.0.0.1:0"};
    auto run_with = [&](const std::string& text) {
        std::vector<std::string> arguments = base;
        arguments.insert(arguments.end(), {"--config", config.write(text)});
        return run_to_exit(arguments, data);
    };
    const Run unknown = run_with("[queues.orders]\nattributes = { VisibilityTimeout = 45 }\nbridge = 1\n");
    CHECK(WIFEXITED(unknown.status));
    CHECK(WEXITSTATUS(unknown.status) == 2);
    CHECK(unknown.stderr_text.find("-shmqd.toml:3:1: queues.orders.bridge: unknown key") != std::string::npos);
    const Run refused = run_with("[queues.orders]\nattributes = { VisibilityTimeout = 99999 }\n");
    CHECK(WIFEXITED(refused.status));
    CHECK(WEXITSTATUS(refused.status) == 2);
    CHECK(refused.stderr_text.find("-shmqd.toml:1:1: queues.orders: ") != std::string::npos);
    CHECK_FALSE(ns.client().get_queue_url("orders"));
    const Run no_key = run_with("[queues.sealed]\nattributes = { KmsMasterKeyId = \"alias/nobody\" }\n");
    CHECK(WIFEXITED(no_key.status));
    CHECK(WEXITSTATUS(no_key.status) == 2);
    CHECK(no_key.stderr_text.find("queues.sealed.attributes.KmsMasterKeyId: key 'alias/nobody' does not exist") !=
          std::string::npos);
    CHECK_FALSE(ns.client().get_queue_url("sealed"));
}
