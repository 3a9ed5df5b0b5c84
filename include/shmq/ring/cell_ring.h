// CellRing: a bounded multi-producer multi-consumer ring of 32-bit values in which every cell
// carries its own lap, so that one CAS on a cell both claims and completes an operation.
//
// A cell is a u64: (lap << 32) | value, value 0xFFFFFFFF meaning empty. Position p lives in cell
// p % capacity at lap p / capacity. A producer at p turns EMPTY(lap) into FULL(lap, v); a
// consumer turns FULL(lap, v) into EMPTY(lap + 1), which is the producer's cell for p + capacity.
// Head and tail counters are only hints (advanced after the fact), so a process killed anywhere
// leaves every cell either done or not done and never blocks the ring: Vyukov's ring, which
// claims a position first and publishes later, would stall forever on a claimer that died.
//
// Invariants: produced positions form a prefix (a producer never skips an EMPTY cell of its lap)
// and so do consumed positions; a stale hint makes the next caller skip forward over finished
// cells, bounded by limits::ring_scan_max.
//
// Consumers pop with a claim callback ("peek, claim, consume"): the entry is removed only after
// the callback has taken ownership of what it names, so a consumer killed between the two leaves
// an entry that the next consumer finds stale and drops. Values are therefore hints that the
// caller validates; duplicates are harmless and capacity leaves room for them.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>

#include "shmq/layout/region_layout.h"
#include "shmq/limits.h"

namespace shmq::ring {

enum class ClaimResult : std::uint8_t {
    claimed, // the caller now owns what the entry names: consume it and count it
    stale,   // the entry names nothing to take: consume it and go on
    stop,    // leave the entry and stop (the caller cannot take more now)
};

class CellRing {
  public:
    static constexpr std::uint32_t empty_value = 0xFFFF'FFFFu;

    CellRing() = default;
    CellRing(layout::RingHeader& header, std::atomic<std::uint64_t>* cells, std::uint32_t capacity) noexcept
        : header_(&header), cells_(cells), mask_(capacity - 1),
          lap_shift_(static_cast<std::uint32_t>(std::countr_zero(capacity))) {}

    // Creation only (no other process can see the region yet): every cell EMPTY at lap 0, then
    // values 0..prefill_count-1 already pushed.
    static void initialize(layout::RingHeader& header, std::atomic<std::uint64_t>* cells, std::uint32_t capacity,
                           std::uint32_t prefill_count) noexcept {
        for (std::uint32_t i = 0; i < capacity; ++i) {
            cells[i].store(i < prefill_count ? cell(0, i) : cell(0, empty_value), std::memory_order_relaxed);
        }
        header.head_hint.store(0, std::memory_order_relaxed);
        header.tail_hint.store(prefill_count, std::memory_order_relaxed);
    }

    // Appends one value; false when the ring is full. Lock-free; the CAS is seq_cst because
    // wakers load the sleeper mask right after it (Dekker pairing with WaitSet registration).
    [[nodiscard]] bool push(std::uint32_t value) noexcept { return push_many(&value, 1) == 1; }

    // Appends values in order (others' values may interleave); returns how many fit. The tail
    // hint moves once for the whole batch. last_position, if given, receives the position of the
    // last value pushed.
    [[nodiscard]] std::uint32_t push_many(const std::uint32_t* values, std::uint32_t count,
                                          std::uint64_t* last_position = nullptr) noexcept {
        std::uint64_t position = header_->tail_hint.load(std::memory_order_acquire);
        std::uint32_t pushed = 0;
        for (std::uint32_t step = 0; step < limits::ring_scan_max && pushed < count; ++step) {
            std::atomic<std::uint64_t>& target = cells_[position & mask_];
            std::uint64_t seen = target.load(std::memory_order_acquire);
            const std::uint32_t cell_lap = lap_of_cell(seen);
            const std::uint32_t position_lap = lap_of(position);
            if (cell_lap == position_lap) {
                if (value_of_cell(seen) == empty_value) {
                    if (target.compare_exchange_strong(seen, cell(position_lap, values[pushed]),
                                                       std::memory_order_seq_cst, std::memory_order_acquire)) {
                        if (last_position != nullptr) {
                            *last_position = position;
                        }
                        ++pushed;
                        ++position;
                    }
                    continue; // pushed, or lost the race for this cell: look again
                }
                ++position; // another producer's value of this lap
                continue;
            }
            if (static_cast<std::int32_t>(cell_lap - position_lap) > 0) {
                ++position; // already produced and consumed: our tail hint was stale
                continue;
            }
            break; // the previous lap's value is still unconsumed: full
        }
        advance(header_->tail_hint, position);
        return pushed;
    }

    // Pops up to max_count entries in order. For each FULL cell, claim(value) decides; claimed
    // and stale entries are consumed. Returns the number claimed.
    template <class Claim> [[nodiscard]] std::uint32_t pop(std::uint32_t max_count, Claim&& claim) noexcept {
        return pop_at(max_count, [&](std::uint32_t value, std::uint64_t) { return claim(value); });
    }

    // pop, with each entry's position given to claim(value, position), and the position after the
    // last entry looked at stored in *next_position if given.
    template <class Claim>
    [[nodiscard]] std::uint32_t pop_at(std::uint32_t max_count, Claim&& claim,
                                       std::uint64_t* next_position = nullptr) noexcept {
        std::uint64_t position = header_->head_hint.load(std::memory_order_acquire);
        std::uint32_t claimed = 0;
        for (std::uint32_t step = 0; step < limits::ring_scan_max && claimed < max_count; ++step) {
            std::atomic<std::uint64_t>& source = cells_[position & mask_];
            std::uint64_t seen = source.load(std::memory_order_seq_cst);
            const std::uint32_t cell_lap = lap_of_cell(seen);
            const std::uint32_t position_lap = lap_of(position);
            if (cell_lap == position_lap) {
                const std::uint32_t value = value_of_cell(seen);
                if (value == empty_value) {
                    break; // nothing produced here yet: the ring is empty from this position
                }
                const ClaimResult result = claim(value, position);
                if (result == ClaimResult::stop) {
                    break;
                }
                // Consume the entry. Failure means another consumer consumed it first, which is
                // fine either way: the claim above is what transferred ownership.
                source.compare_exchange_strong(seen, cell(position_lap + 1, empty_value), std::memory_order_acq_rel,
                                               std::memory_order_relaxed);
                if (result == ClaimResult::claimed) {
                    ++claimed;
                }
                ++position;
                continue;
            }
            if (static_cast<std::int32_t>(cell_lap - position_lap) > 0) {
                ++position; // consumed already: our head hint was stale
                continue;
            }
            break; // not yet produced at this lap
        }
        advance(header_->head_hint, position);
        if (next_position != nullptr) {
            *next_position = position;
        }
        return claimed;
    }

    // Calls visit(value) for up to max_count values from the head without consuming them
    // (read-only; they may be stale by the time the caller acts): lets a consumer prefetch what
    // it is about to claim.
    template <class Visit> void peek(std::uint32_t max_count, Visit&& visit) const noexcept {
        std::uint64_t position = header_->head_hint.load(std::memory_order_relaxed);
        const std::uint64_t end = position + 2 * std::uint64_t{max_count};
        for (std::uint32_t found = 0; position < end && found < max_count; ++position) {
            const std::uint64_t seen = cells_[position & mask_].load(std::memory_order_relaxed);
            if (lap_of_cell(seen) != lap_of(position)) {
                continue; // consumed already (stale hint) or not yet produced
            }
            if (value_of_cell(seen) == empty_value) {
                return;
            }
            visit(value_of_cell(seen));
            ++found;
        }
    }

    // True when the cell at the head hint holds nothing to pop: a read-only peek for polling
    // loops (one shared line, never the producers' tail). A stale head hint answers false, and
    // the caller's pop then skips forward.
    [[nodiscard]] bool looks_empty() const noexcept {
        const std::uint64_t position = header_->head_hint.load(std::memory_order_relaxed);
        const std::uint64_t seen = cells_[position & mask_].load(std::memory_order_seq_cst);
        return lap_of_cell(seen) == lap_of(position) && value_of_cell(seen) == empty_value;
    }

    [[nodiscard]] std::uint64_t head_hint() const noexcept {
        return header_->head_hint.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t tail_hint() const noexcept {
        return header_->tail_hint.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(mask_ + 1); }

  private:
    [[nodiscard]] static constexpr std::uint64_t cell(std::uint32_t lap, std::uint32_t value) noexcept {
        return (std::uint64_t{lap} << 32) | value;
    }
    [[nodiscard]] static constexpr std::uint32_t lap_of_cell(std::uint64_t c) noexcept {
        return static_cast<std::uint32_t>(c >> 32);
    }
    [[nodiscard]] static constexpr std::uint32_t value_of_cell(std::uint64_t c) noexcept {
        return static_cast<std::uint32_t>(c);
    }
    [[nodiscard]] std::uint32_t lap_of(std::uint64_t position) const noexcept {
        return static_cast<std::uint32_t>(position >> lap_shift_);
    }
    // Hints only move forward; a lost race means someone else moved it at least as far.
    static void advance(std::atomic<std::uint64_t>& hint, std::uint64_t target) noexcept {
        std::uint64_t current = hint.load(std::memory_order_relaxed);
        while (current < target &&
               !hint.compare_exchange_weak(current, target, std::memory_order_release, std::memory_order_relaxed)) {
        }
    }

    layout::RingHeader* header_ = nullptr;
    std::atomic<std::uint64_t>* cells_ = nullptr;
    std::uint64_t mask_ = 0;
    std::uint32_t lap_shift_ = 0;
};

} // namespace shmq::ring
