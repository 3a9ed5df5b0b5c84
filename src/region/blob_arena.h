// BlobArena: where bodies larger than a slot's inline area live. One arena per region, sized by
// the queue's MessageBytesCapacity and split into chunks (layout::blob_chunk_bytes, about 1 MiB);
// seven size classes (256 B ... 1 MiB + 4 KiB) each keep a free stack of blocks. A class whose
// stack is empty carves the arena's next chunk for itself. Before a chunk is handed out its pages
// are reserved in the region file (fallocate), so a full /dev/shm is an error a send reports,
// never a SIGBUS when the block is first written.
//
// Invariants: chunks [0, blob_chunks_carved) serve the class stamped for them, for the region's
// life; a block is on its class's free stack or tagged by the one slot generation that holds it
// (tag 0 and off the stack only between a pop and the tag store, or in a leaked chunk).
//
// Carve protocol (docs/memory-ordering.md):
//   K1 reserve: fallocate the pages of chunk k = blob_chunks_carved for class c (idempotent: a
//               carver that loses K2's race leaves pages reserved that the winner's class may not
//               use, at most one chunk's, which later carvers of other chunks never need)
//   K2 claim:   CAS blob_chunks_carved k → k+1 (acq_rel); fails at the chunk count
//   K3 stamp:   chunk_class[k] = c, link blocks 1..n-1 through their next words (relaxed)
//   K4 publish: push_chain(1, n-1) (release; pairs with pop's acquire); block 0 is the caller's
// A process killed between K2 and K4 leaks that one chunk (capacity, never a message): at most
// one chunk per process killed mid-carve, counted by `shmq inspect` (carved chunks).
#pragma once

#include <cstddef>
#include <cstdint>

#include "shmq/layout/region_layout.h"
#include "shmq/ring/blob_stack.h"

namespace shmq::region {

// Why no block could be had.
enum class BlobShortage : std::uint8_t {
    none,
    message_bytes_capacity, // every chunk is carved and no class has a free block that fits
    shm_space,              // the file system holding the region has no pages for a new chunk
};

struct BlobTake {
    std::uint32_t reference = layout::blob_none; // blob_none: see shortage
    BlobShortage shortage = BlobShortage::none;
};

class BlobArena {
  public:
    BlobArena() = default;
    // base: the mapped region; fd: the region file, kept open for fallocate.
    BlobArena(layout::RegionHeader& header, std::byte* base, int fd) noexcept;

    // Creation only: every stack empty, no chunk carved.
    static void initialize(layout::RegionHeader& header) noexcept;

    // A block for `bytes` (at most a message of the largest size), tagged `tag` before anyone
    // can see it: its class's free stack, else a chunk carved for its class, else a free block of
    // a larger class.
    [[nodiscard]] BlobTake take(std::size_t bytes, std::uint64_t tag) noexcept;

    // Puts the block back on its stack if its tag is still `tag` (clearing it): only the holder
    // of the tag pushes, so a release repeated by recovery is a no-op, and a reference that names
    // no carved block of its class (torn, or foreign) is ignored.
    void release(std::uint32_t reference, std::uint64_t tag) noexcept;

    // The bytes of a reference take handed out.
    [[nodiscard]] std::byte* data(std::uint32_t reference) const noexcept;

    [[nodiscard]] std::uint32_t chunk_count() const noexcept { return header_->blob_chunk_count; }
    [[nodiscard]] std::uint32_t chunks_carved() const noexcept;

  private:
    [[nodiscard]] std::byte* chunk(std::uint32_t k) const noexcept {
        return arena_ + std::size_t{k} * layout::blob_chunk_bytes;
    }
    [[nodiscard]] std::atomic<std::uint8_t>& chunk_class(std::uint32_t k) const noexcept {
        return reinterpret_cast<std::atomic<std::uint8_t>*>(base_ + header_->blob_chunk_class_offset)[k];
    }
    // K1..K4 for class c: the index of the block kept for the caller, or none with the shortage.
    [[nodiscard]] std::uint32_t carve(std::size_t c, BlobShortage& shortage) noexcept;
    // K1: whether chunk k's pages for class c are reserved.
    [[nodiscard]] bool reserve(std::uint32_t k, std::size_t c) const noexcept;

    layout::RegionHeader* header_ = nullptr;
    std::byte* base_ = nullptr;
    std::byte* arena_ = nullptr;
    int fd_ = -1;
    ring::BlobStack stacks_[limits::blob_class_count];
};

} // namespace shmq::region
