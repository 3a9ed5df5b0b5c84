// CommitPacer: when shmqd submits the records it has staged as one journal commit, and when it
// expects the oldest commit in flight to be durable. Durability=sync senders each wait for the
// commit holding their record and send again as soon as it completes, all within a few tens of
// microseconds. Submitting at the first returning sender's record would leave the others for the
// next fdatasync: the senders split into groups that alternate, each paying a whole fdatasync.
// So while sync sends are recent, one commit is in flight while the next gathers, and once it
// completes the gathered records are submitted when as many have come as were waiting (the
// records it released plus those staged meanwhile), when none came for gather_gap_ns, or at
// the latest gather_max_ns after the release. Without sync traffic (async queues only) records
// are submitted as soon as no commit is in flight, and what arrives meanwhile gathers into the
// next: overlapping commits (up to the writer's four) cost an fdatasync and io_uring worker
// wake-ups each, and took 0.6 of a core from the HTTP endpoint at 50 K async sends/s (38.5 K
// commits in 8 s; one at a time: 27 K, and 11-19 % more sends/s).
// Times are steady-clock nanoseconds passed in, so the policy is tested without a clock.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>

namespace shmq::daemon {

// A sender woken by a commit is back within ~10-30 us (one futex wake, one send); many senders
// sharing a CPU come back one after another.
inline constexpr std::int64_t gather_gap_ns = 30'000;
inline constexpr std::int64_t gather_max_ns = 150'000;
// Commit duration (submit to durable) assumed before any was measured.
inline constexpr std::int64_t commit_ns_initial = 150'000;

class CommitPacer {
  public:
    // records were appended to the staged commit at now_ns.
    void on_appended(std::uint64_t records, std::int64_t now_ns) noexcept {
        if (records == 0) {
            return;
        }
        staged_records_ += records;
        last_staged_ns_ = now_ns;
    }

    [[nodiscard]] bool should_submit(std::uint32_t commits_in_flight, std::uint32_t commits_in_flight_max,
                                     bool sync_recent, std::int64_t now_ns) const noexcept {
        if (staged_records_ == 0 || commits_in_flight >= commits_in_flight_max) {
            return false;
        }
        if (commits_in_flight > 0) {
            return false; // gathering behind the commit in flight
        }
        if (!sync_recent) {
            return true;
        }
        // The gap runs from the release or the last arrival, whichever is later: records staged
        // while the commit was in flight do not end the gather for those it released.
        return staged_records_ >= waiting_records_ ||
               now_ns - std::max(last_staged_ns_, released_ns_) >= gather_gap_ns ||
               now_ns - released_ns_ >= gather_max_ns;
    }

    // Everything staged was submitted; the commit ends at last_sequence.
    void on_submitted(std::uint64_t last_sequence, std::int64_t now_ns) {
        in_flight_.push_back({last_sequence, staged_records_, now_ns});
        staged_records_ = 0;
    }

    // The journal is durable through durable_sequence (seen at now_ns).
    void on_durable(std::uint64_t durable_sequence, std::int64_t now_ns) {
        std::uint64_t released = 0;
        while (!in_flight_.empty() && in_flight_.front().last_sequence <= durable_sequence) {
            // Moving average over ~8 commits: the disk's pace drifts, single commits jitter.
            const std::int64_t took = std::max<std::int64_t>(0, now_ns - in_flight_.front().submitted_ns);
            commit_ns_ += (took - commit_ns_) / 8;
            released += in_flight_.front().records;
            in_flight_.pop_front();
        }
        if (released > 0) {
            waiting_records_ = released + staged_records_;
            released_ns_ = now_ns;
        }
    }

    // When the oldest commit in flight should be durable; 0 when none is in flight.
    [[nodiscard]] std::int64_t expected_durable_ns() const noexcept {
        return in_flight_.empty() ? 0 : in_flight_.front().submitted_ns + commit_ns_;
    }
    [[nodiscard]] std::uint64_t staged_records() const noexcept { return staged_records_; }
    [[nodiscard]] std::int64_t commit_ns() const noexcept { return commit_ns_; }

  private:
    struct Submitted {
        std::uint64_t last_sequence;
        std::uint64_t records;
        std::int64_t submitted_ns;
    };
    std::uint64_t staged_records_ = 0;
    std::int64_t last_staged_ns_ = 0;
    std::uint64_t waiting_records_ = 0; // released by the last completion, plus staged then
    std::int64_t released_ns_ = 0;
    std::deque<Submitted> in_flight_; // no longer than the writer's commits in flight
    std::int64_t commit_ns_ = commit_ns_initial;
};

} // namespace shmq::daemon
