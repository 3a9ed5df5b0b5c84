// BlobStack: a lock-free LIFO of free block indices of one blob size class (Treiber's stack).
// The head word is (tag:32 | index:32); the tag changes on every push and pop so a CAS that read
// an old head fails even if the same index is back on top (ABA). LIFO keeps recently used
// blocks hot and lets tmpfs leave untouched blocks unallocated.
//
// Crash safety: push and pop are single CASes. A process killed after a pop and before it
// recorded the block leaks that block (capacity, never messages); BlobStack cannot tell.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmq::ring {

class BlobStack {
  public:
    static constexpr std::uint32_t none = 0xFFFF'FFFFu;

    BlobStack() = default;
    BlobStack(std::atomic<std::uint64_t>& head, std::atomic<std::uint32_t>* next, std::uint32_t count) noexcept
        : head_(&head), next_(next), count_(count) {}

    // Creation only: every block free, 0 on top.
    static void initialize(std::atomic<std::uint64_t>& head, std::atomic<std::uint32_t>* next,
                           std::uint32_t count) noexcept {
        for (std::uint32_t i = 0; i < count; ++i) {
            next[i].store(i + 1 < count ? i + 1 : none, std::memory_order_relaxed);
        }
        head.store(count == 0 ? none : 0u, std::memory_order_relaxed);
    }

    [[nodiscard]] std::uint32_t pop() noexcept {
        std::uint64_t seen = head_->load(std::memory_order_acquire);
        for (;;) {
            const auto index = static_cast<std::uint32_t>(seen);
            if (index == none) {
                return none;
            }
            if (index >= count_) {
                return none; // corrupt head: treat as empty rather than read out of bounds
            }
            // May read a next written after another process popped `index`; the tag makes our
            // CAS fail then.
            const std::uint32_t next = next_[index].load(std::memory_order_relaxed);
            const std::uint64_t replacement = ((seen >> 32) + 1) << 32 | next;
            if (head_->compare_exchange_weak(seen, replacement, std::memory_order_acq_rel, std::memory_order_acquire)) {
                return index;
            }
        }
    }

    void push(std::uint32_t index) noexcept {
        std::uint64_t seen = head_->load(std::memory_order_relaxed);
        for (;;) {
            next_[index].store(static_cast<std::uint32_t>(seen), std::memory_order_relaxed);
            const std::uint64_t replacement = ((seen >> 32) + 1) << 32 | index;
            if (head_->compare_exchange_weak(seen, replacement, std::memory_order_release, std::memory_order_relaxed)) {
                return;
            }
        }
    }

  private:
    std::atomic<std::uint64_t>* head_ = nullptr;
    std::atomic<std::uint32_t>* next_ = nullptr;
    std::uint32_t count_ = 0;
};

} // namespace shmq::ring
