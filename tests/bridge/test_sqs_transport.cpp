// The bridge's HTTP client of SQS (issue 12, item 2) against a real SQS endpoint that checks
// signatures: a second shmqd started with --credentials on loopback. Method: requests made by
// SqsTransport (libcurl multi, CURLOPT_AWS_SIGV4, Boost.JSON bodies) must be accepted with the
// right key and refused with SQS's errors with a wrong one; many requests run at once on one
// transport thread; a port nobody listens on is "no response" (retried), never a crash.
#include <catch2/catch.hpp>
#include <future>
#include <mutex>

#include "bridge/remote_sqs.h"
#include "bridge/sqs_calls.h"

using namespace shmq;
using namespace shmq::testing;
namespace json = boost::json;

TEST_CASE("transport: signed JSON-protocol calls are accepted, and a message crosses with its MD5s", "[bridge]") {
    RemoteSqs remote;
    const std::string queue_url = remote.create_queue("transport-in");
    bridge::SqsTransport transport;

    bridge::OutgoingMessage message;
    // Near 1 MiB: the request is over it, where libcurl would ask for a 100-continue.
    message.body = std::string(1'048'576 - 100, 'x') + "\xe2\x82\xac";
    message.attributes["trace"] = {"String", "abc", ""};
    message.attributes["blob"] = {"Binary", "", std::string("\0\x01\xff", 3)};
    message.aws_trace_header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    const bridge::OutgoingMessage* entries[] = {&message};
    std::promise<bridge::SqsReply> answered;
    transport.submit(remote.endpoint(), "SendMessageBatch", bridge::send_message_batch_body(queue_url, entries),
                     [&](bridge::SqsReply&& reply) { answered.set_value(std::move(reply)); });
    const bridge::SqsReply reply = answered.get_future().get();
    REQUIRE(reply.ok());
    CHECK(reply.http_status == 200);
    const auto outcomes = bridge::read_send_message_batch(reply, entries);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].fate == bridge::EntryFate::accepted);
    CHECK_FALSE(outcomes[0].remote_message_id.empty());
    // The trace header's digest is checked too: one that does not match is sent again.
    const json::object& accepted = reply.json.at("Successful").as_array().at(0).as_object();
    CHECK(accepted.at("MD5OfMessageSystemAttributes").as_string() ==
          md5_of_message_system_attributes(message.aws_trace_header));
    bridge::SqsReply forged = reply;
    forged.json.as_object()["Successful"].as_array()[0].as_object()["MD5OfMessageSystemAttributes"] =
        std::string(32, '0');
    CHECK(bridge::read_send_message_batch(forged, entries)[0].fate == bridge::EntryFate::retry);

    // What arrived, read back over HTTP and checked by the pull side's reader.
    const bridge::SqsReply received =
        call_remote(transport, remote.endpoint(), "ReceiveMessage",
                    json::parse(bridge::receive_message_body(queue_url, 10, 0, 30)).as_object());
    REQUIRE(received.ok());
    const bridge::ReceivedBatch batch = bridge::read_receive_message(received);
    CHECK(batch.refused.empty());
    REQUIRE(batch.messages.size() == 1);
    CHECK(batch.messages[0].body == message.body);
    CHECK(batch.messages[0].attributes == message.attributes);
    CHECK(batch.messages[0].aws_trace_header == message.aws_trace_header);
    CHECK(batch.messages[0].remote_message_id == outcomes[0].remote_message_id);

    const std::string handles[] = {batch.messages[0].receipt_handle};
    const bridge::SqsReply deleted =
        call_remote(transport, remote.endpoint(), "DeleteMessageBatch",
                    json::parse(bridge::delete_message_batch_body(queue_url, handles)).as_object());
    REQUIRE(deleted.ok());
    const auto delete_outcomes = bridge::read_batch_result(deleted, 1);
    CHECK(delete_outcomes[0].fate == bridge::EntryFate::accepted);
    CHECK(remote.ns().client().open_queue("transport-in")->inspect().in_flight == 0);
}

TEST_CASE("transport: a wrong secret, a missing queue and a dead port give SQS's errors, classified", "[bridge]") {
    RemoteSqs remote;
    bridge::SqsTransport transport;

    const bridge::SqsReply forged = call_remote(transport, remote.endpoint("not-the-secret"), "ListQueues", {});
    CHECK(forged.kind == bridge::ReplyKind::client_error);
    CHECK(forged.http_status == 403);
    CHECK(forged.error_code == "SignatureDoesNotMatch");
    CHECK_FALSE(forged.retryable());

    const bridge::SqsReply missing =
        call_remote(transport, remote.endpoint(), "GetQueueUrl", {{"QueueName", "no-such-queue"}});
    CHECK(missing.kind == bridge::ReplyKind::client_error);
    CHECK(missing.error_code == "AWS.SimpleQueueService.NonExistentQueue");
    CHECK(missing.describe().find("NonExistentQueue") != std::string::npos);

    auto nowhere = std::make_shared<bridge::RemoteEndpoint>(*remote.endpoint());
    nowhere->url = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/";
    const bridge::SqsReply refused = call_remote(transport, nowhere, "ListQueues", {});
    CHECK(refused.kind == bridge::ReplyKind::no_response);
    CHECK(refused.retryable());
    CHECK_FALSE(refused.error_message.empty());
}

TEST_CASE("transport: many requests in flight on one thread, including long polls", "[bridge]") {
    RemoteSqs remote;
    const std::string queue_url = remote.create_queue("transport-many");
    bridge::SqsTransport transport;

    // Eight long polls of 2 s wait on an empty queue while 200 sends go through. Run one at a
    // time, the polls would all end empty before the first send; at once, they take messages.
    constexpr int polls = 8, sends = 200;
    std::mutex mutex;
    std::vector<bridge::SqsReply> replies;
    std::promise<void> all_sent, all_polled;
    int sent = 0, polled = 0;
    for (int i = 0; i < polls; ++i) {
        transport.submit(remote.endpoint(), "ReceiveMessage", bridge::receive_message_body(queue_url, 10, 2, 30),
                         [&](bridge::SqsReply&& reply) {
                             std::lock_guard lock(mutex);
                             replies.push_back(std::move(reply));
                             if (++polled == polls) {
                                 all_polled.set_value();
                             }
                         });
    }
    for (int i = 0; i < sends; ++i) {
        const json::object body{{"QueueUrl", queue_url}, {"MessageBody", "m" + std::to_string(i)}};
        transport.submit(remote.endpoint(), "SendMessage", json::serialize(body), [&](bridge::SqsReply&& reply) {
            std::lock_guard lock(mutex);
            replies.push_back(std::move(reply));
            if (++sent == sends) {
                all_sent.set_value();
            }
        });
    }
    all_sent.get_future().wait();
    all_polled.get_future().wait();
    CHECK(transport.in_flight() == 0);
    for (const bridge::SqsReply& reply : replies) {
        CHECK(reply.ok());
    }
    // The polls took messages (they were waiting when the sends came), the rest are ready.
    std::size_t taken = 0;
    for (const bridge::SqsReply& reply : replies) {
        taken += bridge::read_receive_message(reply).messages.size();
    }
    const QueueInspection inspection = remote.ns().client().open_queue("transport-many")->inspect();
    CHECK(inspection.ready + inspection.in_flight == sends);
    CHECK(inspection.in_flight == taken);
    CHECK(taken > 0);
}

TEST_CASE("transport: stopping it answers every request still in flight", "[bridge]") {
    RemoteSqs remote;
    const std::string queue_url = remote.create_queue("transport-stop");
    std::atomic<int> answered{0}, stopped{0};
    {
        bridge::SqsTransport transport;
        for (int i = 0; i < 4; ++i) {
            transport.submit(remote.endpoint(), "ReceiveMessage", bridge::receive_message_body(queue_url, 10, 20, 30),
                             [&](bridge::SqsReply&& reply) {
                                 answered.fetch_add(1);
                                 if (reply.kind == bridge::ReplyKind::no_response) {
                                     stopped.fetch_add(1);
                                 }
                             });
        }
        // Destroyed with four 20 s long polls in flight.
    }
    CHECK(answered.load() == 4);
    CHECK(stopped.load() == 4);
}
