// Goal: the AWSTraceHeader message system attribute as SQS keeps it: accepted on sends and batch
// entries of standard and FIFO queues, returned on receive, moved with its message to the
// dead-letter queue and back by a move task, refused when it is not a trace header (empty is
// absent; too long, control characters), and outside the message size. The attribute encoding
// that carries it reads bytes written before it existed the same way.
// Method: the C++ API on a private namespace with a ManualClock; the codec directly.
#include <catch2/catch.hpp>
#include <vector>

#include "shmq/limits.h"
#include "sqs/attribute_codec.h"
#include "support/queue_calls.h"
#include "support/test_namespace.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

constexpr const char* trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

} // namespace

TEST_CASE("AWSTraceHeader: kept with its message and returned, on standard and FIFO queues, alone and in batches",
          "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const bool fifo = GENERATE(false, true);
    Queue queue = fifo ? ns.make_queue("traced.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}})
                       : ns.make_queue("traced");
    const std::string group = fifo ? "g" : "";
    MessageAttributes attributes{{"k", MessageAttributeValue{.data_type = "String", .string_value = "v"}}};
    REQUIRE(queue.send({.body = "alone", .message_group_id = group, .aws_trace_header = trace}));
    REQUIRE(queue.send({.body = "with attributes",
                        .attributes = &attributes,
                        .message_group_id = group,
                        .aws_trace_header = "Root=1-2"}));
    REQUIRE(queue.send({.body = "untraced", .message_group_id = group}));
    const std::vector<SendEntry> batch{{.body = "batch 1", .message_group_id = group, .aws_trace_header = "Root=1-b1"},
                                       {.body = "batch 2", .message_group_id = group}};
    std::vector<SendOutcome> outcomes(batch.size());
    REQUIRE(queue.send_batch(batch, outcomes));
    CHECK(outcomes[0].error == Errc::ok);
    CHECK(outcomes[1].error == Errc::ok);

    const std::vector<ReceivedMessage> received = receive_now(queue);
    REQUIRE(received.size() == 5);
    CHECK(received[0].aws_trace_header == trace);
    CHECK(received[1].aws_trace_header == "Root=1-2");
    CHECK(received[1].attributes == attributes); // user attributes unchanged beside it
    CHECK(received[2].aws_trace_header.empty());
    CHECK(received[3].aws_trace_header == "Root=1-b1");
    CHECK(received[4].aws_trace_header.empty());
    if (fifo) {
        CHECK(received[0].message_group_id == "g");
        CHECK_FALSE(received[0].message_deduplication_id.empty());
    }
}

TEST_CASE("AWSTraceHeader: not a trace header is InvalidParameterValue, and it is outside the message size", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("strict", {{"MaximumMessageSize", "1024"}});
    const std::string too_long(limits::aws_trace_header_bytes_max + 1, 'x');
    for (const std::string& bad : {too_long, std::string("Root=1\n-2"), std::string("Root=\x01")}) {
        auto refused = queue.send({.body = "m", .aws_trace_header = bad});
        REQUIRE_FALSE(refused);
        CHECK(refused.code() == Errc::invalid_parameter_value);
    }
    const std::vector<SendEntry> batch{{.body = "fine"}, {.body = "bad", .aws_trace_header = too_long}};
    std::vector<SendOutcome> outcomes(batch.size());
    REQUIRE(queue.send_batch(batch, outcomes));
    CHECK(outcomes[0].error == Errc::ok);
    CHECK(outcomes[1].error == Errc::invalid_parameter_value);
    // A body of the whole MaximumMessageSize with the longest trace header beside it.
    const std::string longest(limits::aws_trace_header_bytes_max, 'r');
    REQUIRE(queue.send({.body = std::string(1024, 'b'), .aws_trace_header = longest}));
    const std::vector<ReceivedMessage> received = receive_now(queue);
    REQUIRE(received.size() == 2);
    CHECK(received[1].aws_trace_header == longest);

    // SQS's largest message, every attribute and FIFO id at its longest, and the longest trace
    // header: the framing fits the largest blob.
    Queue largest = ns.make_queue("largest.fifo", {{"FifoQueue", "true"}});
    MessageAttributes attributes;
    for (int i = 0; i < static_cast<int>(limits::message_attributes_max); ++i) {
        attributes["a" + std::to_string(i)] = MessageAttributeValue{.data_type = "String", .string_value = "v"};
    }
    std::size_t attribute_bytes = 0;
    for (const auto& [name, value] : attributes) {
        attribute_bytes += name.size() + value.data_type.size() + value.string_value.size();
    }
    REQUIRE(largest.send({.body = std::string(limits::message_size_max - attribute_bytes, 'b'),
                          .attributes = &attributes,
                          .message_group_id = std::string(128, 'g'),
                          .message_deduplication_id = std::string(128, 'd'),
                          .aws_trace_header = longest}));
    const std::vector<ReceivedMessage> got = receive_now(largest);
    REQUIRE(got.size() == 1);
    CHECK(got[0].aws_trace_header == longest);
    CHECK(got[0].attributes == attributes);
}

TEST_CASE("AWSTraceHeader: moved to the dead-letter queue with its message, and back by a move task", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const Client& client = ns.client();
    Queue dead = ns.make_queue("traced-dlq");
    Queue source =
        ns.make_queue("traced-work", {{"VisibilityTimeout", "0"}, {"RedrivePolicy", redrive_to("traced-dlq", 1)}});
    REQUIRE(source.send({.body = "poison", .aws_trace_header = trace}));
    REQUIRE(receive_now(source).size() == 1);
    CHECK(receive_now(source).empty()); // the second receive moved it
    REQUIRE(client.start_message_move_task(Client::queue_arn("traced-dlq")));
    const std::vector<ReceivedMessage> back = receive_now(source);
    REQUIRE(back.size() == 1);
    CHECK(back[0].body == "poison");
    CHECK(back[0].aws_trace_header == trace);
    // Dead-lettered again (received once more), it still carries it and names its source.
    CHECK(receive_now(source).empty());
    const std::vector<ReceivedMessage> dead_letters = receive_now(dead);
    REQUIRE(dead_letters.size() == 1);
    CHECK(dead_letters[0].aws_trace_header == trace);
    CHECK(dead_letters[0].dead_letter_source_queue == "traced-work");
}

TEST_CASE("attribute codec: the trace header is one more trailer field, and bytes written before it read the same",
          "[unit]") {
    MessageAttributes attributes;
    for (int i = 0; i < static_cast<int>(limits::message_attributes_max); ++i) {
        attributes["n" + std::to_string(i)] = MessageAttributeValue{.data_type = "Number", .string_value = "1"};
    }
    const sqs::AttributeTrailer all{"source", "group", "dedup", trace};
    std::vector<std::byte> bytes(sqs::encoded_attributes_size(&attributes, all));
    sqs::encode_attributes(&attributes, all, bytes);
    const std::string_view encoded(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    auto parts = sqs::split_attributes(encoded);
    REQUIRE(parts);
    CHECK(parts->user_count == limits::message_attributes_max);
    CHECK(parts->trailer.dead_letter_source == "source");
    CHECK(parts->trailer.message_group_id == "group");
    CHECK(parts->trailer.message_deduplication_id == "dedup");
    CHECK(parts->trailer.aws_trace_header == trace);
    CHECK(sqs::decode_attributes(encoded).value() == attributes);

    // Without a trace header the bytes are the ones written before the field existed: ten
    // attributes and every other flag in the first byte, nothing more at the end.
    const sqs::AttributeTrailer earlier{"source", "group", "dedup", {}};
    std::vector<std::byte> old_bytes(sqs::encoded_attributes_size(&attributes, earlier));
    sqs::encode_attributes(&attributes, earlier, old_bytes);
    CHECK(static_cast<std::uint8_t>(old_bytes[0]) == (0x80 | 0x40 | 0x20 | 10));
    CHECK(old_bytes.size() + std::string_view(trace).size() + 2 == bytes.size());
    auto old_parts = sqs::split_attributes({reinterpret_cast<const char*>(old_bytes.data()), old_bytes.size()});
    REQUIRE(old_parts);
    CHECK(old_parts->trailer.aws_trace_header.empty());
    CHECK(old_parts->trailer.message_deduplication_id == "dedup");

    // A trace flag whose field does not fit is corrupt, not read past the bytes.
    std::vector<std::byte> damaged = old_bytes;
    damaged[0] = static_cast<std::byte>(static_cast<std::uint8_t>(damaged[0]) | 0x10);
    damaged.back() = std::byte{0xFF};
    CHECK_FALSE(sqs::split_attributes({reinterpret_cast<const char*>(damaged.data()), damaged.size()}));
}
