// Goal: the queue-management actions behave as SQS's: CreateQueue idempotence and conflicts,
// names, GetQueueUrl, ListQueues with prefix and pages, attributes (get, set, counters), tags,
// PurgeQueue's 60-second rule, DeleteQueue, and refusal of regions of another layout version.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "region/region.h"
#include "shmq/limits.h"
#include "support/test_namespace.h"

using namespace shmq;

TEST_CASE("CreateQueue is idempotent for equal attributes and conflicts otherwise", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    auto url = client.create_queue("orders", {{"VisibilityTimeout", "20"}});
    REQUIRE(url);
    CHECK(url.value() == "http://127.0.0.1:9324/000000000000/orders");
    CHECK(client.create_queue("orders", {{"VisibilityTimeout", "20"}}).value() == url.value());
    CHECK(client.create_queue("orders").value() == url.value());
    auto conflict = client.create_queue("orders", {{"VisibilityTimeout", "21"}});
    REQUIRE_FALSE(conflict);
    CHECK(conflict.code() == Errc::queue_name_exists);
    CHECK(conflict.error().message ==
          "A queue already exists with the same name and a different value for attribute VisibilityTimeout");
}

TEST_CASE("queue names and attribute values are validated", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    CHECK(client.create_queue("").code() == Errc::invalid_parameter_value);
    CHECK(client.create_queue(std::string(81, 'a')).code() == Errc::invalid_parameter_value);
    CHECK(client.create_queue("has space").code() == Errc::invalid_parameter_value);
    CHECK(client.create_queue("q", {{"VisibilityTimeout", "43201"}}).code() == Errc::invalid_attribute_value);
    CHECK(client.create_queue("q", {{"MessageRetentionPeriod", "59"}}).code() == Errc::invalid_attribute_value);
    CHECK(client.create_queue("q", {{"Bogus", "1"}}).code() == Errc::invalid_attribute_name);
    CHECK(client.create_queue("q", {{"FifoQueue", "true"}}).code() == Errc::invalid_parameter_value);
    CHECK(client.create_queue("q", {{"ContentBasedDeduplication", "true"}}).code() == Errc::invalid_attribute_name);
    CHECK(client.create_queue(std::string(80, 'a')));
}

TEST_CASE("GetQueueUrl, ListQueues with prefix and pagination, DeleteQueue", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    for (const char* name : {"alpha-1", "alpha-2", "alpha-3", "beta"}) {
        REQUIRE(client.create_queue(name));
    }
    CHECK(client.get_queue_url("beta").value() == Client::queue_url("beta"));
    CHECK(client.get_queue_url("gamma").code() == Errc::queue_does_not_exist);
    auto all = client.list_queues();
    REQUIRE(all);
    CHECK(all->queue_urls.size() == 4);
    auto alpha = client.list_queues("alpha", 2);
    REQUIRE(alpha);
    REQUIRE(alpha->queue_urls.size() == 2);
    CHECK(alpha->queue_urls[0] == Client::queue_url("alpha-1"));
    REQUIRE_FALSE(alpha->next_token.empty());
    auto rest = client.list_queues("alpha", 2, alpha->next_token);
    REQUIRE(rest);
    REQUIRE(rest->queue_urls.size() == 1);
    CHECK(rest->queue_urls[0] == Client::queue_url("alpha-3"));
    CHECK(rest->next_token.empty());

    auto queue = client.open_queue("beta");
    REQUIRE(queue);
    REQUIRE(client.delete_queue("beta"));
    CHECK(client.get_queue_url("beta").code() == Errc::queue_does_not_exist);
    CHECK(queue->send({.body = "x"}).code() == Errc::queue_does_not_exist);
    CHECK(client.delete_queue("beta").code() == Errc::queue_does_not_exist);
}

TEST_CASE("attributes: get all, set, approximate counters", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue queue = ns.make_queue("attrs", {{"DelaySeconds", "0"}});
    REQUIRE(queue.send({.body = "ready"}));
    REQUIRE(queue.send({.body = "in flight"}));
    REQUIRE(queue.send({.body = "delayed", .attributes = nullptr, .delay_seconds = 60}));
    ReceiveRequest one;
    one.wait_time_s = 0;
    REQUIRE(queue.receive(one)->size() == 1);
    auto attributes = client.get_queue_attributes("attrs", {"All"});
    REQUIRE(attributes);
    CHECK(attributes->at("ApproximateNumberOfMessages") == "1");
    CHECK(attributes->at("ApproximateNumberOfMessagesNotVisible") == "1");
    CHECK(attributes->at("ApproximateNumberOfMessagesDelayed") == "1");
    CHECK(attributes->at("VisibilityTimeout") == "30");
    CHECK(attributes->at("MessageRetentionPeriod") == "345600");
    CHECK(attributes->at("MaximumMessageSize") == "1048576");
    CHECK(attributes->at("QueueArn") == "arn:aws:sqs:us-east-1:000000000000:attrs");
    CHECK(attributes->at("SqsManagedSseEnabled") == "true");
    CHECK_FALSE(attributes->contains("FifoQueue"));
    CHECK_FALSE(attributes->contains("RedrivePolicy"));

    REQUIRE(client.set_queue_attributes("attrs", {{"VisibilityTimeout", "7"}, {"ReceiveMessageWaitTimeSeconds", "3"}}));
    auto some = client.get_queue_attributes("attrs", {"VisibilityTimeout", "ReceiveMessageWaitTimeSeconds"});
    REQUIRE(some);
    CHECK(some->size() == 2);
    CHECK(some->at("VisibilityTimeout") == "7");
    CHECK(client.get_queue_attributes("attrs", {"Nope"}).code() == Errc::invalid_attribute_name);
    // As recorded from AWS (test_set_unsupported_attribute_standard): whatever the value.
    for (const char* value : {"true", "false"}) {
        const Status fifo = client.set_queue_attributes("attrs", {{"FifoQueue", value}});
        CHECK(fifo.code() == Errc::invalid_attribute_name);
        CHECK(fifo.error().message == "Unknown Attribute FifoQueue.");
    }
    CHECK(client.get_queue_attributes("missing", {"All"}).code() == Errc::queue_does_not_exist);
}

TEST_CASE("tags: add, replace, remove, limits", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue("tagged", {}, {{"team", "core"}}));
    REQUIRE(client.tag_queue("tagged", {{"env", "test"}, {"team", "infra"}}));
    auto tags = client.list_queue_tags("tagged");
    REQUIRE(tags);
    CHECK(tags.value() == QueueTags{{"env", "test"}, {"team", "infra"}});
    REQUIRE(client.untag_queue("tagged", {"env"}));
    CHECK(client.list_queue_tags("tagged").value() == QueueTags{{"team", "infra"}});
    QueueTags many;
    for (int i = 0; i < 50; ++i) {
        many["k" + std::to_string(i)] = "v";
    }
    CHECK(client.tag_queue("tagged", many).code() == Errc::invalid_parameter_value);
    CHECK(client.tag_queue("tagged", {{"aws:reserved", "x"}}).code() == Errc::invalid_parameter_value);
}

TEST_CASE("PurgeQueue removes everything, in flight too, once a minute", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue queue = ns.make_queue("purge");
    for (int i = 0; i < 5; ++i) {
        REQUIRE(queue.send({.body = "m"}));
    }
    ReceiveRequest two;
    two.max_number_of_messages = 2;
    two.wait_time_s = 0;
    REQUIRE(queue.receive(two)->size() == 2);
    REQUIRE(client.purge_queue("purge"));
    CHECK(queue.inspect().free == queue.inspect().slot_count);
    CHECK(client.purge_queue("purge").code() == Errc::purge_queue_in_progress);
    clock.advance_s(60);
    CHECK(client.purge_queue("purge"));
}

TEST_CASE("a region of another layout version or a corrupt one is refused clearly", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue("versioned"));
    const std::string path = region::Region::path_of(client.namespace_dir(), "versioned");
    {
        const int fd = ::open(path.c_str(), O_RDWR);
        REQUIRE(fd >= 0);
        const std::uint32_t other_version = 999;
        REQUIRE(pwrite(fd, &other_version, sizeof other_version, 8) == sizeof other_version);
        ::close(fd);
    }
    auto opened = client.open_queue("versioned");
    REQUIRE_FALSE(opened);
    CHECK(opened.code() == Errc::layout_version_mismatch);
    CHECK(opened.error().message.find("layout version 999") != std::string::npos);

    REQUIRE(client.create_queue("garbage"));
    const std::string garbage = region::Region::path_of(client.namespace_dir(), "garbage");
    {
        const int fd = ::open(garbage.c_str(), O_RDWR | O_TRUNC);
        REQUIRE(fd >= 0);
        REQUIRE(write(fd, "not a region", 12) == 12);
        ::close(fd);
    }
    CHECK(client.open_queue("garbage").code() == Errc::corrupt_region);
}

TEST_CASE("regions are private (0600) unless asked otherwise, SHMQ_NAMESPACE selects the namespace", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue("private"));
    // Group bits only in a namespace opened with group access (see test_file_permissions.cpp).
    REQUIRE(client.create_queue("shared", {}, {},
                                QueueCapacity{.slot_count = 0, .message_bytes_capacity = 0, .permissions = 0666}));
    struct stat info {};
    REQUIRE(stat(region::Region::path_of(client.namespace_dir(), "private").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    REQUIRE(stat(region::Region::path_of(client.namespace_dir(), "shared").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);

    setenv("SHMQ_NAMESPACE", ns.name().c_str(), 1);
    auto from_environment = Client::open();
    unsetenv("SHMQ_NAMESPACE");
    REQUIRE(from_environment);
    CHECK(from_environment->namespace_name() == ns.name());
    CHECK(from_environment->get_queue_url("private"));
    ClientOptions bad;
    bad.namespace_name = "no/slashes";
    CHECK(Client::open(bad).code() == Errc::invalid_parameter_value);
}

TEST_CASE("Durability (shmq's attribute): memory, async or sync, named only, refused where not available",
          "[unit]") {
    testing::TestNamespace ns;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("plain"));
    REQUIRE(client.create_queue("kept", {{"Durability", "async"}}));
    auto named = client.get_queue_attributes("kept", {"Durability"});
    REQUIRE(named);
    CHECK(named->at("Durability") == "async");
    auto plain = client.get_queue_attributes("plain", {"Durability"});
    REQUIRE(plain);
    CHECK(plain->at("Durability") == "memory");
    // "All" keeps the attribute set AWS clients know.
    auto all = client.get_queue_attributes("kept", {"All"});
    REQUIRE(all);
    CHECK_FALSE(all->contains("Durability"));
    REQUIRE(client.set_queue_attributes("plain", {{"Durability", "async"}}));
    CHECK(client.get_queue_attributes("plain", {"Durability"})->at("Durability") == "async");

    auto bad = client.create_queue("bad", {{"Durability", "disk"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.code() == Errc::invalid_attribute_value);
    REQUIRE(client.create_queue("sync", {{"Durability", "sync"}}));
    CHECK(client.get_queue_attributes("sync", {"Durability"})->at("Durability") == "sync");
    REQUIRE(client.create_queue("kept.fifo", {{"FifoQueue", "true"}, {"Durability", "sync"}}));
    CHECK(client.get_queue_attributes("kept.fifo", {"Durability"})->at("Durability") == "sync");
}

TEST_CASE("MessageCapacity (shmq's extension attribute) sizes a queue at creation, as HTTP clients can ask",
          "[unit]") {
    testing::TestNamespace ns;
    const Client& client = ns.client();
    REQUIRE(client.create_queue("big", {{"MessageCapacity", "200000"}}));
    CHECK(client.get_queue_attributes("big", {"MessageCapacity"})->at("MessageCapacity") == "200000");
    auto big = client.open_queue("big");
    REQUIRE(big);
    CHECK(big->inspect().slot_count == 200000);
    REQUIRE(client.create_queue("plain"));
    CHECK(client.get_queue_attributes("plain", {"MessageCapacity"})->at("MessageCapacity") ==
          std::to_string(limits::slot_count_default));
    CHECK_FALSE(client.get_queue_attributes("plain", {"All"})->contains("MessageCapacity"));
    // Fixed once made; out of range refused.
    CHECK(client.set_queue_attributes("big", {{"MessageCapacity", "300000"}}).code() == Errc::invalid_attribute_value);
    CHECK(client.create_queue("tiny", {{"MessageCapacity", "5"}}).code() == Errc::invalid_attribute_value);
    CHECK(client.create_queue("huge", {{"MessageCapacity", "16777216"}}).code() == Errc::invalid_attribute_value);
    // CreateQueue again with the same value: the same queue.
    CHECK(client.create_queue("big", {{"MessageCapacity", "200000"}}));
}
