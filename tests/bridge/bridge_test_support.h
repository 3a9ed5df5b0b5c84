// What the bridge tests share: a local side (namespace, transport, captured log lines, a quick
// retry pace), bounded polls for a state, and sending, counting and draining numbered messages.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/bridge_runtime.h"
#include "bridge/bridge_settings.h"
#include "bridge/remote_sqs.h"

namespace shmq::testing {

// A bridge's settings as a test starts from: the rest at their defaults.
inline bridge::BridgeSettings bridge_settings(std::string name, std::string local_queue, bridge::Direction direction,
                                              std::string remote_queue_url) {
    bridge::BridgeSettings settings;
    settings.name = std::move(name);
    settings.local_queue = std::move(local_queue);
    settings.direction = direction;
    settings.remote_queue_url = std::move(remote_queue_url);
    return settings;
}

// Polls until done() or 60 s; true if done. The bound only ends a test that would hang.
template <class Predicate> inline bool eventually(Predicate done) {
    for (int waited_ms = 0; waited_ms < 60'000; waited_ms += 10) {
        if (done()) {
            return true;
        }
        usleep(10'000);
    }
    return done();
}

struct Log {
    std::mutex mutex;
    std::vector<std::string> lines;
    [[nodiscard]] bool has(std::string_view text) {
        std::lock_guard lock(mutex);
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& line) { return line.find(text) != std::string::npos; });
    }
};

struct LocalSide {
    explicit LocalSide(bridge::TransportOptions options = {}) : transport(options) {}
    TestNamespace ns;
    bridge::SqsTransport transport;
    Log log;

    bridge::BridgeRuntime runtime() {
        bridge::BridgeRuntime runtime;
        runtime.client = &ns.client();
        runtime.transport = &transport;
        runtime.log = [this](const std::string& line) {
            if (std::getenv("SHMQ_TEST_BRIDGE_LOG") != nullptr) { // to see what a failing test's bridge said
                std::fprintf(stderr, "%s\n", line.c_str());
            }
            std::lock_guard lock(log.mutex);
            log.lines.push_back(line);
        };
        runtime.backoff_base = std::chrono::milliseconds(5);
        runtime.backoff_cap = std::chrono::milliseconds(200);
        return runtime;
    }
};

inline std::uint32_t held_locally(const Client& client, const std::string& name) {
    const QueueInspection inspection = client.open_queue(name)->inspect();
    return inspection.ready + inspection.in_flight + inspection.delayed;
}

// Every message of a remote queue, received and deleted, in receive order.
inline std::vector<ReceivedMessage> drain(const Client& client, const std::string& name) {
    std::vector<ReceivedMessage> out;
    Queue queue = std::move(client.open_queue(name).value());
    ReceiveRequest request;
    request.max_number_of_messages = 10;
    request.wait_time_s = 0;
    for (int empty_rounds = 0; empty_rounds < 3;) {
        auto received = queue.receive(request);
        REQUIRE(received);
        if (received->empty()) {
            ++empty_rounds;
            continue;
        }
        empty_rounds = 0;
        for (ReceivedMessage& message : received.value()) {
            REQUIRE(queue.delete_message(message.receipt_handle));
            out.push_back(std::move(message));
        }
    }
    return out;
}

// The AWSTraceHeader send_numbered gives message i: every third has one.
inline std::string numbered_trace_header(int i) {
    return i % 3 == 0 ? "Root=1-5759e988-" + std::to_string(i) + ";Parent=53995c3f42cd8ad8;Sampled=1" : std::string();
}

// Messages from to to: bodies "<group>message i", attributes n (i) and raw (binary), every third
// with a trace header (numbered_trace_header).
inline void send_numbered(Queue& queue, int from, int to, const std::string& group = {}) {
    MessageAttributes attributes;
    attributes["n"] = {"Number", "", ""};
    attributes["raw"] = {"Binary", "", std::string("\0\x7f\xfe", 3)};
    for (int i = from; i < to; ++i) {
        attributes["n"].string_value = std::to_string(i);
        SendEntry entry;
        const std::string body = group + "message " + std::to_string(i);
        entry.body = body;
        entry.attributes = &attributes;
        entry.message_group_id = group;
        const std::string trace = numbered_trace_header(i);
        entry.aws_trace_header = trace;
        const std::string dedup = group + std::to_string(i);
        if (!group.empty()) {
            entry.message_deduplication_id = dedup;
        }
        REQUIRE(queue.send(entry));
    }
}

} // namespace shmq::testing
