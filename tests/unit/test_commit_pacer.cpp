// Goal: shmqd's CommitPacer gathers the Durability=sync senders a commit released into one next
// commit, never holds records longer than its bounds, and commits async-only traffic one commit
// at a time (what arrives meanwhile gathers into the next). Method: drive it with made-up times and sequences, no journal.
#include <catch2/catch.hpp>

#include "shmqd/commit_pacer.h"

using shmq::daemon::CommitPacer;
using shmq::daemon::gather_gap_ns;
using shmq::daemon::gather_max_ns;

namespace {
constexpr std::uint32_t in_flight_max = 4;
constexpr std::int64_t us = 1'000;
} // namespace

TEST_CASE("CommitPacer: without sync traffic, records are submitted at once when no commit is in flight", "[unit]") {
    CommitPacer pacer;
    CHECK_FALSE(pacer.should_submit(0, in_flight_max, false, 0)); // nothing staged
    pacer.on_appended(3, 0);
    CHECK(pacer.should_submit(0, in_flight_max, false, 0));
    CHECK_FALSE(pacer.should_submit(1, in_flight_max, false, 0)); // gathering behind it
    CHECK_FALSE(pacer.should_submit(4, in_flight_max, false, 0)); // submit() would block
    pacer.on_submitted(3, 0);
    CHECK(pacer.staged_records() == 0);
    CHECK_FALSE(pacer.should_submit(0, in_flight_max, false, 0));
}

TEST_CASE("CommitPacer: sync senders released together are gathered into one commit", "[unit]") {
    CommitPacer pacer;
    // 16 senders' records in one commit, durable 150 us later.
    pacer.on_appended(16, 0);
    REQUIRE(pacer.should_submit(0, in_flight_max, true, 0));
    pacer.on_submitted(16, 0);
    CHECK(pacer.expected_durable_ns() > 0);
    // A record arriving while it is in flight waits behind it.
    pacer.on_appended(1, 100 * us);
    CHECK_FALSE(pacer.should_submit(1, in_flight_max, true, 100 * us));
    pacer.on_durable(16, 150 * us);
    CHECK(pacer.expected_durable_ns() == 0);
    // 16 released + 1 staged: wait for 17 while they keep coming.
    std::int64_t now = 150 * us;
    for (int sender = 0; sender < 15; ++sender) {
        now += 8 * us;
        pacer.on_appended(1, now);
        CHECK_FALSE(pacer.should_submit(0, in_flight_max, true, now));
    }
    now += 8 * us;
    pacer.on_appended(1, now);
    CHECK(pacer.should_submit(0, in_flight_max, true, now)); // all 17 back
    pacer.on_submitted(33, now);
    CHECK(pacer.staged_records() == 0);
}

TEST_CASE("CommitPacer: a gather ends when senders stop coming or at its bound", "[unit]") {
    CommitPacer pacer;
    pacer.on_appended(10, 0);
    pacer.on_submitted(10, 0);
    pacer.on_durable(10, 200 * us);
    // One of ten comes back, then nobody: submitted gather_gap_ns after it.
    pacer.on_appended(1, 210 * us);
    CHECK_FALSE(pacer.should_submit(0, in_flight_max, true, 210 * us + gather_gap_ns - 1));
    CHECK(pacer.should_submit(0, in_flight_max, true, 210 * us + gather_gap_ns));
    // Senders trickling in just under the gap: bounded by gather_max_ns after the release.
    CommitPacer trickle;
    trickle.on_appended(100, 0);
    trickle.on_submitted(100, 0);
    trickle.on_durable(100, 0);
    std::int64_t now = 0;
    bool submitted = false;
    while (!submitted && now <= gather_max_ns) {
        now += gather_gap_ns / 2;
        trickle.on_appended(1, now);
        submitted = trickle.should_submit(0, in_flight_max, true, now);
    }
    CHECK(submitted);
    CHECK(now >= gather_max_ns);
    CHECK(now < gather_max_ns + gather_gap_ns);
}

TEST_CASE("CommitPacer: a lone sync sender is never held", "[unit]") {
    CommitPacer pacer;
    std::int64_t now = 0;
    for (int send = 0; send < 5; ++send) {
        pacer.on_appended(1, now);
        REQUIRE(pacer.should_submit(0, in_flight_max, true, now));
        pacer.on_submitted(static_cast<std::uint64_t>(send + 1), now);
        now += 170 * us;
        pacer.on_durable(static_cast<std::uint64_t>(send + 1), now);
        now += 20 * us;
    }
    // It learnt the commit duration: the next commit is expected ~170 us after its submission.
    pacer.on_appended(1, now);
    pacer.on_submitted(6, now);
    CHECK(pacer.expected_durable_ns() - now > 150 * us);
    CHECK(pacer.expected_durable_ns() - now < 175 * us);
}

TEST_CASE("CommitPacer: records staged during a commit wait for the senders it releases", "[unit]") {
    // Two groups alternating (4 senders in the commit in flight, 3 staged behind it) merge.
    CommitPacer pacer;
    pacer.on_appended(4, 0);
    pacer.on_submitted(4, 0);
    pacer.on_appended(3, 20 * us);
    CHECK_FALSE(pacer.should_submit(1, in_flight_max, true, 20 * us));
    pacer.on_durable(4, 170 * us); // long after the 3 were staged
    CHECK_FALSE(pacer.should_submit(0, in_flight_max, true, 171 * us));
    pacer.on_appended(2, 190 * us);
    CHECK_FALSE(pacer.should_submit(0, in_flight_max, true, 190 * us));
    pacer.on_appended(2, 200 * us);
    CHECK(pacer.should_submit(0, in_flight_max, true, 200 * us)); // all 7 in one commit
    CHECK(pacer.staged_records() == 7);
}
