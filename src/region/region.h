// Region: one queue's shared-memory file, mapped into this process. Creates it (fully
// initialised in an unnamed tmpfs file, then linked into the namespace directory, so no process
// ever sees a half-built region), opens it (only by a valid queue name, only a regular file of
// this user inside the namespace directory, never through a symlink; checking magic, version and
// every offset against the file size), and gives typed access to its parts. Process-local; shared by the handles of one
// process through shared_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <sys/stat.h>

#include "shmq/client.h"
#include "shmq/error.h"
#include "shmq/layout/fifo_layout.h"
#include "shmq/layout/region_layout.h"
#include "shmq/layout/tenant_layout.h"
#include "region/blob_arena.h"
#include "shmq/ring/cell_ring.h"

namespace shmq::region {

class Region {
  public:
    ~Region();
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;

    // Creates the queue file <directory>/<name>.q. When a queue of that name exists, returns
    // Errc::queue_name_exists and leaves it alone (the caller compares attributes).
    [[nodiscard]] static Result<std::shared_ptr<Region>> create(const std::string& directory, std::string_view name,
                                                                const QueueCapacity& capacity,
                                                                std::string_view config_json, bool fifo,
                                                                const layout::HotAttributes& hot, std::int64_t now_ns);
    [[nodiscard]] static Result<std::shared_ptr<Region>> open(const std::string& directory, std::string_view name);
    [[nodiscard]] static std::string path_of(const std::string& directory, std::string_view name);
    // Whether a file (fstat of <name>.q, not followed if a symlink) may be used as a region of
    // its namespace directory (fstat of it): a regular file of this user or, in a directory
    // shared with its group (group access: group bits set on it), of that group. Another user's
    // file could be resized or rewritten under us by that user at any time.
    [[nodiscard]] static Status check_file(std::string_view name, const struct stat& file,
                                           const struct stat& directory);

    [[nodiscard]] layout::RegionHeader& header() const noexcept { return *header_; }
    [[nodiscard]] layout::SlotHeader& slot(std::uint32_t index) const noexcept {
        return *reinterpret_cast<layout::SlotHeader*>(base_ + slots_offset_ + std::size_t{index} * slot_stride_);
    }
    [[nodiscard]] std::byte* slot_inline(std::uint32_t index) const noexcept {
        return base_ + slots_offset_ + std::size_t{index} * slot_stride_ + layout::slot_header_bytes;
    }
    // Body + attribute bytes a slot holds itself.
    [[nodiscard]] std::size_t inline_bytes() const noexcept { return slot_stride_ - layout::slot_header_bytes; }
    [[nodiscard]] std::uint32_t slot_count() const noexcept { return slot_count_; }
    [[nodiscard]] ring::CellRing& free_ring() noexcept { return free_ring_; }
    [[nodiscard]] ring::CellRing& ready_ring() noexcept { return ready_ring_; }
    // Standard queues only (header().fifo == 0): fair dispatch, see layout/tenant_layout.h.
    [[nodiscard]] ring::CellRing& deferred_ring() noexcept { return deferred_ring_; }
    // Durability=async: what shmqd has to journal.
    [[nodiscard]] ring::CellRing& journal_sends() noexcept { return journal_sends_; }
    [[nodiscard]] ring::CellRing& journal_deletes() noexcept { return journal_deletes_; }
    [[nodiscard]] layout::TenantTable& tenants() const noexcept {
        return *reinterpret_cast<layout::TenantTable*>(base_ + header_->tenant_table_offset);
    }
    [[nodiscard]] std::uint16_t& tenant_of(std::uint32_t slot) const noexcept {
        return reinterpret_cast<std::uint16_t*>(base_ + header_->tenant_of_offset)[slot];
    }
    [[nodiscard]] BlobArena& blob_arena() noexcept { return blob_arena_; }
    [[nodiscard]] const BlobArena& blob_arena() const noexcept { return blob_arena_; }
    // FIFO queues only (header().fifo != 0).
    [[nodiscard]] layout::FifoHeader& fifo_header() const noexcept {
        return *reinterpret_cast<layout::FifoHeader*>(base_ + header_->fifo_offset);
    }
    [[nodiscard]] layout::FifoSlot& fifo_slot(std::uint32_t slot) const noexcept {
        return reinterpret_cast<layout::FifoSlot*>(base_ + header_->fifo_slots_offset)[slot];
    }
    [[nodiscard]] layout::GroupEntry& group_entry(std::uint32_t index) const noexcept {
        return reinterpret_cast<layout::GroupEntry*>(base_ + header_->group_table_offset)[index];
    }
    [[nodiscard]] layout::DedupEntry& dedup_entry(std::uint32_t index) const noexcept {
        return reinterpret_cast<layout::DedupEntry*>(base_ + header_->dedup_table_offset)[index];
    }
    [[nodiscard]] layout::AttemptEntry& attempt_entry(std::uint32_t index) const noexcept {
        return reinterpret_cast<layout::AttemptEntry*>(base_ + header_->attempt_table_offset)[index];
    }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::uint64_t size_bytes() const noexcept { return size_; }
    [[nodiscard]] std::uint32_t permissions() const noexcept { return permissions_; }

  private:
    // Takes ownership of the mapping and of fd (the region file: BlobArena reserves pages in it).
    Region(std::byte* base, std::uint64_t size, std::string name, int fd);
    void bind_parts() noexcept;

    std::byte* base_ = nullptr;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint32_t permissions_ = 0600;
    std::string name_;
    layout::RegionHeader* header_ = nullptr;
    std::uint64_t slots_offset_ = 0;
    std::uint32_t slot_count_ = 0;
    std::size_t slot_stride_ = 0;
    ring::CellRing free_ring_;
    ring::CellRing ready_ring_;
    ring::CellRing deferred_ring_;
    ring::CellRing journal_sends_;
    ring::CellRing journal_deletes_;
    BlobArena blob_arena_;
};

} // namespace shmq::region
