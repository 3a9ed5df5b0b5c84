// Fuzz target for what the bridge reads from a remote SQS endpoint (src/bridge/sqs_reply,
// sqs_calls): any status and body must be classified, and every batch answer read into exactly
// one fate per entry sent; every message taken from a ReceiveMessage answer has the body and
// attributes its MD5s describe. The first byte picks the HTTP status (200, 400, 403, 500, 503);
// the rest is the body.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bridge/sqs_calls.h"
#include "bridge/sqs_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    constexpr std::array<long, 5> statuses{200, 400, 403, 500, 503};
    const long status = statuses[data[0] % statuses.size()];
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    const shmq::bridge::SqsReply reply = shmq::bridge::read_sqs_reply(status, body, data[0] & 0x80 ? "Throttling;Sender" : "");
    if (reply.ok() != (status == 200 && reply.json.is_object())) {
        std::abort();
    }
    shmq::bridge::OutgoingMessage first, second;
    first.body = "body";
    second.body = "other";
    second.attributes["a"] = {"String", "v", ""};
    const shmq::bridge::OutgoingMessage* sent[] = {&first, &second, &first};
    if (shmq::bridge::read_send_message_batch(reply, sent).size() != 3 ||
        shmq::bridge::read_batch_result(reply, 10).size() != 10) {
        std::abort();
    }
    for (const shmq::bridge::IncomingMessage& message : shmq::bridge::read_receive_message(reply).messages) {
        if (message.receipt_handle.empty()) {
            std::abort();
        }
    }
    (void)reply.describe();
    return 0;
}
