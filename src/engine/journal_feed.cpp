// Durability=async: listing sends and deletes for shmqd, and shmqd's view of them (see
// journal_feed.h).
#include "engine/journal_feed.h"

#include <atomic>
#include <cstring>

namespace shmq::engine {

using layout::SlotHeader;
using layout::SlotState;
using layout::SlotWord;

namespace {

bool holds_message(SlotState state) noexcept {
    return state == SlotState::ready || state == SlotState::delayed || state == SlotState::in_flight;
}

} // namespace

void QueueEngine::journal_sent(std::span<const std::uint32_t> slots) noexcept {
    if (header_.hot.durability.load(std::memory_order_relaxed) != layout::durability_async || slots.empty()) {
        return;
    }
    std::array<std::uint32_t, limits::pending_slots_per_process> values{};
    const std::size_t count = std::min(slots.size(), values.size());
    for (std::size_t i = 0; i < count; ++i) {
        const SlotWord writing{region_->slot(slots[i]).state.load(std::memory_order_relaxed)};
        values[i] = layout::ring_value(slots[i], writing.generation());
    }
    // Listed before it is published: a delete can only follow, never precede, its send entry.
    if (region_->journal_sends().push_many(values.data(), static_cast<std::uint32_t>(count)) < count) {
        header_.journal_overflow.store(1, std::memory_order_release);
    }
}

void QueueEngine::journal_freed(std::span<const std::uint32_t> slots) noexcept {
    if (header_.hot.durability.load(std::memory_order_relaxed) != layout::durability_async || slots.empty()) {
        return;
    }
    for (const std::uint32_t slot : slots) {
        const SlotWord freeing{region_->slot(slot).state.load(std::memory_order_relaxed)};
        if (!region_->journal_deletes().push(layout::ring_value(slot, freeing.generation()))) {
            header_.journal_overflow.store(1, std::memory_order_release);
        }
    }
}

bool JournalFeed::async() const noexcept {
    return engine_.header_.hot.durability.load(std::memory_order_relaxed) == layout::durability_async;
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
    // Still the same message after the copy (a delete and reuse in between would have moved the
    // generation): then the bytes copied are that message's.
    std::atomic_thread_fence(std::memory_order_acquire);
    const SlotWord after{header.state.load(std::memory_order_relaxed)};
    return after.generation() == before.generation() && holds_message(after.state()) ? Copy::copied : Copy::gone;
}

void JournalFeed::drain_sends(const std::function<void(std::uint32_t, std::uint32_t)>& visit) {
    (void)engine_.region_->journal_sends().pop(limits::ring_scan_max, [&](std::uint32_t value) {
        visit(layout::ring_slot(value), value >> 24);
        return ring::ClaimResult::claimed;
    });
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
