// Calls the unit tests make on queues again and again, written once.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "shmq/client.h"
#include "shmq/queue.h"

namespace shmq::testing {

// A short poll (no wait) of up to max messages; visibility_s -1: the queue's VisibilityTimeout.
inline std::vector<ReceivedMessage> receive_now(Queue& queue, std::uint32_t max = 10, std::int32_t visibility_s = -1) {
    ReceiveRequest request;
    request.max_number_of_messages = max;
    request.wait_time_s = 0;
    request.visibility_timeout_s = visibility_s;
    auto received = queue.receive(request);
    REQUIRE(received);
    return std::move(received.value());
}

// A RedrivePolicy naming dead_letter (a queue of this namespace) after max_receive_count receives.
inline std::string redrive_to(const std::string& dead_letter, int max_receive_count) {
    return R"({"deadLetterTargetArn":")" + Client::queue_arn(dead_letter) + R"(","maxReceiveCount":)" +
           std::to_string(max_receive_count) + "}";
}

} // namespace shmq::testing
