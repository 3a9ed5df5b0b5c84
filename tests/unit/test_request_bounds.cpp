// Goal: shmqd's protocol translators refuse hostile request bodies whole, with SQS's errors, at
// fixed bounds, and keep serving: Query forms past the bounds of QueryForm (parameters, key bytes
// and depth, value bytes, list indexes, duplicates) and JSON bodies past their nesting, value count
// or content type. Requests at the size SQS allows still pass. Method: serve_query / serve_json
// (the endpoint's entry points, without sockets) over an SqsService of a private namespace; each
// refusal is followed by a request that must succeed.
#include <catch2/catch.hpp>
#include <string>

#include "shmqd/json_protocol.h"
#include "shmqd/query_form.h"
#include "shmqd/query_protocol.h"
#include "support/test_namespace.h"

using namespace shmq;
using shmq::daemon::HttpReply;

namespace {

constexpr std::string_view json_type = "application/x-amz-json-1.0";

HttpReply query(api::SqsService& service, const std::string& form) {
    return daemon::serve_query(service, form, "/", "request-id", api::Caller{});
}

HttpReply json_call(api::SqsService& service, std::string_view action, const std::string& body,
                    std::string_view content_type = json_type) {
    return daemon::serve_json(service, "AmazonSQS." + std::string(action), content_type, body, api::Caller{});
}

void check_refused(const HttpReply& reply, std::string_view code) {
    INFO(reply.body.substr(0, 400));
    CHECK(reply.status == 400);
    CHECK(reply.body.find("<Code>" + std::string(code) + "</Code>") != std::string::npos);
    CHECK(reply.body.size() < 1024); // the error never echoes the hostile input whole
}

void check_still_serving(api::SqsService& service) {
    const HttpReply reply = query(service, "Action=ListQueues");
    INFO(reply.body);
    CHECK(reply.status == 200);
}

std::string repeated_key(std::size_t segments) {
    std::string key = "a";
    key.reserve(segments * 2);
    for (std::size_t i = 1; i < segments; ++i) {
        key += ".a";
    }
    return key;
}

} // namespace

TEST_CASE("a Query form past its bounds is refused with InvalidQueryParameter", "[unit]") {
    testing::TestNamespace ns;
    api::SqsService service(ns.client(), {});

    SECTION("an 800 KB key of 400 000 dot-separated parts (it overflowed the stack)") {
        check_refused(query(service, "Action=ListQueues&" + repeated_key(400'000) + "=1"), "InvalidQueryParameter");
    }
    SECTION("one part more than query_key_segments_max") {
        check_refused(query(service, "Action=ListQueues&" + repeated_key(daemon::query_key_segments_max + 1) + "=1"),
                      "InvalidQueryParameter");
    }
    SECTION("100 000 parameters") {
        std::string form = "Action=ListQueues";
        for (int i = 0; i < 100'000; ++i) {
            form += "&p" + std::to_string(i) + "=1";
        }
        check_refused(query(service, form), "InvalidQueryParameter");
    }
    SECTION("a key longer than query_key_bytes_max") {
        check_refused(query(service, "Action=ListQueues&" + std::string(daemon::query_key_bytes_max + 1, 'k') + "=1"),
                      "InvalidQueryParameter");
    }
    SECTION("a value longer than query_value_bytes_max") {
        check_refused(
            query(service, "Action=ListQueues&QueueNamePrefix=" + std::string(daemon::query_value_bytes_max + 1, 'v')),
            "InvalidParameterValue");
    }
    SECTION("a key given twice") {
        check_refused(query(service, "Action=ListQueues&QueueNamePrefix=a&QueueNamePrefix=b"), "InvalidQueryParameter");
    }
    SECTION("an empty part") {
        check_refused(query(service, "Action=CreateQueue&QueueName=q&Attribute..Name=x"), "InvalidQueryParameter");
    }
    SECTION("list indexes out of range, zero, zero-padded or not numbers") {
        for (const std::string key :
             {"SendMessageBatchRequestEntry.99999999999.Id", "SendMessageBatchRequestEntry.18446744073709551617.Id",
              "SendMessageBatchRequestEntry.0.Id", "SendMessageBatchRequestEntry.01.Id",
              "SendMessageBatchRequestEntry.x.Id", "AttributeName.first"}) {
            INFO(key);
            check_refused(query(service, "Action=SendMessageBatch&QueueUrl=http://h/000000000000/q&" + key + "=a"),
                          "InvalidQueryParameter");
        }
    }
    SECTION("percent-encoding that is not") {
        check_refused(query(service, "Action=ListQueues&QueueNamePrefix=%zz"), "InvalidQueryParameter");
    }
    check_still_serving(service);
}

TEST_CASE("Query requests as large as SQS allows pass the form's bounds", "[unit]") {
    testing::TestNamespace ns;
    api::SqsService service(ns.client(), {});
    REQUIRE(query(service, "Action=CreateQueue&QueueName=wide&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5")
                .status == 200);
    // SendMessageBatch: 10 entries, each with 10 message attributes: about the widest request SQS
    // defines (330 parameters).
    std::string form = "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=" + service.url_of("wide");
    for (int entry = 1; entry <= 10; ++entry) {
        const std::string prefix = "&SendMessageBatchRequestEntry." + std::to_string(entry) + ".";
        form += prefix + "Id=e" + std::to_string(entry) + prefix + "MessageBody=body" + prefix + "DelaySeconds=0";
        for (int attribute = 1; attribute <= 10; ++attribute) {
            const std::string name = prefix + "MessageAttribute." + std::to_string(attribute) + ".";
            form += name + "Name=a" + std::to_string(attribute) + name + "Value.DataType=String" + name +
                    "Value.StringValue=v";
        }
    }
    const HttpReply reply = query(service, form);
    INFO(reply.body.substr(0, 600));
    CHECK(reply.status == 200);
    CHECK(reply.body.find("<SendMessageBatchResultEntry>") != std::string::npos);
    CHECK(reply.body.find("<BatchResultErrorEntry>") == std::string::npos);
    // Keys at the bounds themselves (an unknown parameter is ignored, as SQS does).
    CHECK(query(service, "Action=ListQueues&" + repeated_key(daemon::query_key_segments_max) + "=1").status == 200);
    CHECK(query(service, "Action=ListQueues&" + std::string(daemon::query_key_bytes_max, 'k') + "=1").status == 200);
}

TEST_CASE("a JSON request past its bounds is refused with SerializationException", "[unit]") {
    testing::TestNamespace ns;
    api::SqsService service(ns.client(), {});
    const auto check_serialization_error = [](const HttpReply& reply, std::string_view reason) {
        INFO(reply.body.substr(0, 400));
        CHECK(reply.status == 400);
        CHECK(reply.body.find("SerializationException") != std::string::npos);
        CHECK(reply.body.find(reason) != std::string::npos);
    };
    SECTION("an array 100 000 deep") {
        const std::string body = R"({"QueueNamePrefix":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
        check_serialization_error(json_call(service, "ListQueues", body), "nested deeper");
    }
    SECTION("100 000 values") {
        std::string body = R"({"QueueNamePrefix":"a","AttributeNames":[)";
        for (int i = 0; i < 100'000; ++i) {
            body += i == 0 ? "1" : ",1";
        }
        body += "]}";
        check_serialization_error(json_call(service, "ListQueues", body), "values");
    }
    SECTION("not an object") {
        check_serialization_error(json_call(service, "ListQueues", "[]"), "not an object");
    }
    const HttpReply after = json_call(service, "ListQueues", "{}");
    CHECK(after.status == 200);
}

TEST_CASE("a JSON request needs SQS's content type", "[unit]") {
    testing::TestNamespace ns;
    api::SqsService service(ns.client(), {});
    for (const std::string_view content_type :
         {"application/json", "application/x-www-form-urlencoded", "", "application/x-amz-json-1.1"}) {
        INFO(content_type);
        const HttpReply reply = json_call(service, "ListQueues", "{}", content_type);
        CHECK(reply.status == 415);
        CHECK(reply.body.find("com.amazon.coral.service#UnsupportedMediaTypeException") != std::string::npos);
    }
    for (const std::string_view content_type :
         {"application/x-amz-json-1.0", "Application/X-Amz-JSON-1.0", "application/x-amz-json-1.0; charset=utf-8"}) {
        INFO(content_type);
        CHECK(json_call(service, "ListQueues", "{}", content_type).status == 200);
    }
}

TEST_CASE("JSON requests as deep as SQS defines pass the bounds", "[unit]") {
    testing::TestNamespace ns;
    api::SqsService service(ns.client(), {});
    REQUIRE(json_call(service, "CreateQueue", R"({"QueueName":"deep"})").status == 200);
    std::string entries;
    for (int entry = 1; entry <= 10; ++entry) {
        std::string attributes;
        for (int attribute = 1; attribute <= 10; ++attribute) {
            attributes += std::string(attribute == 1 ? "" : ",") + R"("a)" + std::to_string(attribute) +
                          R"(":{"DataType":"String","StringValue":"v"})";
        }
        entries += std::string(entry == 1 ? "" : ",") + R"({"Id":"e)" + std::to_string(entry) +
                   R"(","MessageBody":"b","MessageAttributes":{)" + attributes + "}}";
    }
    const HttpReply reply = json_call(
        service, "SendMessageBatch", R"({"QueueUrl":")" + service.url_of("deep") + R"(","Entries":[)" + entries + "]}");
    INFO(reply.body.substr(0, 400));
    CHECK(reply.status == 200);
    CHECK(reply.body.find(R"("Failed":[])") != std::string::npos);
}
