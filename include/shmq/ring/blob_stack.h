// BlobStack: a lock-free LIFO of the free blocks of one blob size class (Treiber's stack). Blocks
// live in chunks of the region's blob arena; an entry is a layout::blob_index (chunk and block)
// and a block's `next` word sits in its BlobBlock record at the start of its chunk. The head word
// is (tag:32 | index:32); the tag changes on every push and pop so a CAS that read an old head
// fails even if the same index is back on top (ABA). LIFO keeps recently used blocks hot.
//
// Crash safety: push, pop and push_chain are single CASes. A process killed after a pop and
// before it recorded the block leaks that block (capacity, never messages); BlobStack cannot tell.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shmq/layout/region_layout.h"

namespace shmq::ring {

class BlobStack {
  public:
    static constexpr std::uint32_t none = 0xFFFF'FFFFu;

    BlobStack() = default;
    // blocks_per_chunk: of this stack's class; chunk_count: chunks in the arena.
    BlobStack(std::atomic<std::uint64_t>& head, std::byte* arena, std::uint32_t chunk_count,
              std::uint32_t blocks_per_chunk) noexcept
        : head_(&head), arena_(arena), chunk_count_(chunk_count), blocks_per_chunk_(blocks_per_chunk) {}

    // Creation only: empty (chunks are carved later).
    static void initialize(std::atomic<std::uint64_t>& head) noexcept { head.store(none, std::memory_order_relaxed); }

    [[nodiscard]] std::uint32_t pop() noexcept {
        std::uint64_t seen = head_->load(std::memory_order_acquire);
        for (;;) {
            const auto index = static_cast<std::uint32_t>(seen);
            if (index == none) {
                return none;
            }
            if (!valid(index)) {
                return none; // corrupt head: treat as empty rather than read out of bounds
            }
            // May read a next written after another process popped `index`; the tag makes our
            // CAS fail then.
            const std::uint32_t next = record(index).next.load(std::memory_order_relaxed);
            const std::uint64_t replacement = ((seen >> 32) + 1) << 32 | next;
            if (head_->compare_exchange_weak(seen, replacement, std::memory_order_acq_rel, std::memory_order_acquire)) {
                return index;
            }
        }
    }

    void push(std::uint32_t index) noexcept { push_chain(index, index); }

    // Pushes blocks already linked first → ... → last through their `next` words (a new chunk's
    // blocks) with one CAS: the release publishes the links and everything written before.
    void push_chain(std::uint32_t first, std::uint32_t last) noexcept {
        std::uint64_t seen = head_->load(std::memory_order_relaxed);
        for (;;) {
            record(last).next.store(static_cast<std::uint32_t>(seen), std::memory_order_relaxed);
            const std::uint64_t replacement = ((seen >> 32) + 1) << 32 | first;
            if (head_->compare_exchange_weak(seen, replacement, std::memory_order_release, std::memory_order_relaxed)) {
                return;
            }
        }
    }

    [[nodiscard]] bool valid(std::uint32_t index) const noexcept {
        return layout::blob_index_chunk(index) < chunk_count_ && layout::blob_index_block(index) < blocks_per_chunk_;
    }

    // The record of a valid index.
    [[nodiscard]] layout::BlobBlock& record(std::uint32_t index) const noexcept {
        return reinterpret_cast<layout::BlobBlock*>(arena_ + std::size_t{layout::blob_index_chunk(index)} *
                                                                 layout::blob_chunk_bytes)[layout::blob_index_block(index)];
    }

  private:
    std::atomic<std::uint64_t>* head_ = nullptr;
    std::byte* arena_ = nullptr;
    std::uint32_t chunk_count_ = 0;
    std::uint32_t blocks_per_chunk_ = 0;
};

} // namespace shmq::ring
