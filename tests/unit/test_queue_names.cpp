// Goal: a queue name enters shmq only through QueueName::parse, queue_name_from_url and
// parse_queue_arn, and nothing else is a name: every Client action refuses a name, URL or ARN
// that would leave the namespace directory, with SQS's error and without looking a file up; the
// region layer opens only regular files of this user, never through a symlink.
// Method: the parsers on valid and hostile texts; a Client in a private namespace next to a
// "victim" namespace holding a message; files planted in the namespace directory under a
// queue's region name (a symlink, a FIFO, a directory).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "region/region.h"
#include "shmq/queue_name.h"
#include "support/test_namespace.h"

using namespace shmq;

namespace {

std::string arn_of(std::string_view name) {
    return "arn:aws:sqs:us-east-1:000000000000:" + std::string(name);
}

} // namespace

TEST_CASE("QueueName::parse accepts SQS queue names and nothing else", "[unit]") {
    for (const std::string& valid : {std::string("q"), std::string("Orders_2-x"), std::string(80, 'a'),
                                     std::string(75, 'b') + ".fifo", std::string("q.fifo")}) {
        INFO(valid);
        auto name = QueueName::parse(valid);
        REQUIRE(name);
        CHECK(name->text() == valid);
    }
    for (const std::string& invalid :
         {std::string(), std::string(81, 'a'), std::string(76, 'b') + ".fifo", std::string(".fifo"), std::string(".."),
          std::string("."), std::string("../x"), std::string("a/b"), std::string("/q"), std::string("q\0x", 3),
          std::string("%2e%2e"), std::string("%2fq"), std::string("q\xc3\xa9"), std::string("q.q"),
          std::string("q.fifo.fifo"), std::string(" q"), std::string("q:x"), std::string("q\\x")}) {
        INFO(invalid);
        auto name = QueueName::parse(invalid);
        REQUIRE_FALSE(name);
        CHECK(name.code() == Errc::invalid_parameter_value);
        CHECK(name.error().message ==
              "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
        CHECK_FALSE(QueueName::is_valid(invalid));
    }
}

TEST_CASE("queue URLs name a queue of this account, or none", "[unit]") {
    const auto name_of = [](std::string_view url, const QueueScope& scope = {}) {
        auto name = queue_name_from_url(url, scope);
        return name ? name->text() : std::string("<") + std::string(sqs_error_code(name.code())) + ">";
    };
    const std::string missing = "<AWS.SimpleQueueService.NonExistentQueue>";
    CHECK(name_of("http://127.0.0.1:9324/000000000000/orders") == "orders");
    CHECK(name_of("https://sqs.us-east-1.amazonaws.com/000000000000/q.fifo/") == "q.fifo");
    CHECK(name_of("http://localhost:4566/000000000000/q?x=1#f") == "q");
    CHECK(name_of("http://host/q") == "q");
    CHECK(name_of("plain") == "plain");
    CHECK(name_of("http://host/123456789012/q") == missing);
    CHECK(name_of("http://host/123456789012/q", QueueScope{"us-east-1", "123456789012"}) == "q");
    CHECK(name_of("http://host/000000000000/..") == missing);
    CHECK(name_of("http://host/000000000000/../other/q") == missing); // account segment "other"
    CHECK(name_of("http://host/000000000000/%2e%2e%2fother%2fq") == missing);
    CHECK(name_of("http://host//") == missing);
    CHECK(name_of("http://host") == missing);
    CHECK(name_of("") == missing);
    CHECK(name_of("..") == missing);
    CHECK(name_of("a/b") == missing);
    CHECK(name_of(std::string("q\0", 2)) == missing);
}

TEST_CASE("queue ARNs of this region and account name a queue, others say why not", "[unit]") {
    const QueueScope scope;
    auto parsed = parse_queue_arn("arn:aws:sqs:us-east-1:000000000000:dlq.fifo", scope);
    CHECK(parsed.fault == ArnFault::none);
    REQUIRE(parsed.name);
    CHECK(parsed.name->text() == "dlq.fifo");
    const QueueScope elsewhere{"eu-west-1", "111111111111"};
    CHECK(parse_queue_arn("arn:aws:sqs:eu-west-1:111111111111:dlq", elsewhere).fault == ArnFault::none);
    CHECK(parse_queue_arn("arn:aws:sqs:eu-west-1:000000000000:dlq", scope).fault == ArnFault::other_region);
    CHECK(parse_queue_arn("arn:aws:sqs:us-east-1:111111111111:dlq", scope).fault == ArnFault::other_account);
    for (const char* malformed :
         {"arn:aws:sns:us-east-1:000000000000:dlq", "arn:aws-cn:sqs:us-east-1:000000000000:dlq",
          "arn:aws:sqs:us-east-1:000000000000:dlq:extra", "arn:aws:sqs:us-east-1:000000000000:../x",
          "arn:aws:sqs:us-east-1:000000000000:..", "arn:aws:sqs:us-east-1:000000000000:", "arn:aws:sqs:::dlq",
          "arn:aws:sqs:us-east-1:dlq", "dlq", "", "arn:aws:sqs:us-east-1:000000000000:a/b",
          "arn:aws:sqs:us-east-1:000000000000:%2e%2e"}) {
        INFO(malformed);
        const ParsedQueueArn result = parse_queue_arn(malformed, scope);
        CHECK(result.fault == ArnFault::malformed);
        CHECK_FALSE(result.name);
    }
    CHECK(queue_name_of_any_arn("arn:aws:sqs:eu-west-1:111111111111:dlq")->text() == "dlq");
    CHECK_FALSE(queue_name_of_any_arn("arn:aws:sqs:eu-west-1:111111111111:../dlq"));
}

TEST_CASE("every Client action refuses names, URLs and ARNs that leave the namespace", "[unit]") {
    ManualClock clock;
    testing::TestNamespace victim(&clock);
    testing::TestNamespace attacker(&clock);
    REQUIRE(victim.client().create_queue("secret"));
    REQUIRE(victim.make_queue("secret").send({.body = "victim's data"}));
    const Client& client = attacker.client();
    REQUIRE(client.create_queue("mine"));
    const std::string escape = "../" + victim.name() + "/secret";

    CHECK(client.create_queue(escape).code() == Errc::invalid_parameter_value);
    CHECK(client.get_queue_url(escape).code() == Errc::queue_does_not_exist);
    CHECK(client.open_queue(escape).code() == Errc::queue_does_not_exist);
    CHECK(client.delete_queue(escape).code() == Errc::queue_does_not_exist);
    CHECK(client.purge_queue(escape).code() == Errc::queue_does_not_exist);
    CHECK(client.get_queue_attributes(escape, {"All"}).code() == Errc::queue_does_not_exist);
    CHECK(client.set_queue_attributes(escape, {{"DelaySeconds", "1"}}).code() == Errc::queue_does_not_exist);
    CHECK(client.tag_queue(escape, {{"k", "v"}}).code() == Errc::queue_does_not_exist);
    CHECK(client.untag_queue(escape, {"k"}).code() == Errc::queue_does_not_exist);
    CHECK(client.list_queue_tags(escape).code() == Errc::queue_does_not_exist);
    CHECK(client.list_dead_letter_source_queues(escape).code() == Errc::queue_does_not_exist);

    const std::string redrive = R"({"deadLetterTargetArn":")" + arn_of(escape) + R"(","maxReceiveCount":"1"})";
    auto created = client.create_queue("src", {{"RedrivePolicy", redrive}});
    CHECK(created.code() == Errc::invalid_parameter_value);
    CHECK(created.error().message ==
          "Value " + redrive +
              " for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.");
    CHECK(client.set_queue_attributes("mine", {{"RedrivePolicy", redrive}}).code() == Errc::invalid_parameter_value);
    const std::string allow = R"({"redrivePermission":"byQueue","sourceQueueArns":[")" + arn_of(escape) + R"("]})";
    CHECK(client.set_queue_attributes("mine", {{"RedriveAllowPolicy", allow}}).code() == Errc::invalid_parameter_value);

    auto moved = client.start_message_move_task(arn_of(escape), arn_of("mine"));
    CHECK(moved.code() == Errc::invalid_parameter_value);
    CHECK(moved.error().message == "You must use a valid source ARN.");
    CHECK(client.list_message_move_tasks(arn_of(escape)).code() == Errc::invalid_parameter_value);
    CHECK(client.cancel_message_move_task("0." + escape).code() == Errc::resource_not_found);

    auto attacker_queue = client.open_queue("mine");
    REQUIRE(attacker_queue);
    CHECK(attacker_queue->receive({.max_number_of_messages = 10}).value().empty());
    auto counts = victim.client().get_queue_attributes("secret", {"ApproximateNumberOfMessages"});
    REQUIRE(counts);
    CHECK(counts->at("ApproximateNumberOfMessages") == "1");
}

TEST_CASE("ARNs of another region or account get SQS's errors", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    REQUIRE(client.create_queue("dlq"));
    const auto redrive = [](const std::string& arn) {
        return R"({"deadLetterTargetArn":")" + arn + R"(","maxReceiveCount":"1"})";
    };
    const std::string other_region = "arn:aws:sqs:eu-west-1:000000000000:dlq";
    const std::string other_account = "arn:aws:sqs:us-east-1:111111111111:dlq";
    auto region = client.create_queue("src", {{"RedrivePolicy", redrive(other_region)}});
    CHECK(region.error().message == "Value " + redrive(other_region) +
                                        " for parameter RedrivePolicy is invalid. Reason: Dead-letter target must "
                                        "be in same region as the source.");
    auto account = client.create_queue("src", {{"RedrivePolicy", redrive(other_account)}});
    CHECK(account.error().message == "Value " + redrive(other_account) +
                                         " for parameter RedrivePolicy is invalid. Reason: Dead-letter target owner "
                                         "should be same as the source.");
    CHECK(client.start_message_move_task(other_region).code() == Errc::resource_not_found);
    CHECK(client.start_message_move_task(other_account).code() == Errc::resource_not_found);
    CHECK(client.list_message_move_tasks(other_account).code() == Errc::resource_not_found);
    auto destination = client.start_message_move_task(arn_of("dlq"), "arn:aws:sns:us-east-1:000000000000:dlq");
    CHECK(destination.error().message == "You must use a valid destination ARN.");
    // A scope given to the client is the one its ARNs are checked against.
    ClientOptions options;
    options.namespace_name = ns.name();
    options.clock = &clock;
    options.scope = QueueScope{"eu-west-1", "000000000000"};
    auto european = Client::open(options);
    REQUIRE(european);
    CHECK(european->create_queue("src", {{"RedrivePolicy", redrive(other_region)}}));
}

TEST_CASE("a region is opened only as a regular file of this user, never through a symlink", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    testing::TestNamespace elsewhere(&clock);
    const Client& client = ns.client();
    REQUIRE(elsewhere.client().create_queue("target"));
    const std::string directory = client.namespace_dir();
    const std::string planted = region::Region::path_of(directory, "planted");
    const auto check_refused = [&](Errc expected) {
        for (Errc code : {client.get_queue_url("planted").code(), client.open_queue("planted").code(),
                          client.get_queue_attributes("planted", {"All"}).code()}) {
            CHECK(code == expected);
        }
        auto error = client.open_queue("planted");
        CHECK(error.error().message.find(directory) == std::string::npos);
        CHECK(error.error().message.find('/') == std::string::npos);
    };
    SECTION("a symlink to another namespace's region") {
        REQUIRE(symlink(region::Region::path_of(elsewhere.client().namespace_dir(), "target").c_str(),
                        planted.c_str()) == 0);
        check_refused(Errc::corrupt_region);
    }
    SECTION("a FIFO") {
        REQUIRE(mkfifo(planted.c_str(), 0600) == 0);
        check_refused(Errc::corrupt_region);
    }
    SECTION("a directory") {
        REQUIRE(mkdir(planted.c_str(), 0700) == 0);
        check_refused(Errc::corrupt_region);
    }
    SECTION("a file of another user") {
        if (geteuid() != 0) {
            WARN("needs root to give a file away: not checked");
            return;
        }
        REQUIRE(client.create_queue("planted"));
        REQUIRE(chown(planted.c_str(), 65534, 65534) == 0);
        check_refused(Errc::access_denied);
    }
    SECTION("a name that is not a queue name, below the Client") {
        auto opened = region::Region::open(directory, "../" + elsewhere.name() + "/target");
        CHECK(opened.code() == Errc::invalid_parameter_value);
        CHECK(region::Region::open(directory, "").code() == Errc::invalid_parameter_value);
    }
    // ListQueues shows queues, not what else lies in the directory.
    auto page = client.list_queues();
    REQUIRE(page);
    for (const std::string& url : page->queue_urls) {
        CHECK(url.find("planted") == std::string::npos);
    }
}
