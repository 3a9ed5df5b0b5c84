// Creating, opening and validating queue regions (see region.h).
#include "region/region.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <new>
#include <utility>
#include <sys/mman.h>
#include <sys/stat.h>

#include "shmq/queue_name.h"

namespace shmq::region {
namespace {

constexpr std::uint64_t page_bytes = 4096;
constexpr std::string_view region_suffix = ".q";

constexpr std::uint64_t round_up(std::uint64_t value, std::uint64_t to) {
    return (value + to - 1) / to * to;
}

// what names the operation and the queue, never a file-system path: these errors reach clients.
Error system_error(std::string what) {
    return Error{Errc::system_error, what + ": " + std::strerror(errno)};
}

// Owns a file descriptor.
struct UniqueFd {
    int fd = -1;
    explicit UniqueFd(int opened) : fd(opened) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

// Callers check names where they enter; this catches one that slipped past (or came out of
// shared memory another process wrote), before it becomes a path.
Status check_name(std::string_view name) {
    if (!QueueName::is_valid(name)) {
        return {Errc::invalid_parameter_value, "a queue region is opened by a valid queue name only"};
    }
    return {};
}

std::string file_name_of(std::string_view name) {
    return std::string(name) + std::string(region_suffix);
}

// The namespace directory, for openat: a region is looked up only inside it.
Result<int> open_namespace_directory(const std::string& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return system_error("cannot open the namespace directory");
    }
    return fd;
}

struct Geometry {
    std::uint32_t slot_count = 0;
    std::uint32_t slot_stride = 0;
    std::uint32_t ring_capacity = 0;
    std::uint64_t header_bytes = 0;
    std::uint64_t slots_offset = 0;
    std::uint64_t free_ring_offset = 0;
    std::uint64_t ready_ring_offset = 0;
    std::uint64_t blob_chunk_class_offset = 0;
    std::uint64_t blob_arena_offset = 0;
    std::uint32_t blob_chunk_count = 0;
    std::uint64_t fifo_offset = 0;
    std::uint64_t fifo_slots_offset = 0;
    std::uint64_t group_table_offset = 0;
    std::uint64_t dedup_table_offset = 0;
    std::uint64_t attempt_table_offset = 0;
    std::uint32_t group_capacity = 0;
    std::uint32_t dedup_capacity = 0;
    std::uint64_t tenant_table_offset = 0;
    std::uint64_t tenant_of_offset = 0;
    std::uint64_t deferred_ring_offset = 0;
    std::uint32_t deferred_ring_capacity = 0;
    std::uint64_t journal_sends_offset = 0;
    std::uint64_t journal_deletes_offset = 0;
    std::uint64_t total_bytes = 0;
};

// dedup_entries 0: a FIFO queue without deduplication (no table).
Geometry compute_geometry(std::uint32_t slot_count, std::uint32_t inline_bytes, std::uint64_t message_bytes_capacity,
                          bool fifo, std::uint32_t dedup_entries) {
    Geometry g;
    g.slot_count = slot_count;
    g.slot_stride = static_cast<std::uint32_t>(layout::slot_header_bytes) + inline_bytes;
    // Twice the slots: rings may briefly hold stale or duplicate entries (see cell_ring.h).
    g.ring_capacity = std::bit_ceil(slot_count) * 2;
    g.header_bytes = round_up(sizeof(layout::RegionHeader), page_bytes);
    std::uint64_t offset = g.header_bytes;
    g.slots_offset = offset;
    offset = round_up(offset + std::uint64_t{slot_count} * g.slot_stride, page_bytes);
    g.free_ring_offset = offset;
    offset = round_up(offset + std::uint64_t{g.ring_capacity} * 8, page_bytes);
    g.ready_ring_offset = offset;
    offset = round_up(offset + std::uint64_t{g.ring_capacity} * 8, page_bytes);
    // The blob arena: virtual until chunks are carved (BlobArena reserves their pages then).
    g.blob_chunk_count = layout::blob_chunks_for(message_bytes_capacity);
    g.blob_chunk_class_offset = offset;
    offset = round_up(offset + g.blob_chunk_count, page_bytes);
    g.blob_arena_offset = offset;
    offset += std::uint64_t{g.blob_chunk_count} * layout::blob_chunk_bytes;
    if (fifo) {
        // Groups hold at least one message each, so twice the slots keeps probing short.
        g.group_capacity = std::bit_ceil(slot_count) * 2;
        g.dedup_capacity = dedup_entries == 0 ? 0 : std::bit_ceil(dedup_entries);
        g.fifo_offset = offset;
        offset = round_up(offset + sizeof(layout::FifoHeader), page_bytes);
        g.fifo_slots_offset = offset;
        offset = round_up(offset + std::uint64_t{slot_count} * sizeof(layout::FifoSlot), page_bytes);
        g.group_table_offset = offset;
        offset = round_up(offset + std::uint64_t{g.group_capacity} * sizeof(layout::GroupEntry), page_bytes);
        g.dedup_table_offset = offset;
        offset = round_up(offset + std::uint64_t{g.dedup_capacity} * sizeof(layout::DedupEntry), page_bytes);
        g.attempt_table_offset = offset;
        offset = round_up(offset + std::uint64_t{layout::attempt_entries} * sizeof(layout::AttemptEntry), page_bytes);
    } else {
        // Fair dispatch (tenant_layout.h). Pages are touched only once tenants appear.
        g.tenant_table_offset = offset;
        offset = round_up(offset + sizeof(layout::TenantTable), page_bytes);
        g.tenant_of_offset = offset;
        offset = round_up(offset + std::uint64_t{slot_count} * sizeof(std::uint16_t), page_bytes);
        g.deferred_ring_capacity = g.ring_capacity;
        g.deferred_ring_offset = offset;
        offset = round_up(offset + std::uint64_t{g.deferred_ring_capacity} * 8, page_bytes);
    }
    // Journal rings (Durability=async); untouched, and so unbacked, for memory queues.
    g.journal_sends_offset = offset;
    offset = round_up(offset + std::uint64_t{g.ring_capacity} * 8, page_bytes);
    g.journal_deletes_offset = offset;
    offset = round_up(offset + std::uint64_t{g.ring_capacity} * 8, page_bytes);
    g.total_bytes = offset;
    return g;
}

Status initialize_mutex(pthread_mutex_t& mutex) {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    // Robust: a process killed while holding it leaves EOWNERDEAD, not a deadlock.
    pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    const int rc = pthread_mutex_init(&mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
    if (rc != 0) {
        errno = rc;
        return system_error("pthread_mutex_init");
    }
    return {};
}

// A part of `bytes` bytes at `offset` lies inside a file of `size` bytes, aligned for the type
// it holds (a misaligned atomic or struct is undefined behaviour, and an atomic may tear).
bool part_fits(std::uint64_t offset, std::uint64_t bytes, std::uint64_t alignment, std::uint64_t size) {
    return offset % alignment == 0 && offset <= size && bytes <= size - offset;
}
template <class Part> bool parts_fit(std::uint64_t offset, std::uint64_t count, std::uint64_t size) {
    return count <= size / sizeof(Part) && part_fits(offset, count * sizeof(Part), alignof(Part), size);
}

} // namespace

Region::Region(std::byte* base, std::uint64_t size, std::string name, int fd)
    : base_(base), fd_(fd), size_(size), name_(std::move(name)),
      header_(reinterpret_cast<layout::RegionHeader*>(base)) {}

Region::~Region() {
    if (base_ != nullptr) {
        munmap(base_, size_);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Status Region::check_file(std::string_view name, const struct stat& file, const struct stat& directory) {
    if (!S_ISREG(file.st_mode)) {
        return {Errc::corrupt_region, "the region of queue " + std::string(name) + " is not a regular file"};
    }
    const bool ours = file.st_uid == geteuid();
    const bool our_group = (directory.st_mode & S_IRWXG) != 0 && file.st_gid == directory.st_gid;
    if (!ours && !our_group) {
        return {Errc::access_denied, "the region of queue " + std::string(name) + " is owned by uid " +
                                         std::to_string(file.st_uid) + ", not by this user"};
    }
    return {};
}

std::string Region::path_of(const std::string& directory, std::string_view name) {
    return directory + "/" + file_name_of(name);
}

void Region::bind_parts() noexcept {
    layout::RegionHeader& h = *header_;
    slots_offset_ = h.slots_offset;
    slot_count_ = h.slot_count;
    slot_stride_ = h.slot_stride;
    free_ring_ = ring::CellRing(h.free_ring, reinterpret_cast<std::atomic<std::uint64_t>*>(base_ + h.free_ring_offset),
                                h.free_ring_capacity);
    ready_ring_ =
        ring::CellRing(h.ready_ring, reinterpret_cast<std::atomic<std::uint64_t>*>(base_ + h.ready_ring_offset),
                       h.ready_ring_capacity);
    journal_sends_ = ring::CellRing(
        h.journal_sends, reinterpret_cast<std::atomic<std::uint64_t>*>(base_ + h.journal_sends_offset),
        h.journal_ring_capacity);
    journal_deletes_ = ring::CellRing(
        h.journal_deletes, reinterpret_cast<std::atomic<std::uint64_t>*>(base_ + h.journal_deletes_offset),
        h.journal_ring_capacity);
    if (h.fifo == 0) {
        deferred_ring_ = ring::CellRing(
            h.deferred_ring, reinterpret_cast<std::atomic<std::uint64_t>*>(base_ + h.deferred_ring_offset),
            h.deferred_ring_capacity);
    }
    blob_arena_ = BlobArena(h, base_, fd_);
}

Result<std::shared_ptr<Region>> Region::create(const std::string& directory, std::string_view name,
                                               const QueueCapacity& capacity, std::string_view config_json, bool fifo,
                                               const layout::HotAttributes& hot, std::int64_t now_ns) {
    if (Status status = check_name(name); !status) {
        return status.error();
    }
    const std::uint32_t slot_count = capacity.slot_count == 0 ? limits::slot_count_default : capacity.slot_count;
    if (slot_count < limits::slot_count_min || slot_count > limits::slot_count_max) {
        return Error{Errc::invalid_parameter_value, "slot count must be between 16 and 16777215"};
    }
    const std::uint64_t message_bytes = capacity.message_bytes_capacity == 0
                                            ? layout::message_bytes_capacity_default(slot_count)
                                            : capacity.message_bytes_capacity;
    if (message_bytes < limits::message_bytes_capacity_min || message_bytes > limits::message_bytes_capacity_max) {
        return Error{Errc::invalid_parameter_value, "MessageBytesCapacity must be between " +
                                                        std::to_string(limits::message_bytes_capacity_min) + " and " +
                                                        std::to_string(limits::message_bytes_capacity_max) + " bytes"};
    }
    if (config_json.size() > layout::config_buffer_bytes) {
        return Error{Errc::invalid_parameter_value, "queue configuration too large"};
    }
    std::uint32_t dedup_entries = capacity.dedup_entries == 0 ? limits::dedup_entries_default : capacity.dedup_entries;
    if (dedup_entries > limits::dedup_entries_max) {
        return Error{Errc::invalid_parameter_value, "dedup entries must be at most 16777216"};
    }
    if (!capacity.fifo_deduplication) {
        dedup_entries = 0;
    }
    const std::size_t inline_default =
        fifo ? limits::fifo_slot_inline_bytes_default : limits::slot_inline_bytes_default;
    const std::size_t inline_bytes = capacity.inline_bytes == 0 ? inline_default : capacity.inline_bytes;
    if (inline_bytes % 64 != 0 || inline_bytes > limits::slot_inline_bytes_max) {
        return Error{Errc::invalid_parameter_value, "inline bytes must be a multiple of 64 between 64 and 960"};
    }
    const Geometry g =
        compute_geometry(slot_count, static_cast<std::uint32_t>(inline_bytes), message_bytes, fifo, dedup_entries);

    auto directory_fd = open_namespace_directory(directory);
    if (!directory_fd) {
        return directory_fd.error();
    }
    const UniqueFd directory_closer(directory_fd.value());
    // An unnamed file: nobody can open it until it is complete and linked.
    UniqueFd file(::openat(directory_fd.value(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    const int fd = file.fd;
    if (fd < 0) {
        return system_error("cannot create the region of queue " + std::string(name));
    }
    if (fchmod(fd, static_cast<mode_t>(capacity.permissions & 0777)) != 0) {
        return system_error("fchmod");
    }
    if (ftruncate(fd, static_cast<off_t>(g.total_bytes)) != 0) {
        return system_error("ftruncate");
    }
    void* mapped = mmap(nullptr, g.total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) {
        return system_error("mmap");
    }
    std::shared_ptr<Region> region(
        new Region(static_cast<std::byte*>(mapped), g.total_bytes, std::string(name), std::exchange(file.fd, -1)));
    region->permissions_ = capacity.permissions & 0777;
    // The file is zero-filled: slots start FREE at generation 0, counters at 0. Construct the
    // header in place so its atomics begin their lifetime.
    auto* h = new (mapped) layout::RegionHeader;
    h->magic = layout::region_magic;
    h->header_bytes = static_cast<std::uint32_t>(g.header_bytes);
    h->region_bytes = g.total_bytes;
    std::uint64_t nonce = 0;
    if (getentropy(&nonce, sizeof nonce) != 0) {
        return system_error("getentropy");
    }
    h->queue_nonce = nonce;
    h->created_ns = now_ns;
    std::memcpy(h->name, name.data(), std::min(name.size(), layout::queue_name_bytes - 1));
    h->fifo = fifo ? 1 : 0;
    h->slot_count = slot_count;
    h->slot_stride = g.slot_stride;
    h->free_ring_capacity = g.ring_capacity;
    h->ready_ring_capacity = g.ring_capacity;
    h->slots_offset = g.slots_offset;
    h->free_ring_offset = g.free_ring_offset;
    h->ready_ring_offset = g.ready_ring_offset;
    h->blob_chunk_class_offset = g.blob_chunk_class_offset;
    h->blob_arena_offset = g.blob_arena_offset;
    h->blob_chunk_count = g.blob_chunk_count;
    h->message_bytes_capacity = message_bytes;
    h->fifo_offset = g.fifo_offset;
    h->fifo_slots_offset = g.fifo_slots_offset;
    h->group_table_offset = g.group_table_offset;
    h->dedup_table_offset = g.dedup_table_offset;
    h->attempt_table_offset = g.attempt_table_offset;
    h->tenant_table_offset = g.tenant_table_offset;
    h->tenant_of_offset = g.tenant_of_offset;
    h->deferred_ring_offset = g.deferred_ring_offset;
    h->deferred_ring_capacity = g.deferred_ring_capacity;
    h->journal_sends_offset = g.journal_sends_offset;
    h->journal_deletes_offset = g.journal_deletes_offset;
    h->journal_ring_capacity = g.ring_capacity;
    if (!fifo) {
        new (static_cast<std::byte*>(mapped) + g.tenant_table_offset) layout::TenantTable{};
    }
    if (fifo) {
        auto* fifo_header = new (static_cast<std::byte*>(mapped) + g.fifo_offset) layout::FifoHeader{};
        for (pthread_mutex_t* mutex : {&fifo_header->send_mutex, &fifo_header->group_mutex}) {
            if (Status status = initialize_mutex(*mutex); !status) {
                return status.error();
            }
        }
        fifo_header->next_sequence = 1;
        fifo_header->ready_head = layout::fifo_none;
        fifo_header->ready_tail = layout::fifo_none;
        fifo_header->group_capacity = g.group_capacity;
        fifo_header->dedup_capacity = g.dedup_capacity;
        fifo_header->attempt_capacity = layout::attempt_entries;
    }
    h->last_modified_ns.store(now_ns, std::memory_order_relaxed);
    h->last_purge_ns.store(0, std::memory_order_relaxed);
    h->hot.visibility_timeout_s.store(hot.visibility_timeout_s.load(std::memory_order_relaxed),
                                      std::memory_order_relaxed);
    h->hot.delay_s.store(hot.delay_s.load(std::memory_order_relaxed), std::memory_order_relaxed);
    h->hot.retention_s.store(hot.retention_s.load(std::memory_order_relaxed), std::memory_order_relaxed);
    h->hot.maximum_message_size.store(hot.maximum_message_size.load(std::memory_order_relaxed),
                                      std::memory_order_relaxed);
    h->hot.receive_wait_time_s.store(hot.receive_wait_time_s.load(std::memory_order_relaxed),
                                     std::memory_order_relaxed);
    h->hot.max_receive_count.store(hot.max_receive_count.load(std::memory_order_relaxed), std::memory_order_relaxed);
    h->hot.fifo_flags.store(hot.fifo_flags.load(std::memory_order_relaxed), std::memory_order_relaxed);
    h->hot.durability.store(hot.durability.load(std::memory_order_relaxed), std::memory_order_relaxed);
    h->hot.config_version.store(1, std::memory_order_relaxed);
    const std::int64_t never = INT64_MAX;
    h->next_due_ns.store(now_ns, std::memory_order_relaxed); // first call checks liveness
    h->slot_due_ns.store(never, std::memory_order_relaxed);
    h->pending_due_ns.store(never, std::memory_order_relaxed);
    h->liveness_due_ns.store(now_ns, std::memory_order_relaxed);
    h->sweep_pass_min_ns.store(never, std::memory_order_relaxed);
    if (Status status = initialize_mutex(h->config_mutex); !status) {
        return status.error();
    }
    std::memcpy(h->config[0], config_json.data(), config_json.size());
    h->config_length[0] = static_cast<std::uint32_t>(config_json.size());
    h->config_active.store(0, std::memory_order_relaxed);

    region->bind_parts();
    auto* base = static_cast<std::byte*>(mapped);
    ring::CellRing::initialize(h->free_ring, reinterpret_cast<std::atomic<std::uint64_t>*>(base + g.free_ring_offset),
                               g.ring_capacity, slot_count);
    ring::CellRing::initialize(h->ready_ring, reinterpret_cast<std::atomic<std::uint64_t>*>(base + g.ready_ring_offset),
                               g.ring_capacity, 0);
    ring::CellRing::initialize(h->journal_sends,
                               reinterpret_cast<std::atomic<std::uint64_t>*>(base + g.journal_sends_offset),
                               g.ring_capacity, 0);
    ring::CellRing::initialize(h->journal_deletes,
                               reinterpret_cast<std::atomic<std::uint64_t>*>(base + g.journal_deletes_offset),
                               g.ring_capacity, 0);
    if (!fifo) {
        ring::CellRing::initialize(h->deferred_ring,
                                   reinterpret_cast<std::atomic<std::uint64_t>*>(base + g.deferred_ring_offset),
                                   g.deferred_ring_capacity, 0);
    }
    BlobArena::initialize(*h);
    // Publish: version last, then the name appears in the directory.
    h->layout_version.store(layout::layout_version, std::memory_order_release);
    // linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the /proc link of the descriptor does not.
    const std::string proc_path = "/proc/self/fd/" + std::to_string(fd);
    if (linkat(AT_FDCWD, proc_path.c_str(), directory_fd.value(), file_name_of(name).c_str(), AT_SYMLINK_FOLLOW) != 0) {
        if (errno == EEXIST) {
            return Error{Errc::queue_name_exists, "A queue already exists with the same name"};
        }
        return system_error("cannot link the region of queue " + std::string(name));
    }
    return region;
}

Result<std::shared_ptr<Region>> Region::open(const std::string& directory, std::string_view name) {
    if (Status status = check_name(name); !status) {
        return status.error();
    }
    auto directory_fd = open_namespace_directory(directory);
    if (!directory_fd) {
        return directory_fd.error();
    }
    const UniqueFd directory_closer(directory_fd.value());
    const std::string what = "the region of queue " + std::string(name);
    // No symlink is followed, and a FIFO planted under the name does not block the open.
    UniqueFd file(::openat(directory_fd.value(), file_name_of(name).c_str(),
                                 O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
    if (file.fd < 0) {
        if (errno == ENOENT) {
            return Error{Errc::queue_does_not_exist, "The specified queue does not exist."};
        }
        if (errno == ELOOP || errno == EISDIR) {
            return Error{Errc::corrupt_region, what + " is not a regular file"};
        }
        return system_error("cannot open " + what);
    }
    struct stat info {};
    struct stat directory_info {};
    if (fstat(file.fd, &info) != 0 || fstat(directory_fd.value(), &directory_info) != 0) {
        return system_error("cannot stat " + what);
    }
    if (Status status = check_file(name, info, directory_info); !status) {
        return status.error();
    }
    const auto size = static_cast<std::uint64_t>(info.st_size);
    if (size < sizeof(layout::RegionHeader)) {
        return Error{Errc::corrupt_region, what + " is smaller than a region header"};
    }
    void* mapped = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, file.fd, 0);
    if (mapped == MAP_FAILED) {
        return system_error("cannot map " + what);
    }
    std::shared_ptr<Region> region(
        new Region(static_cast<std::byte*>(mapped), size, std::string(name), std::exchange(file.fd, -1)));
    region->permissions_ = static_cast<std::uint32_t>(info.st_mode & 0777);
    const layout::RegionHeader& h = region->header();
    if (h.magic != layout::region_magic) {
        return Error{Errc::corrupt_region, what + " has no shmq magic"};
    }
    const std::uint32_t version = h.layout_version.load(std::memory_order_acquire);
    if (version != layout::layout_version) {
        return Error{Errc::layout_version_mismatch, what + " has layout version " + std::to_string(version) +
                                                        "; this shmq reads version " +
                                                        std::to_string(layout::layout_version)};
    }
    // Every offset must lie inside the file: the bytes may come from a buggy or hostile process.
    bool sane = h.region_bytes == size && h.slot_count >= limits::slot_count_min &&
                h.slot_count <= limits::slot_count_max && h.slot_stride % 64 == 0 &&
                h.slot_stride >= layout::slot_header_bytes + 64 &&
                h.slot_stride <= layout::slot_header_bytes + limits::slot_inline_bytes_max &&
                std::has_single_bit(h.free_ring_capacity) &&
                std::has_single_bit(h.ready_ring_capacity) && h.free_ring_capacity >= h.slot_count &&
                h.ready_ring_capacity >= h.slot_count &&
                part_fits(h.slots_offset, std::uint64_t{h.slot_count} * h.slot_stride, alignof(layout::SlotHeader), size) &&
                parts_fit<std::atomic<std::uint64_t>>(h.free_ring_offset, h.free_ring_capacity, size) &&
                parts_fit<std::atomic<std::uint64_t>>(h.ready_ring_offset, h.ready_ring_capacity, size);
    sane = sane && h.blob_chunk_count <= layout::blob_chunks_max &&
           parts_fit<std::atomic<std::uint8_t>>(h.blob_chunk_class_offset, h.blob_chunk_count, size) &&
           part_fits(h.blob_arena_offset, std::uint64_t{h.blob_chunk_count} * layout::blob_chunk_bytes, page_bytes,
                     size);
    if (sane && h.fifo != 0) {
        sane = parts_fit<layout::FifoHeader>(h.fifo_offset, 1, size);
        if (sane) {
            const auto& fifo = *reinterpret_cast<const layout::FifoHeader*>(region->base_ + h.fifo_offset);
            sane =
                std::has_single_bit(fifo.group_capacity) &&
                (fifo.dedup_capacity == 0 || std::has_single_bit(fifo.dedup_capacity)) &&
                parts_fit<layout::FifoSlot>(h.fifo_slots_offset, h.slot_count, size) &&
                parts_fit<layout::GroupEntry>(h.group_table_offset, fifo.group_capacity, size) &&
                parts_fit<layout::DedupEntry>(h.dedup_table_offset, fifo.dedup_capacity, size) &&
                std::has_single_bit(fifo.attempt_capacity) &&
                parts_fit<layout::AttemptEntry>(h.attempt_table_offset, fifo.attempt_capacity, size);
        }
    }
    sane = sane && std::has_single_bit(h.journal_ring_capacity) && h.journal_ring_capacity >= h.slot_count &&
           parts_fit<std::atomic<std::uint64_t>>(h.journal_sends_offset, h.journal_ring_capacity, size) &&
           parts_fit<std::atomic<std::uint64_t>>(h.journal_deletes_offset, h.journal_ring_capacity, size);
    if (sane && h.fifo == 0) {
        sane = std::has_single_bit(h.deferred_ring_capacity) && h.deferred_ring_capacity >= h.slot_count &&
               parts_fit<layout::TenantTable>(h.tenant_table_offset, 1, size) &&
               parts_fit<std::uint16_t>(h.tenant_of_offset, h.slot_count, size) &&
               parts_fit<std::atomic<std::uint64_t>>(h.deferred_ring_offset, h.deferred_ring_capacity, size);
    }
    if (!sane) {
        return Error{Errc::corrupt_region, what + " has an inconsistent header"};
    }
    region->bind_parts();
    return region;
}

} // namespace shmq::region
