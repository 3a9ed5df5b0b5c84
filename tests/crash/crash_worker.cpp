// A worker process for crash tests, exec'd with SHMQ_CRASH_AT / SHMQ_CRASH_AFTER so the library
// kills it with SIGKILL at a chosen point of a protocol. It reports progress on stdout, one line
// per event, flushed at once, so the test knows exactly what was acknowledged before the kill.
//   crash-worker NAMESPACE QUEUE produce COUNT      sends "0".."COUNT-1", prints "ack N" each
//   crash-worker NAMESPACE QUEUE fifo-produce COUNT the same into group "g" of a FIFO queue
//   crash-worker NAMESPACE QUEUE produce-large COUNT  the same, each body padded to 100 KiB
//                                                  (the blob arena's 256 KiB class)
//   crash-worker NAMESPACE QUEUE consume COUNT      receive+delete, prints "got BODY" / "del BODY"
//   crash-worker NAMESPACE QUEUE hold COUNT         receives COUNT messages, prints, then waits
//   crash-worker NAMESPACE QUEUE timers 0           runs due timers once
//   crash-worker NAMESPACE QUEUE loop-produce START sends START, START+1, ... forever
//   crash-worker NAMESPACE QUEUE loop-produce-tenants START  the same, as fair-queue tenants
//                                                  ("noisy" three messages in four, "quiet")
//   crash-worker NAMESPACE QUEUE loop-consume 0     receive (visibility 1 s) + delete forever
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "shmq/client.h"

using namespace shmq;

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: crash-worker NAMESPACE QUEUE MODE COUNT\n");
        return 2;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    ClientOptions options;
    options.namespace_name = argv[1];
    auto client = Client::open(options);
    if (!client) {
        std::fprintf(stderr, "open: %s\n", client.error().message.c_str());
        return 3;
    }
    auto queue = client->open_queue(argv[2]);
    if (!queue) {
        std::fprintf(stderr, "open_queue: %s\n", queue.error().message.c_str());
        return 3;
    }
    const std::string mode = argv[3];
    const long count = std::stol(argv[4]);
    ReceiveRequest request;
    request.max_number_of_messages = 1;
    request.wait_time_s = 0;
    if (mode == "fifo-produce") {
        for (long i = 0; i < count; ++i) {
            const std::string body = std::to_string(i);
            SendEntry entry;
            entry.body = body;
            entry.message_group_id = "g";
            entry.message_deduplication_id = body;
            if (!queue->send(entry)) {
                return 4;
            }
            std::printf("ack %s\n", body.c_str());
        }
    } else if (mode == "produce-large") {
        constexpr std::size_t large_body_bytes = 100 * 1024;
        for (long i = 0; i < count; ++i) {
            std::string body = std::to_string(i);
            const std::string acknowledged = body;
            body.resize(large_body_bytes, '.');
            if (!queue->send({.body = body})) {
                return 4;
            }
            std::printf("ack %s\n", acknowledged.c_str());
        }
    } else if (mode == "produce" || mode == "loop-produce" || mode == "loop-produce-tenants") {
        const bool forever = mode != "produce";
        const bool tenants = mode == "loop-produce-tenants";
        const long start = forever ? count : 0;
        for (long i = start; forever || i < count; ++i) {
            const std::string body = std::to_string(i);
            const std::string_view tenant = !tenants ? "" : i % 4 == 0 ? "quiet" : "noisy";
            if (!queue->send({.body = body, .message_group_id = tenant})) {
                usleep(1000);
                --i;
                continue;
            }
            std::printf("ack %s\n", body.c_str());
        }
    } else if (mode == "consume" || mode == "loop-consume") {
        request.wait_time_s = 1;
        if (mode == "loop-consume") {
            // Batches of 10, deleted with DeleteMessageBatch: the batched delete protocol.
            request.visibility_timeout_s = 1;
            request.max_number_of_messages = 10;
        }
        std::vector<ReceiptHandle> handles;
        std::vector<Errc> errors(10);
        for (long done = 0; mode == "loop-consume" || done < count;) {
            auto received = queue->receive(request);
            if (!received || received->empty()) {
                if (mode == "consume") {
                    break;
                }
                continue;
            }
            handles.clear();
            for (const ReceivedMessage& message : received.value()) {
                std::printf("got %s\n", message.body.c_str());
                if (mode == "consume" && queue->delete_message(message.receipt_handle)) {
                    std::printf("del %s\n", message.body.c_str());
                }
                handles.push_back(message.receipt_handle);
                ++done;
            }
            if (mode == "loop-consume") {
                queue->delete_batch(handles, errors);
            }
        }
    } else if (mode == "hold") {
        for (long held = 0; held < count;) {
            auto received = queue->receive(request);
            if (received) {
                for (const ReceivedMessage& message : received.value()) {
                    std::printf("got %s\n", message.body.c_str());
                    ++held;
                }
            }
        }
        pause();
    } else if (mode == "timers") {
        queue->advance_timers();
    } else {
        return 2;
    }
    return 0;
}
