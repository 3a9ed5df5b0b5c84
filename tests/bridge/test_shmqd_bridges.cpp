// shmqd runs the bridges its config file declares (issue 12, items 1, 5 and 6). Method: a local
// shmqd started with --config (its queues and bridges) and the remote's credentials in its
// environment, a second shmqd with --credentials as the remote; messages go in and out through
// shared memory; the local shmqd is SIGKILLed mid-stream and started again; GET /bridges and
// GET /metrics of the local shmqd are read over HTTP with libcurl.
#include <catch2/catch.hpp>
#include <curl/curl.h>
#include <fstream>
#include <map>
#include <numeric>
#include <sys/stat.h>

#include "bridge/bridge_set.h"
#include "bridge/bridge_test_support.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

std::string http_get(const std::string& url) {
    CURL* easy = curl_easy_init();
    std::string body;
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10'000L);
    curl_easy_setopt(
        easy, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t size, std::size_t count, void* out) {
            static_cast<std::string*>(out)->append(data, size * count);
            return size * count;
        });
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    const CURLcode result = curl_easy_perform(easy);
    curl_easy_cleanup(easy);
    REQUIRE(result == CURLE_OK);
    return body;
}

std::string write_config(const DataDir& data, const std::string& text) {
    std::filesystem::create_directories(data.path);
    const std::string path = data.path + "/shmqd.toml";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
    return path;
}

} // namespace

TEST_CASE("shmqd --config bridges: FIFO forwarded in order and once through a SIGKILL of shmqd, status and metrics",
          "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("e2e-in.fifo", {{"FifoQueue", "true"}});
    TestNamespace local;
    DataDir data;
    const std::string config = write_config(data, R"([queues."e2e-out.fifo"]
attributes = { FifoQueue = true, Durability = "async" }

[bridges.to-remote]
queue = "e2e-out.fifo"
direction = "forward"
remote_queue_url = ")" + remote_url + R"("
region = "eu-west-1"
requests_in_flight = 2
batch_window_ms = 2
visibility_timeout_s = 2
)");
    std::string local_url;
    std::optional<ChildProcess> daemon;
    daemon.emplace(start_daemon(local, data, {"--config", config}, RemoteSqs::credentials_environment(), &local_url));
    Queue out = std::move(local.client().open_queue("e2e-out.fifo").value());
    const std::vector<std::string> groups{"x", "y", "z"};
    constexpr int per_group = 200;
    for (const std::string& group : groups) {
        send_numbered(out, 0, per_group / 2, group);
    }
    const auto remote_count = [&] {
        const QueueInspection inspection = remote.ns().client().open_queue("e2e-in.fifo")->inspect();
        return inspection.ready + inspection.in_flight;
    };
    REQUIRE(eventually([&] { return remote_count() > 0; }));
    daemon->kill_now(); // mid-stream: batches may be in flight, sent but not deleted here
    (void)daemon->wait();
    daemon.reset();
    for (const std::string& group : groups) {
        send_numbered(out, per_group / 2, per_group, group);
    }
    daemon.emplace(start_daemon(local, data, {"--config", config}, RemoteSqs::credentials_environment(), &local_url));
    // A batch the SIGKILL left in flight here comes back after the bridge's visibility timeout
    // (2 s here), and is sent again: SQS's deduplication drops what it had already.
    REQUIRE(eventually([&] {
        return held_locally(local.client(), "e2e-out.fifo") == 0 && remote_count() == groups.size() * per_group;
    }));

    const boost::json::value status = boost::json::parse(http_get(local_url + "/bridges"));
    const boost::json::object& bridge = status.at("Bridges").at(0).as_object();
    CHECK(bridge.at("Name").as_string() == "to-remote");
    CHECK(bridge.at("Direction").as_string() == "forward");
    CHECK(bridge.at("Region").as_string() == "eu-west-1");
    CHECK(bridge.at("Circuit").as_string() == "closed");
    CHECK(bridge.at("Carried").as_int64() > 0);
    const std::string metrics = http_get(local_url + "/metrics");
    CHECK(metrics.find("shmq_bridge_messages_total{bridge=\"to-remote\",direction=\"forward\",outcome=\"carried\"}") !=
          std::string::npos);
    CHECK(metrics.find("shmq_bridge_circuit{bridge=\"to-remote\",direction=\"forward\",state=\"closed\"} 1") !=
          std::string::npos);
    CHECK(metrics.find("shmq_bridge_request_seconds_bucket{bridge=\"to-remote\"") != std::string::npos);
    stop_daemon(*daemon);

    std::map<std::string, std::vector<int>> arrived;
    for (const ReceivedMessage& message : drain(remote.ns().client(), "e2e-in.fifo")) {
        arrived[message.message_group_id].push_back(std::stoi(message.attributes.at("n").string_value));
    }
    for (const std::string& group : groups) {
        std::vector<int> expected(per_group);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(arrived[group] == expected);
    }
}

TEST_CASE("shmqd --config bridges: pulled into a Durability=sync queue, stopped cleanly by SIGTERM", "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("e2e-source");
    Queue source = std::move(remote.ns().client().open_queue("e2e-source").value());
    constexpr int count = 300;
    send_numbered(source, 0, count);
    TestNamespace local;
    DataDir data;
    const std::string config = write_config(data, R"([queues.e2e-sync]
attributes = { Durability = "sync" }

[bridges.from-remote]
queue = "e2e-sync"
direction = "pull"
remote_queue_url = ")" + remote_url + R"("
region = "eu-west-1"
)");
    ChildProcess daemon = start_daemon(local, data, {"--config", config}, RemoteSqs::credentials_environment());
    REQUIRE(eventually([&] { return held_locally(local.client(), "e2e-sync") == count; }));
    stop_daemon(daemon); // SIGTERM: exit status 0 (asserted), the bridge stopped first
    // Written before deleted remotely: after a reboot's loss of shared memory, the journal has them.
    wipe_regions(local);
    ChildProcess restarted = start_daemon(local, data);
    CHECK(held_locally(local.client(), "e2e-sync") == count);
    stop_daemon(restarted);
    Queue remote_queue = std::move(remote.ns().client().open_queue("e2e-source").value());
    remote_queue.advance_timers();
    CHECK(remote_queue.inspect().ready + remote_queue.inspect().in_flight == 0);
}

TEST_CASE("shmqd --config bridges: FIFO pulled in order and once through a SIGKILL of shmqd", "[bridge]") {
    RemoteSqs remote;
    const std::string remote_url = remote.create_queue("e2e-pulled.fifo", {{"FifoQueue", "true"}});
    Queue source = std::move(remote.ns().client().open_queue("e2e-pulled.fifo").value());
    const std::vector<std::string> groups{"u", "v", "w", "x"};
    constexpr int per_group = 150;
    for (const std::string& group : groups) {
        send_numbered(source, 0, per_group, group);
    }
    TestNamespace local;
    DataDir data;
    const std::string config = write_config(data, R"([queues."e2e-pulled.fifo"]
attributes = { FifoQueue = true, Durability = "async" }

[bridges.from-remote]
queue = "e2e-pulled.fifo"
direction = "pull"
remote_queue_url = ")" + remote_url + R"("
region = "eu-west-1"
visibility_timeout_s = 2
)");
    std::optional<ChildProcess> daemon;
    daemon.emplace(start_daemon(local, data, {"--config", config}, RemoteSqs::credentials_environment()));
    REQUIRE(eventually([&] { return held_locally(local.client(), "e2e-pulled.fifo") > 0; }));
    daemon->kill_now(); // mid-stream: messages written here whose remote deletes never went
    (void)daemon->wait();
    daemon.emplace(start_daemon(local, data, {"--config", config}, RemoteSqs::credentials_environment()));
    // What SQS delivers again (its visibility, 2 s, lapsed) carries the same deduplication id,
    // the remote MessageId, and is dropped here.
    const auto remote_left = [&] {
        source.advance_timers();
        return source.inspect().ready + source.inspect().in_flight;
    };
    REQUIRE(eventually([&] { return remote_left() == 0; }));
    stop_daemon(*daemon);
    std::map<std::string, std::vector<int>> arrived;
    for (const ReceivedMessage& message : drain(local.client(), "e2e-pulled.fifo")) {
        arrived[message.message_group_id].push_back(std::stoi(message.attributes.at("n").string_value));
    }
    for (const std::string& group : groups) {
        std::vector<int> expected(per_group);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(arrived[group] == expected);
    }
}

TEST_CASE("bridges refuse to start without their queue, credentials or a region, saying where", "[bridge]") {
    TestNamespace local;
    (void)local.client().create_queue("exists");
    bridge::BridgeSettings settings =
        bridge_settings("b", "missing", bridge::Direction::forward, "https://sqs.eu-west-1.amazonaws.com/1/q");
    settings.declared_at = "shmqd.toml:7:1";
    std::map<std::string, std::string> variables{{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
                                                 {"AWS_CONFIG_FILE", "/nonexistent"}};
    bridge::AwsEnvironment environment{[&](std::string_view name) -> std::optional<std::string> {
        const auto found = variables.find(std::string(name));
        return found == variables.end() ? std::nullopt : std::optional(found->second);
    }};
    auto missing_queue = bridge::BridgeSet::start(local.client(), {settings}, {}, environment);
    REQUIRE_FALSE(missing_queue);
    CHECK(missing_queue.error().message ==
          "shmqd.toml:7:1: bridges.b.queue: queue missing does not exist (declare it under [queues], or create it "
          "before shmqd starts)");
    settings.local_queue = "exists";
    auto no_credentials = bridge::BridgeSet::start(local.client(), {settings}, {}, environment);
    REQUIRE_FALSE(no_credentials);
    CHECK(no_credentials.error().message.starts_with("shmqd.toml:7:1: bridges.b.profile: "));
    settings.remote_queue_url = "http://127.0.0.1:1/000000000000/q";
    auto no_region = bridge::BridgeSet::start(local.client(), {settings}, {}, environment);
    REQUIRE_FALSE(no_region);
    CHECK(no_region.error().message.starts_with("shmqd.toml:7:1: bridges.b.region: no AWS region"));
    settings.region = "eu-west-1:sqs:evil";
    auto bad_region = bridge::BridgeSet::start(local.client(), {settings}, {}, environment);
    REQUIRE_FALSE(bad_region);
    CHECK(bad_region.error().message ==
          "shmqd.toml:7:1: bridges.b.region: 'eu-west-1:sqs:evil' is not a region's name");
    CHECK(bridge::region_of_queue_url("https://sqs.ap-south-2.amazonaws.com/1/q") == "ap-south-2");
    CHECK(bridge::region_of_queue_url("https://eu-west-1.queue.amazonaws.com/1/q") == "eu-west-1");
    CHECK(bridge::region_of_queue_url("http://localhost:9324/1/q").empty());
}
