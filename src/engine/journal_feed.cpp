// Durability=async: listing sends and deletes for shmqd, and shmqd's view of them (see
// journal_feed.h).
#include "engine/journal_feed.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <climits>
#include <cstring>

#include "engine/daemon_marker.h"
#include "engine/fifo_lock.h"
#include "engine/process_liveness.h"
#include "engine/wait_set.h"
#include "sqs/attribute_codec.h"

namespace shmq::engine {

using layout::SlotHeader;
using layout::SlotState;
using layout::SlotWord;

namespace {

// Bounds of await_durable's spin: the steady clock, not the queue's (injectable) clock.
std::int64_t steady_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

bool holds_message(SlotState state) noexcept {
    return state == SlotState::ready || state == SlotState::delayed || state == SlotState::in_flight;
}

} // namespace

void QueueEngine::journal_sent(std::span<const std::uint32_t> slots) noexcept {
    if (header_.hot.durability.load(std::memory_order_relaxed) == layout::durability_memory || slots.empty()) {
        return;
    }
    std::array<std::uint32_t, limits::pending_slots_per_process> values{};
    const std::size_t count = std::min(slots.size(), values.size());
    for (std::size_t i = 0; i < count; ++i) {
        const SlotWord writing{region_->slot(slots[i]).state.load(std::memory_order_relaxed)};
        values[i] = layout::ring_value(slots[i], writing.generation());
    }
    // Listed before it is published: a delete can only follow, never precede, its send entry.
    auto& ring = region_->journal_sends();
    if (ring.push_many(values.data(), static_cast<std::uint32_t>(count), &last_journal_position_) < count) {
        header_.journal_overflow.store(1, std::memory_order_release);
    }
    // shmqd sleeps up to its commit interval between pumps of an idle journal: a burst that
    // fills half the ring wakes it rather than overflowing (and costing it a full reconcile).
    if (header_.journal_daemon_sleeping.load(std::memory_order_relaxed) != 0 &&
        ring.tail_hint() - ring.head_hint() >= ring.capacity() / 2) {
        header_.journal_wake.fetch_add(1, std::memory_order_seq_cst);
        futex_wake_word(header_.journal_wake, 1);
    }
}

void QueueEngine::journal_freed(std::span<const std::uint32_t> slots) noexcept {
    if (header_.hot.durability.load(std::memory_order_relaxed) == layout::durability_memory || slots.empty()) {
        return;
    }
    for (const std::uint32_t slot : slots) {
        const SlotWord freeing{region_->slot(slot).state.load(std::memory_order_relaxed)};
        if (!region_->journal_deletes().push(layout::ring_value(slot, freeing.generation()))) {
            header_.journal_overflow.store(1, std::memory_order_release);
        }
    }
}

bool QueueEngine::journal_daemon_alive() const noexcept {
    const std::uint32_t pid = header_.journal_daemon_pid.load(std::memory_order_acquire);
    return journal_daemon_watch_.alive(pid, header_.journal_daemon_start_ticks.load(std::memory_order_relaxed));
}

Status QueueEngine::await_journal_daemon(const SendOptions& options) {
    if (journal_daemon_alive()) {
        return {};
    }
    // A queue created a moment ago is taken on by the shmqd serving its namespace within that
    // daemon's watch interval (sooner on inotify): a send asked not to wait still waits for that,
    // never for a daemon that is not there. Real time: the injected clock may stand still.
    const std::int64_t wait_ns = options.durable_wait_ns == 0 && daemon_serves(directory_)
                                     ? limits::durable_attach_wait_ns
                                     : options.durable_wait_ns;
    const std::int64_t start = steady_ns();
    while (!journal_daemon_alive()) {
        if (wait_ns >= 0 && steady_ns() - start >= wait_ns) {
            return {Errc::not_durable, "Queue " + name() + " has Durability=sync and no shmqd journals it; "
                                                            "the message was not sent."};
        }
        usleep(1000);
    }
    return {};
}

Status QueueEngine::await_durable(std::uint64_t position, const SendOptions& options) {
    const std::int64_t started_ns = steady_ns();
    // Tell an idle shmqd there is a send to journal (it would otherwise see it at its next tick).
    header_.journal_wake.fetch_add(1, std::memory_order_seq_cst);
    if (header_.journal_daemon_sleeping.load(std::memory_order_seq_cst) != 0) {
        futex_wake_word(header_.journal_wake, 1);
    }
    WaitSetRegistration registration(header_.journaled, pid_);
    const auto durable = [&] { return header_.journal_durable_position.load(std::memory_order_acquire) > position; };
    std::int64_t orphaned_since = 0; // when we first found no live shmqd
    for (int round = 0;; ++round) {
        const std::uint32_t seen = header_.journaled.futex_word.load(std::memory_order_seq_cst);
        if (durable()) {
            // Waits drift with the disk; single ones jitter: a moving average over ~8.
            const std::int64_t waited_ns = steady_ns() - started_ns;
            durable_wait_ns_ =
                durable_wait_ns_ == 0 ? waited_ns : durable_wait_ns_ + (waited_ns - durable_wait_ns_) / 8;
            return {};
        }
        // Every ~50 ms: is anyone going to make it durable? (A restarted shmqd catches up.)
        if (round % 5 == 0) {
            if (journal_daemon_alive()) {
                orphaned_since = 0;
            } else {
                const std::int64_t now = clock_.now_ns();
                orphaned_since = orphaned_since == 0 ? now : orphaned_since;
                if (options.durable_wait_ns >= 0 && now - orphaned_since >= options.durable_wait_ns) {
                    return {Errc::not_durable, "Queue " + name() +
                                                   ": the message was enqueued, but shmqd stopped before it "
                                                   "was durable (Durability=sync)."};
                }
            }
        }
        // Alone waiting on this queue (another sender would need the CPU we spin on): sleep
        // through most of the wait we expect, spin around its end.
        const std::uint64_t others = header_.journaled.registered_mask.load(std::memory_order_relaxed);
        const std::int64_t now_ns = steady_ns();
        const std::int64_t spin_from_ns = started_ns + durable_wait_ns_ - limits::durable_wait_spin_ns;
        const std::int64_t spin_until_ns = started_ns + durable_wait_ns_ + limits::durable_wait_spin_ns;
        const bool alone = registration.registered() && std::popcount(others) == 1;
        if (alone && durable_wait_ns_ > 0 && now_ns < spin_until_ns) {
            if (now_ns < spin_from_ns) {
                wait_on(header_.journaled, seen, std::min<std::int64_t>(spin_from_ns - now_ns, 10'000'000));
                continue;
            }
            for (std::uint32_t i = 1; !durable() && (i % 64 != 0 || steady_ns() < spin_until_ns); ++i) {
                __builtin_ia32_pause();
            }
            continue;
        }
        wait_on(header_.journaled, seen, 10'000'000);
    }
}

std::atomic<std::uint32_t>& JournalFeed::wake_word() noexcept {
    return engine_.header_.journal_wake;
}

void JournalFeed::set_sleeping(bool sleeping) noexcept {
    engine_.header_.journal_daemon_sleeping.store(sleeping ? 1 : 0, std::memory_order_seq_cst);
}

bool JournalFeed::sends_listed() const noexcept {
    return !engine_.region_->journal_sends().looks_empty();
}

bool JournalFeed::durable() const noexcept {
    return engine_.header_.hot.durability.load(std::memory_order_relaxed) != layout::durability_memory;
}

bool JournalFeed::deduplicating() const noexcept {
    return engine_.fifo() && engine_.region_->fifo_header().dedup_capacity != 0;
}

void JournalFeed::claim(std::uint32_t pid, std::uint64_t start_ticks) noexcept {
    engine_.header_.journal_daemon_start_ticks.store(start_ticks, std::memory_order_relaxed);
    engine_.header_.journal_daemon_pid.store(pid, std::memory_order_release);
}

void JournalFeed::release(std::uint32_t pid) noexcept {
    std::uint32_t expected = pid;
    (void)engine_.header_.journal_daemon_pid.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
}

void JournalFeed::publish_durable(std::uint64_t position) noexcept {
    std::atomic<std::uint64_t>& durable = engine_.header_.journal_durable_position;
    if (position > durable.load(std::memory_order_relaxed)) {
        durable.store(position, std::memory_order_release);
        engine_.header_.journaled.futex_word.fetch_add(1, std::memory_order_seq_cst);
        wake(engine_.header_.journaled, INT32_MAX);
    }
}

JournalFeed::Copy JournalFeed::copy(std::uint32_t slot, std::uint32_t generation_bits, FedMessage& out) const {
    region::Region& region = *engine_.region_;
    if (slot >= region.slot_count()) {
        return Copy::gone;
    }
    const SlotHeader& header = region.slot(slot);
    const SlotWord before{header.state.load(std::memory_order_acquire)};
    if (!layout::ring_generation_matches(layout::ring_value(slot, generation_bits), before.generation())) {
        return Copy::gone;
    }
    if (before.state() == SlotState::writing) {
        return Copy::pending;
    }
    if (!holds_message(before.state())) {
        return Copy::gone;
    }
    out.slot = slot;
    out.generation = before.generation();
    std::memcpy(out.message_id.bytes.data(), header.message_id, 16);
    out.sent_ns = header.sent_ns;
    out.sender_uid = header.sender_uid;
    const std::byte* payload = engine_.payload_of(slot);
    const std::uint32_t body_size = header.body_size;
    const std::uint32_t attributes_size = header.attributes_size;
    if (std::size_t{body_size} + attributes_size > limits::message_size_max + (64u << 10)) {
        return Copy::gone; // torn by a concurrent reuse: the check below would say so anyway
    }
    out.body.assign(reinterpret_cast<const char*>(payload), body_size);
    out.encoded_attributes.assign(reinterpret_cast<const char*>(payload) + body_size, attributes_size);
    out.sequence_number = engine_.fifo() ? region.fifo_slot(slot).sequence : 0;
    // Still the same message after the copy (a delete and reuse in between would have moved the
    // generation): then the bytes copied are that message's.
    std::atomic_thread_fence(std::memory_order_acquire);
    const SlotWord after{header.state.load(std::memory_order_relaxed)};
    return after.generation() == before.generation() && holds_message(after.state()) ? Copy::copied : Copy::gone;
}

bool JournalFeed::copy_deleted_ids(std::uint32_t slot, FedMessage& out) const {
    region::Region& region = *engine_.region_;
    if (!deduplicating() || slot >= region.slot_count()) {
        return false;
    }
    const SlotHeader& header = region.slot(slot);
    const std::uint32_t body_size = header.body_size;
    const std::uint32_t attributes_size = header.attributes_size;
    if (std::size_t{body_size} + attributes_size > limits::message_size_max + (64u << 10)) {
        return false;
    }
    std::memcpy(out.message_id.bytes.data(), header.message_id, 16);
    out.sent_ns = header.sent_ns;
    out.sender_uid = header.sender_uid;
    out.sequence_number = region.fifo_slot(slot).sequence;
    out.body.clear();
    out.encoded_attributes.assign(reinterpret_cast<const char*>(engine_.payload_of(slot)) + body_size,
                                  attributes_size);
    auto parts = sqs::split_attributes(out.encoded_attributes);
    if (!parts || parts->trailer.message_deduplication_id.empty()) {
        return false;
    }
    SendOutcome remembered;
    const layout::FifoKey key = engine_.deduplication_key_of(parts->trailer);
    FifoLock lock(engine_, FifoLock::send); // the window is written under it
    if (!lock.locked() || !engine_.dedup_find(key, engine_.clock_.now_ns(), remembered)) {
        return false; // expired, or the slot held something else by now
    }
    return remembered.message_id == out.message_id && remembered.sequence_number == out.sequence_number;
}

std::uint64_t JournalFeed::drain_sends(const std::function<void(std::uint32_t, std::uint32_t, std::uint64_t)>& visit) {
    std::uint64_t next = 0;
    (void)engine_.region_->journal_sends().pop_at(
        limits::ring_scan_max,
        [&](std::uint32_t value, std::uint64_t position) {
            visit(layout::ring_slot(value), value >> 24, position);
            return ring::ClaimResult::claimed;
        },
        &next);
    return next;
}

void JournalFeed::drain_deletes(const std::function<void(std::uint32_t, std::uint32_t)>& visit) {
    (void)engine_.region_->journal_deletes().pop(limits::ring_scan_max, [&](std::uint32_t value) {
        visit(layout::ring_slot(value), value >> 24);
        return ring::ClaimResult::claimed;
    });
}

bool JournalFeed::take_overflow() noexcept {
    return engine_.header_.journal_overflow.exchange(0, std::memory_order_acq_rel) != 0;
}

std::uint32_t JournalFeed::slot_count() const noexcept {
    return engine_.region_->slot_count();
}

bool JournalFeed::peek_id(std::uint32_t slot, std::uint32_t generation, MessageId& out) const {
    region::Region& region = *engine_.region_;
    if (slot >= region.slot_count()) {
        return false;
    }
    const SlotHeader& header = region.slot(slot);
    std::memcpy(out.bytes.data(), header.message_id, 16);
    std::atomic_thread_fence(std::memory_order_acquire);
    const SlotWord after{header.state.load(std::memory_order_relaxed)};
    return after.generation() == generation && holds_message(after.state());
}

void JournalFeed::live_messages(const std::function<void(std::uint32_t, std::uint32_t)>& visit) const {
    region::Region& region = *engine_.region_;
    for (std::uint32_t slot = 0; slot < region.slot_count(); ++slot) {
        const SlotWord word{region.slot(slot).state.load(std::memory_order_acquire)};
        if (holds_message(word.state())) {
            visit(slot, word.generation());
        }
    }
}

} // namespace shmq::engine
