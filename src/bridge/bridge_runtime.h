// What every bridge of one shmqd shares: the local namespace, the HTTP transport to SQS, where log
// lines go, and the retry pace (tests shorten it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "bridge/sqs_transport.h"
#include "shmq/client.h"

namespace shmq::bridge {

struct BridgeRuntime {
    const Client* client = nullptr;
    SqsTransport* transport = nullptr;
    std::function<void(const std::string& line)> log;
    std::chrono::milliseconds backoff_base{50};
    std::chrono::milliseconds backoff_cap{20'000};
    // How long a message the bridge holds stays invisible to others (renewed while held at half
    // of it): a local one a forward bridge sends, a remote one a pull bridge writes.
    std::int32_t held_visibility_s = 60;
};

} // namespace shmq::bridge
