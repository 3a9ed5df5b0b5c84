// Goal: the basic life of a standard-queue message through the public API, single process,
// deterministic: send, receive (body, attributes, ids, system attributes), delete, and the
// errors SQS gives for bad input. Method: a private namespace and a ManualClock.
#include <catch2/catch.hpp>

#include "support/test_namespace.h"

using namespace shmq;

namespace {

ReceiveRequest short_poll(std::uint32_t max = 10) {
    ReceiveRequest request;
    request.max_number_of_messages = max;
    request.wait_time_s = 0;
    return request;
}

} // namespace

TEST_CASE("a sent message is received once, then deleted", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("basic");

    auto id = queue.send({.body = "hello world"});
    REQUIRE(id);
    auto received = queue.receive(short_poll());
    REQUIRE(received);
    REQUIRE(received->size() == 1);
    const ReceivedMessage& message = received->front();
    CHECK(message.body == "hello world");
    CHECK(message.message_id == id.value());
    CHECK(message.receive_count == 1);
    CHECK(message.sent_timestamp_ms == clock.now_ns() / 1'000'000);
    CHECK(message.first_receive_timestamp_ms == clock.now_ns() / 1'000'000);

    // In flight: invisible to others.
    auto again = queue.receive(short_poll());
    REQUIRE(again);
    CHECK(again->empty());

    REQUIRE(queue.delete_message(message.receipt_handle));
    clock.advance_s(31);
    auto after = queue.receive(short_poll());
    REQUIRE(after);
    CHECK(after->empty());
}

TEST_CASE("message ids are UUIDs and differ per message", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("ids");
    auto first = queue.send({.body = "a"});
    auto second = queue.send({.body = "b"});
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first.value() != second.value());
    const std::string text = first->to_string();
    CHECK(text.size() == 36);
    CHECK(text[14] == '4');
}

TEST_CASE("bodies of 1 byte to 1 MiB round-trip, inline and in blobs", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("sizes");
    for (std::size_t size : {std::size_t{1}, std::size_t{64}, std::size_t{65}, std::size_t{256}, std::size_t{257}, std::size_t{4096},
                             std::size_t{70'000}, std::size_t{1'048'576}}) {
        std::string body(size, 'x');
        body.front() = 'a';
        body.back() = 'z';
        REQUIRE(queue.send({.body = body}));
        auto received = queue.receive(short_poll(1));
        REQUIRE(received);
        REQUIRE(received->size() == 1);
        CHECK(received->front().body == body);
        REQUIRE(queue.delete_message(received->front().receipt_handle));
    }
}

TEST_CASE("oversized and invalid bodies are rejected with SQS errors", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("invalid", {{"MaximumMessageSize", "1024"}});
    auto too_long = queue.send({.body = std::string(1025, 'x')});
    REQUIRE_FALSE(too_long);
    CHECK(too_long.code() == Errc::message_too_long);
    CHECK(too_long.error().message ==
          "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.");

    auto empty = queue.send({.body = ""});
    REQUIRE_FALSE(empty);
    CHECK(empty.code() == Errc::missing_parameter);

    auto control = queue.send({.body = std::string("a\x01b", 3)});
    REQUIRE_FALSE(control);
    CHECK(control.code() == Errc::invalid_message_contents);

    // Past the 8-byte fast path too, at every position of a word.
    for (std::size_t position = 0; position < 24; ++position) {
        std::string body(24, 'a');
        body[position] = '\x1f';
        CHECK(queue.send({.body = body}).code() == Errc::invalid_message_contents);
        body[position] = '\x7f'; // DEL is allowed
        CHECK(queue.send({.body = body}));
    }
    CHECK(queue.inspect().ready == 24);
    for (int i = 0; i < 24; ++i) {
        ReceiveRequest one;
        one.wait_time_s = 0;
        auto received = queue.receive(one);
        REQUIRE(received);
        REQUIRE(queue.delete_message(received->front().receipt_handle));
    }

    auto bad_utf8 = queue.send({.body = "\xC3"});
    REQUIRE_FALSE(bad_utf8);
    CHECK(bad_utf8.code() == Errc::invalid_message_contents);

    CHECK(queue.send({.body = "tab\tnewline\nreturn\r and \xE2\x82\xAC and \xF0\x9F\x98\x80"}));
    CHECK(queue.inspect().ready == 1); // nothing of the rejected sends was enqueued
}

TEST_CASE("message attributes round-trip with the SQS MD5", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("attributes");
    MessageAttributes attributes;
    attributes["city"] = {.data_type = "String", .string_value = "Any City", .binary_value = {}};
    attributes["count"] = {.data_type = "Number.int", .string_value = "230.000000000000000001", .binary_value = {}};
    attributes["blob"] = {.data_type = "Binary", .string_value = {}, .binary_value = std::string("\x00\x01\xff", 3)};
    REQUIRE(queue.send({.body = "with attributes", .attributes = &attributes}));
    auto received = queue.receive(short_poll());
    REQUIRE(received);
    REQUIRE(received->size() == 1);
    CHECK(received->front().attributes == attributes);
    // Reference digests computed independently (Python hashlib over SQS's encoding).
    CHECK(md5_of_body("with attributes") == "c2d900c011c138c4a68934fee2fdd344");
    CHECK(md5_of_message_attributes(received->front().attributes) == "dedfc50cdeebd100f783cb999fe92557");
    CHECK(md5_of_message_attributes({}).empty());
}

TEST_CASE("bad message attributes are rejected", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("bad-attributes");
    MessageAttributes reserved;
    reserved["AWS.thing"] = {.data_type = "String", .string_value = "x", .binary_value = {}};
    CHECK(queue.send({.body = "x", .attributes = &reserved}).code() == Errc::invalid_parameter_value);
    MessageAttributes empty_value;
    empty_value["ErrorDetails"] = {.data_type = "String", .string_value = "", .binary_value = {}};
    auto result = queue.send({.body = "x", .attributes = &empty_value});
    CHECK(result.code() == Errc::invalid_parameter_value);
    CHECK(result.error().message ==
          "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.");
    MessageAttributes not_a_number;
    not_a_number["n"] = {.data_type = "Number", .string_value = "12a", .binary_value = {}};
    CHECK(queue.send({.body = "x", .attributes = &not_a_number}).code() == Errc::invalid_parameter_value);
    MessageAttributes eleven;
    for (int i = 0; i < 11; ++i) {
        eleven["a" + std::to_string(i)] = {.data_type = "String", .string_value = "v", .binary_value = {}};
    }
    CHECK(queue.send({.body = "x", .attributes = &eleven}).code() == Errc::invalid_parameter_value);
}

TEST_CASE("send batch reports each entry on its own", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("batch");
    std::vector<SendEntry> entries = {{.body = "one"}, {.body = ""}, {.body = "three"}};
    std::vector<SendOutcome> outcomes(entries.size());
    REQUIRE(queue.send_batch(entries, outcomes));
    CHECK(outcomes[0].error == Errc::ok);
    CHECK(outcomes[1].error == Errc::missing_parameter);
    CHECK(outcomes[2].error == Errc::ok);
    auto received = queue.receive(short_poll());
    REQUIRE(received);
    REQUIRE(received->size() == 2);
    CHECK(received->at(0).body == "one");
    CHECK(received->at(1).body == "three");

    std::vector<SendEntry> eleven(11, SendEntry{.body = "x"});
    std::vector<SendOutcome> eleven_outcomes(11);
    CHECK(queue.send_batch(eleven, eleven_outcomes).code() == Errc::too_many_entries_in_batch);
    CHECK(queue.send_batch({}, eleven_outcomes).code() == Errc::empty_batch_request);
}

TEST_CASE("a send batch over 1 MiB, attributes counted as SQS counts them, is refused whole", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("batch-size");
    const MessageAttributes attributes{{"k", {.data_type = "String", .string_value = "vv"}}};
    const std::size_t attribute_bytes = 1 + 6 + 2; // name + type + value
    const std::string body(1024 * 1024 - attribute_bytes, 'a');
    std::vector<SendOutcome> outcomes(2);

    // Exactly 1 MiB with its attribute: taken. One byte more in a second entry: the whole batch goes.
    const std::vector<SendEntry> at_limit{{.body = body, .attributes = &attributes}};
    REQUIRE(queue.send_batch(at_limit, outcomes));
    CHECK(outcomes[0].error == Errc::ok);
    const std::vector<SendEntry> over{{.body = body, .attributes = &attributes}, {.body = "b"}};
    const Status refused = queue.send_batch(over, outcomes);
    CHECK(refused.code() == Errc::batch_request_too_long);
    CHECK(refused.error().message ==
          "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.");

    // A single entry over 1 MiB is the batch's fault too, not that entry's alone.
    const std::vector<SendEntry> one_oversized{{.body = body + "1234567890"}};
    CHECK(queue.send_batch(one_oversized, outcomes).code() == Errc::batch_request_too_long);
    // The same message sent alone is a message too long.
    CHECK(queue.send({.body = body + "1234567890"}).code() == Errc::message_too_long);

    auto received = queue.receive(short_poll());
    REQUIRE(received);
    CHECK(received->size() == 1); // only the batch at the limit
}

TEST_CASE("receive parameters are validated", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue = ns.make_queue("params");
    ReceiveRequest request;
    request.max_number_of_messages = 11;
    auto result = queue.receive(request);
    REQUIRE_FALSE(result);
    CHECK(result.error().message ==
          "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
    request.max_number_of_messages = 1;
    request.wait_time_s = 21;
    CHECK(queue.receive(request).error().message ==
          "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.");
}

TEST_CASE("receipt handles parse strictly", "[unit]") {
    const ReceiptHandle handle{0x0123456789abcdefULL, 7, 3, 2};
    auto parsed = ReceiptHandle::parse(handle.to_string());
    REQUIRE(parsed);
    CHECK(parsed.value() == handle);
    CHECK(ReceiptHandle::parse("garbage").code() == Errc::receipt_handle_is_invalid);
    CHECK(ReceiptHandle::parse(std::string(40, 'G')).code() == Errc::receipt_handle_is_invalid);
}

TEST_CASE("a full queue fails a send, or blocks it until room appears", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    Queue queue =
        ns.make_queue("full", {}, QueueCapacity{.slot_count = 16, .message_bytes_capacity = 0, .permissions = 0600});
    for (int i = 0; i < 16; ++i) {
        REQUIRE(queue.send({.body = "m" + std::to_string(i)}));
    }
    auto full = queue.send({.body = "overflow"});
    REQUIRE_FALSE(full);
    CHECK(full.code() == Errc::queue_full);
    SendOptions blocking;
    blocking.block_when_full = true;
    blocking.block_timeout_ns = 0;
    CHECK(queue.send({.body = "overflow"}, blocking).code() == Errc::timed_out);

    auto received = queue.receive(short_poll(1));
    REQUIRE(received);
    REQUIRE(queue.delete_message(received->front().receipt_handle));
    CHECK(queue.send({.body = "fits now"}));
    CHECK(queue.inspect().ready == 16);
}

TEST_CASE("QueueCapacity::inline_bytes: messages up to it stay in the slot, others use the blob heap", "[unit]") {
    ManualClock clock;
    testing::TestNamespace ns(&clock);
    const QueueCapacity tiny_heap{.slot_count = 64, .message_bytes_capacity = 0, .permissions = 0600};
    QueueCapacity wide = tiny_heap;
    wide.inline_bytes = 256;
    Queue narrow_queue = ns.make_queue("narrow", {}, tiny_heap);
    Queue wide_queue = ns.make_queue("wide", {}, wide);
    CHECK(narrow_queue.inspect().inline_bytes == 64);
    CHECK(wide_queue.inspect().inline_bytes == 256);
    const std::string body(200, 'w');
    for (int i = 0; i < 64; ++i) {
        REQUIRE(narrow_queue.send({.body = body})); // 200 B do not fit 64 inline bytes: blob blocks
        REQUIRE(wide_queue.send({.body = body}));   // all inline
    }
    CHECK(narrow_queue.inspect().blob_chunks_carved == 1);
    CHECK(wide_queue.inspect().blob_chunks_carved == 0);
    auto received = wide_queue.receive({.max_number_of_messages = 10, .wait_time_s = 0});
    REQUIRE(received);
    REQUIRE(received->size() == 10);
    CHECK(received->front().body == body);
    // Not a multiple of 64, or too large: refused clearly.
    for (const std::uint32_t bad : {100u, 1024u}) {
        QueueCapacity wrong = tiny_heap;
        wrong.inline_bytes = bad;
        auto created = ns.client().create_queue("bad-" + std::to_string(bad), {}, {}, wrong);
        REQUIRE_FALSE(created);
        CHECK(created.error().message.find("inline bytes") != std::string::npos);
    }
}
