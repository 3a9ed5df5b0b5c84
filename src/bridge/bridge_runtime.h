// What every bridge of one shmqd shares: the local namespace, the HTTP transport to SQS, where log
// lines go, and the retry pace (tests shorten it).
#pragma once

#include <chrono>
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
};

} // namespace shmq::bridge
