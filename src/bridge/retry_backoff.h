// When to try again after failed requests, as the AWS SDKs' "standard" retry mode does: a
// uniformly random delay between 0 and min(cap, base × 2^failures) ("full jitter"), so that many
// bridges (or pollers) coming back from one outage do not retry in step. A bridge never gives up:
// its messages wait in the local queue, and it keeps trying at the capped pace. Failures that
// retrying cannot fix by itself (bad credentials, a missing queue, a wrong region) are retried at
// the slow pace only, between half the cap and the cap.
//
// Thread contract: one thread at a time.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace shmq::bridge {

class RetryBackoff {
  public:
    explicit RetryBackoff(std::chrono::milliseconds base = std::chrono::milliseconds(50),
                          std::chrono::milliseconds cap = std::chrono::milliseconds(20'000),
                          std::uint64_t seed = std::random_device{}())
        : base_(base), cap_(cap), random_(seed) {}

    // The delay after `failures` failures in a row (1 for the first).
    [[nodiscard]] std::chrono::milliseconds after(std::uint32_t failures) {
        const std::uint32_t doublings = std::min<std::uint32_t>(failures, 30);
        const std::int64_t ceiling =
            std::min<std::int64_t>(cap_.count(), base_.count() << std::min<std::uint32_t>(doublings, 20));
        return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, ceiling)(random_));
    }
    // The delay after a failure that needs a change elsewhere first.
    [[nodiscard]] std::chrono::milliseconds slow() {
        return std::chrono::milliseconds(
            std::uniform_int_distribution<std::int64_t>(cap_.count() / 2, cap_.count())(random_));
    }
    [[nodiscard]] std::chrono::milliseconds cap() const noexcept { return cap_; }

  private:
    std::chrono::milliseconds base_;
    std::chrono::milliseconds cap_;
    std::mt19937_64 random_;
};

} // namespace shmq::bridge
