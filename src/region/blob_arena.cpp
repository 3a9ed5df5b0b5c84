// Taking, carving and releasing blob blocks (see blob_arena.h).
#include "region/blob_arena.h"

#include <fcntl.h>

#include <cerrno>

#include "engine/crash_point.h" // fault injection only (test builds): no engine code here

namespace shmq::region {
namespace {

// fallocate on tmpfs gives up with EINTR when a signal is pending; a handled signal is worth a
// retry, a stream of them is not.
constexpr int reserve_attempts_max = 16;

std::size_t class_for(std::size_t bytes) noexcept {
    for (std::size_t c = 0; c < limits::blob_class_count; ++c) {
        if (bytes <= layout::blob_class_bytes(c)) {
            return c;
        }
    }
    return limits::blob_class_count;
}

// Pages [offset, offset + bytes) of the region file are backed, or the file system said no.
bool allocate(int fd, std::uint64_t offset, std::uint64_t bytes) noexcept {
    for (int attempt = 0; attempt < reserve_attempts_max; ++attempt) {
        if (::fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(bytes)) == 0) {
            return true;
        }
        if (errno == EOPNOTSUPP) {
            return true; // a file system that cannot reserve (not tmpfs) allocates as it is written
        }
        if (errno != EINTR) {
            return false; // ENOSPC: /dev/shm is full; ENOMEM: the memory cgroup is
        }
    }
    return false;
}

} // namespace

BlobArena::BlobArena(layout::RegionHeader& header, std::byte* base, int fd) noexcept
    : header_(&header), base_(base), arena_(base + header.blob_arena_offset), fd_(fd) {
    for (std::size_t c = 0; c < limits::blob_class_count; ++c) {
        stacks_[c] = ring::BlobStack(header.blob_free_head[c], arena_, header.blob_chunk_count,
                                     layout::blob_blocks_per_chunk(c));
    }
}

void BlobArena::initialize(layout::RegionHeader& header) noexcept {
    for (std::size_t c = 0; c < limits::blob_class_count; ++c) {
        ring::BlobStack::initialize(header.blob_free_head[c]);
    }
    header.blob_chunks_carved.store(0, std::memory_order_relaxed);
}

std::uint32_t BlobArena::chunks_carved() const noexcept {
    const std::uint32_t carved = header_->blob_chunks_carved.load(std::memory_order_acquire);
    return carved < header_->blob_chunk_count ? carved : header_->blob_chunk_count;
}

BlobTake BlobArena::take(std::size_t bytes, std::uint64_t tag) noexcept {
    const std::size_t wanted = class_for(bytes);
    BlobTake taken;
    if (wanted == limits::blob_class_count) {
        taken.shortage = BlobShortage::message_bytes_capacity; // callers never ask for more
        return taken;
    }
    std::size_t c = wanted;
    std::uint32_t index = stacks_[c].pop();
    if (index == ring::BlobStack::none) {
        index = carve(c, taken.shortage);
    }
    // The arena is spent (or has no pages): a free block of a larger class still fits.
    for (std::size_t larger = wanted + 1; index == ring::BlobStack::none && larger < limits::blob_class_count;
         ++larger) {
        index = stacks_[larger].pop();
        c = larger;
    }
    if (index == ring::BlobStack::none) {
        return taken;
    }
    // Tag before the caller records the reference: recovery releases a block only if its tag
    // names the message that holds it.
    stacks_[c].record(index).tag.store(tag, std::memory_order_relaxed);
    taken.reference = layout::blob_reference(c, index);
    taken.shortage = BlobShortage::none;
    return taken;
}

std::uint32_t BlobArena::carve(std::size_t c, BlobShortage& shortage) noexcept {
    const std::uint32_t chunk_count = header_->blob_chunk_count;
    std::uint32_t k = header_->blob_chunks_carved.load(std::memory_order_acquire);
    // States of k: below the count (try to take it), at or past it (spent; past only if a
    // writer of the region misbehaved). Each failed CAS means another carver took k: bounded by
    // the chunk count.
    for (;;) {
        if (k >= chunk_count) {
            shortage = BlobShortage::message_bytes_capacity;
            return ring::BlobStack::none;
        }
        if (!reserve(k, c)) { // K1
            shortage = BlobShortage::shm_space;
            return ring::BlobStack::none;
        }
        if (header_->blob_chunks_carved.compare_exchange_weak(k, k + 1, std::memory_order_acq_rel,
                                                             std::memory_order_acquire)) { // K2
            break;
        }
    }
    SHMQ_CRASH_POINT("blob.after_carve_claim"); // a process killed here leaks chunk k
    // K3: a fresh chunk reads zero (tags 0: free); link blocks 1..n-1 in order.
    chunk_class(k).store(static_cast<std::uint8_t>(c), std::memory_order_relaxed);
    const std::uint32_t blocks = layout::blob_blocks_per_chunk(c);
    ring::BlobStack& stack = stacks_[c];
    for (std::uint32_t b = 1; b + 1 < blocks; ++b) {
        stack.record(layout::blob_index(k, b)).next.store(layout::blob_index(k, b + 1), std::memory_order_relaxed);
    }
    if (blocks > 1) {
        stack.push_chain(layout::blob_index(k, 1), layout::blob_index(k, blocks - 1)); // K4
    }
    return layout::blob_index(k, 0);
}

bool BlobArena::reserve(std::uint32_t k, std::size_t c) const noexcept {
    const std::uint32_t blocks = layout::blob_blocks_per_chunk(c);
    const std::uint64_t start = header_->blob_arena_offset + std::uint64_t{k} * layout::blob_chunk_bytes;
    const std::uint64_t records = layout::blob_round_to_page(std::uint64_t{blocks} * sizeof(layout::BlobBlock));
    const std::uint64_t data = layout::blob_round_to_page(std::uint64_t{blocks} * layout::blob_class_bytes(c));
    return allocate(fd_, start, records) && allocate(fd_, start + layout::blob_chunk_records_bytes, data);
}

void BlobArena::release(std::uint32_t reference, std::uint64_t tag) noexcept {
    const std::size_t c = layout::blob_reference_class(reference);
    const std::uint32_t index = layout::blob_reference_index(reference);
    if (c >= limits::blob_class_count || !stacks_[c].valid(index)) {
        return; // a torn or foreign value: never push a block we cannot vouch for
    }
    const std::uint32_t k = layout::blob_index_chunk(index);
    if (k >= chunks_carved() || chunk_class(k).load(std::memory_order_relaxed) != c) {
        return;
    }
    std::uint64_t expected = tag;
    if (stacks_[c].record(index).tag.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
        stacks_[c].push(index);
    }
}

std::byte* BlobArena::data(std::uint32_t reference) const noexcept {
    const std::size_t c = layout::blob_reference_class(reference);
    const std::uint32_t index = layout::blob_reference_index(reference);
    return chunk(layout::blob_index_chunk(index)) + layout::blob_chunk_records_bytes +
           std::size_t{layout::blob_index_block(index)} * layout::blob_class_bytes(c);
}

} // namespace shmq::region
