// What every byte of a queue's shared-memory region means. One region per queue, a file in the
// namespace directory (<shm_dir>/shmq/<namespace>/<queue>.q), mapped by every process that uses
// the queue. Only plain structs of atomics and offsets live here: no pointers, no vtables, no
// heap containers. Bytes written by another process are untrusted: openers check the header
// (magic, layout version, sizes, offsets inside the file) before using anything.
//
//  offset 0  ┌──────────────────────────────────────────────────────────────┐
//            │ RegionHeader: identity · geometry · hot attributes · timers  │
//            │   · wait sets (futex words) · config (robust mutex, 2 JSON   │
//            │   buffers) · process table (255 × 128 B)                     │
//  slots     ├──────────────────────────────────────────────────────────────┤
//            │ slot_count × (SlotHeader 64 B + inline bytes 64 B)           │
//  free ring ├──────────────────────────────────────────────────────────────┤
//            │ free_ring_capacity × u64 cells   (slot indices, FREE slots)  │
//  ready ring├──────────────────────────────────────────────────────────────┤
//            │ ready_ring_capacity × u64 cells  (slot indices, READY slots) │
//  chunk cls ├──────────────────────────────────────────────────────────────┤
//            │ u8[blob_chunk_count]: the size class each carved chunk uses  │
//  blob arena├──────────────────────────────────────────────────────────────┤
//            │ blob_chunk_count × chunk of blob_chunk_bytes, carved on      │
//            │ demand (the blob arena diagram below)                        │
//  FIFO only ├──────────────────────────────────────────────────────────────┤
//            │ FifoHeader · FifoSlot[] · GroupEntry[] · DedupEntry[] ·      │
//            │ AttemptEntry[]                                               │
//  or: std.  ├──────────────────────────────────────────────────────────────┤
//            │ TenantTable · tenant_of u16[slot_count] · deferred ring cells│
//  journal   ├──────────────────────────────────────────────────────────────┤
//            │ journal_sends and journal_deletes: ring cells each           │
//            └──────────────────────────────────────────────────────────────┘
//
// The truth about a message is its slot's state word; rings are indexes into the slots and may
// hold stale or duplicate entries, which every pop validates with a CAS on the state word. That
// is what makes every step one publishing CAS or store and any dead process recoverable.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "shmq/limits.h"

namespace shmq::layout {

inline constexpr std::uint64_t region_magic = 0x0A31'514D'4853'00FFull; // "\xff\0SHMQ1\n"
// Bump when any shared byte changes meaning or position; openers refuse another version.
// 2: 64-byte inline area, seven blob classes from 256 B. 3: the FIFO area. 4: receive attempts.
// 5: fair-queue parts of standard regions (tenant table, tenant_of, deferred ring).
// 6: FIFO send and group mutexes; FIFO messages arrive through the ready ring.
// 7: per-region slot stride (inline bytes); FIFO queues without deduplication.
// 8: journal rings (sends and deletes listed for shmqd) and the Durability hot attribute.
// 9: Durability=sync: the journaling daemon, the durable position and its wait set.
// 10: journal_wake, the futex word sync senders use to wake an idle shmqd.
// 11: one blob arena whose chunks size classes carve on demand (MessageBytesCapacity), in place
//     of seven fixed per-class heaps; blob references name class, chunk and block.
// 12: a FIFO group is served while its oldest message is READY, later ones in flight or not;
//     GroupEntry keeps no in-flight count.
inline constexpr std::uint32_t layout_version = 12;
inline constexpr std::size_t cache_block = 128; // two lines: adjacent-line prefetch pairs them
inline constexpr std::size_t slot_header_bytes = 64;
inline constexpr std::size_t config_buffer_bytes = 32 * 1024;
inline constexpr std::size_t queue_name_bytes = 96;
inline constexpr std::uint32_t blob_none = 0xFFFF'FFFFu;
inline constexpr std::size_t blob_overhead_max = 4'096; // attribute framing beyond SQS's count
// That framing at its largest (sqs/attribute_codec.h): the flags byte, each attribute's 8-byte
// header, and the trailer: a dead-letter source queue name, two FIFO ids of 128 and an
// AWSTraceHeader, each with its u16 length. None of it counts toward SQS's message size.
static_assert(1 + limits::message_attributes_max * 8 + (queue_name_bytes + 2) + 2 * (128 + 2) +
                      (limits::aws_trace_header_bytes_max + 2) <=
                  blob_overhead_max,
              "a maximal message with its framing must fit the largest blob class");

// Bytes of one block of blob class c: 256 B, 1 KiB, 4 KiB, 16 KiB, 64 KiB, 256 KiB, then 1 MiB plus
// room for the attribute framing of a maximal message.
[[nodiscard]] constexpr std::uint64_t blob_class_bytes(std::size_t c) noexcept {
    return c + 1 == limits::blob_class_count ? limits::message_size_max + blob_overhead_max
                                             : std::uint64_t{limits::blob_class_bytes_min} << (2 * c);
}

// ---------------------------------------------------------------------------------------------
// The blob arena (see region/blob_arena.h). Chunks are carved, in order, by the size class whose
// free stack ran dry: a chunk serves one class for the life of the region, its data split into
// that class's blocks. Each chunk starts with one BlobBlock record per block it can hold:
//
//  chunk k   ┌─────────────────────────────────────────────┬───────────────────────────────┐
//            │ BlobBlock[blob_blocks_per_chunk_max] 16 B   │ data: 1 MiB + 4 KiB, split     │
//            │ (pages past the class's count stay unused)  │ into blocks of the chunk class │
//            └─────────────────────────────────────────────┴───────────────────────────────┘
inline constexpr std::uint64_t blob_page_bytes = 4096;
inline constexpr std::uint64_t blob_chunk_data_bytes = blob_class_bytes(limits::blob_class_count - 1);
[[nodiscard]] constexpr std::uint32_t blob_blocks_per_chunk(std::size_t c) noexcept {
    return static_cast<std::uint32_t>(blob_chunk_data_bytes / blob_class_bytes(c));
}
inline constexpr std::uint32_t blob_blocks_per_chunk_max = blob_blocks_per_chunk(0);

// One block's bookkeeping. tag: 0 while free; (1 << 63 | slot << 32 | generation) while the
// message of that slot generation owns it, so a release repeated by recovery is a no-op. next:
// the block below it on its class's free stack.
struct BlobBlock {
    std::atomic<std::uint64_t> tag;
    std::atomic<std::uint32_t> next;
    std::uint32_t reserved_;
};
static_assert(sizeof(BlobBlock) == 16, "block records are 16 bytes: four to a cache line");

[[nodiscard]] constexpr std::uint64_t blob_round_to_page(std::uint64_t bytes) noexcept {
    return (bytes + blob_page_bytes - 1) / blob_page_bytes * blob_page_bytes;
}
inline constexpr std::uint64_t blob_chunk_records_bytes =
    blob_round_to_page(std::uint64_t{blob_blocks_per_chunk_max} * sizeof(BlobBlock));
inline constexpr std::uint64_t blob_chunk_bytes = blob_chunk_records_bytes + blob_chunk_data_bytes;

// A blob reference (SlotHeader::blob) names class (3 bits), chunk (16) and block (13); a free
// stack entry (BlobStack) names chunk and block. blob_none has class 7, which names no class.
inline constexpr std::uint32_t blob_block_bits = 13;
inline constexpr std::uint32_t blob_chunk_bits = 16;
inline constexpr std::uint32_t blob_chunks_max = (1u << blob_chunk_bits) - 1;
[[nodiscard]] constexpr std::uint32_t blob_index(std::uint32_t chunk, std::uint32_t block) noexcept {
    return chunk << blob_block_bits | block;
}
[[nodiscard]] constexpr std::uint32_t blob_index_chunk(std::uint32_t index) noexcept {
    return index >> blob_block_bits;
}
[[nodiscard]] constexpr std::uint32_t blob_index_block(std::uint32_t index) noexcept {
    return index & ((1u << blob_block_bits) - 1);
}
[[nodiscard]] constexpr std::uint32_t blob_reference(std::size_t c, std::uint32_t index) noexcept {
    return static_cast<std::uint32_t>(c) << (blob_block_bits + blob_chunk_bits) | index;
}
[[nodiscard]] constexpr std::size_t blob_reference_class(std::uint32_t reference) noexcept {
    return reference >> (blob_block_bits + blob_chunk_bits);
}
[[nodiscard]] constexpr std::uint32_t blob_reference_index(std::uint32_t reference) noexcept {
    return reference & ((1u << (blob_block_bits + blob_chunk_bits)) - 1);
}

// Chunks a MessageBytesCapacity buys (rounded up to whole chunks).
[[nodiscard]] constexpr std::uint32_t blob_chunks_for(std::uint64_t message_bytes_capacity) noexcept {
    return static_cast<std::uint32_t>((message_bytes_capacity + blob_chunk_bytes - 1) / blob_chunk_bytes);
}
// The default MessageBytesCapacity of a queue of `slot_count` slots: room for a message of the
// largest size in every slot after any history of sizes. Chunks never leave the class that
// carved them, and a class carves only when all its blocks hold messages, so class c never holds
// more than ceil(slots / blocks per chunk of c) chunks: the sum over the classes suffices.
// Bounded by limits::message_bytes_capacity_max.
[[nodiscard]] constexpr std::uint64_t message_bytes_capacity_default(std::uint32_t slot_count) noexcept {
    std::uint64_t chunks = 0;
    for (std::size_t c = 0; c < limits::blob_class_count; ++c) {
        chunks += (std::uint64_t{slot_count} + blob_blocks_per_chunk(c) - 1) / blob_blocks_per_chunk(c);
    }
    const std::uint64_t bytes = chunks * blob_chunk_bytes;
    return bytes < limits::message_bytes_capacity_max ? bytes : limits::message_bytes_capacity_max;
}

static_assert(blob_blocks_per_chunk_max < (1u << blob_block_bits), "a block number fits its 13 bits");
static_assert(blob_chunks_for(limits::message_bytes_capacity_max) <= blob_chunks_max,
              "the largest arena's chunk numbers fit their 16 bits");
static_assert(blob_blocks_per_chunk(limits::blob_class_count - 1) == 1, "a chunk holds a message of the largest size");
static_assert(blob_chunk_data_bytes % blob_page_bytes == 0, "chunk data starts and ends on a page");
static_assert(limits::blob_class_count <= 7, "class 7 is left for blob_none");

// ---------------------------------------------------------------------------------------------
// Slot state word (SlotHeader::state):
//   bits  0..7   SlotState
//   bits  8..15  owner: process-table index + 1 of the process mid-write or mid-free (0: none)
//   bits 16..31  epoch: bumped on every change of the deadline, so a CAS that read an old
//                deadline fails (the visibility-expiry race)
//   bits 32..63  generation: bumped each time the slot is freed; a receipt handle names one
enum class SlotState : std::uint8_t {
    free = 0,      // in (or on its way to) the free ring
    writing = 1,   // a producer owns it
    ready = 2,     // visible; listed in the ready ring
    delayed = 3,   // invisible until deadline_ns (DelaySeconds)
    in_flight = 4, // received; visible again at deadline_ns
    freeing = 5,   // a deleter owns it and is releasing its blob
};

struct SlotWord {
    std::uint64_t raw = 0;
    [[nodiscard]] constexpr SlotState state() const noexcept { return static_cast<SlotState>(raw & 0xFFu); }
    [[nodiscard]] constexpr std::uint32_t owner() const noexcept {
        return static_cast<std::uint32_t>((raw >> 8) & 0xFFu);
    }
    [[nodiscard]] constexpr std::uint32_t epoch() const noexcept {
        return static_cast<std::uint32_t>((raw >> 16) & 0xFFFFu);
    }
    [[nodiscard]] constexpr std::uint32_t generation() const noexcept { return static_cast<std::uint32_t>(raw >> 32); }
    [[nodiscard]] static constexpr SlotWord make(SlotState state, std::uint32_t owner, std::uint32_t epoch,
                                                 std::uint32_t generation) noexcept {
        return SlotWord{static_cast<std::uint64_t>(state) | (std::uint64_t{owner & 0xFFu} << 8) |
                        (std::uint64_t{epoch & 0xFFFFu} << 16) | (std::uint64_t{generation} << 32)};
    }
    // Same message, new state; the epoch moves on so concurrent deadline readers notice.
    [[nodiscard]] constexpr SlotWord with(SlotState state, std::uint32_t owner = 0) const noexcept {
        return make(state, owner, epoch() + 1, generation());
    }
};

//  0        8            16        24                   28           32                 48
//  ┌────────┬────────────┬─────────┬────────────────────┬────────────┬──────────────────┐
//  │ state  │ deadline_ns│ sent_ns │ first_receive_delay│ sender_uid │ message_id[16]   │
//  ├────────┴──────┬─────┴─────────┴┬───────────────────┴┬───────────┴──────────────────┘
//  │ receive_count │ body_size      │ attributes_size     │ blob (class·chunk·block)      64
struct SlotHeader {
    std::atomic<std::uint64_t> state;                  // SlotWord; every transition is a CAS or release store
    std::atomic<std::int64_t> deadline_ns;             // IN_FLIGHT: visible again; DELAYED: visible from
    std::int64_t sent_ns;                              // written while WRITING, read after acquiring state
    std::atomic<std::uint32_t> first_receive_delay_ms; // ms after sent_ns + 1; 0: never received
    std::uint32_t sender_uid;
    std::uint8_t message_id[16];
    std::atomic<std::uint32_t> receive_count;
    std::uint32_t body_size;
    std::uint32_t attributes_size; // encoded attributes follow the body
    std::uint32_t blob;            // blob_reference; blob_none: body and attributes are inline
};
static_assert(sizeof(SlotHeader) == slot_header_bytes, "a slot header is one cache line");
static_assert(std::is_standard_layout_v<SlotHeader>, "shared layouts must be standard layout");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared atomics must be lock-free");
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "shared atomics must be lock-free");

// A ring entry names a slot and the low 8 bits of the generation it was listed for, so an entry
// that outlived its message (the slot was freed and reused meanwhile) is recognised as stale
// instead of handing out the slot's next message out of order.
[[nodiscard]] constexpr std::uint32_t ring_value(std::uint32_t slot, std::uint32_t generation) noexcept {
    return ((generation & 0xFFu) << 24) | slot;
}
[[nodiscard]] constexpr std::uint32_t ring_slot(std::uint32_t value) noexcept {
    return value & 0x00FF'FFFFu;
}
[[nodiscard]] constexpr bool ring_generation_matches(std::uint32_t value, std::uint32_t generation) noexcept {
    return (value >> 24) == (generation & 0xFFu);
}

// ---------------------------------------------------------------------------------------------
// A ring's shared counters. Cells carry their own lap, so these are hints: a stale hint only
// costs a few extra cell loads (see ring/cell_ring.h).
struct RingHeader {
    alignas(cache_block) std::atomic<std::uint64_t> tail_hint;
    alignas(cache_block) std::atomic<std::uint64_t> head_hint;
    std::uint8_t pad_[cache_block - sizeof(std::uint64_t)];
};
static_assert(offsetof(RingHeader, head_hint) - offsetof(RingHeader, tail_hint) == cache_block,
              "head and tail on separate 128-byte blocks: producers and consumers don't share");

// Futex word and registered sleepers of one direction (readable: long polls; writable: blocked
// senders). Wakers make a syscall only when registered_mask is non-zero.
struct WaitSet {
    alignas(cache_block) std::atomic<std::uint32_t> futex_word; // bumped before every wake
    std::atomic<std::uint32_t> zero_wakes;                      // wakes that found nobody
    std::atomic<std::uint64_t> registered_mask;                 // bit i: sleeper_pid[i] in use
    std::atomic<std::uint32_t> sleeper_pid[limits::sleepers_max];
};
static_assert(limits::sleepers_max == 64, "registered_mask has one bit per sleeper");

// One process (one Queue handle) attached to the region. pid is the claim word: 0 free, a pid,
// or recovering_bit | the recovering process's pid while a dead entry is cleaned up.
struct ProcessEntry {
    static constexpr std::uint32_t recovering_bit = 0x8000'0000u;
    alignas(cache_block) std::atomic<std::uint32_t> pid;
    std::atomic<std::uint32_t> pending_count; // slots whose ring push may not have happened yet
    std::atomic<std::uint64_t> start_ticks;   // /proc/<pid>/stat start time: pid reuse guard
    std::atomic<std::uint32_t> pending_slot[limits::pending_slots_per_process];
    std::atomic<std::uint64_t> sent, received, deleted; // folded into the header when freed
};
static_assert(sizeof(ProcessEntry) == cache_block, "process entries do not share cache lines");

// Queue attributes read on the hot path, as atomics; the rest (policies, tags, KMS settings)
// live as JSON in the config buffers and change under config_mutex.
inline constexpr std::uint32_t fifo_content_based_deduplication = 1u << 0;
inline constexpr std::uint32_t fifo_deduplication_per_group = 1u << 1; // DeduplicationScope=messageGroup
inline constexpr std::uint32_t durability_memory = 0;
inline constexpr std::uint32_t durability_async = 1; // sends and deletes are listed for shmqd
inline constexpr std::uint32_t durability_sync = 2;  // and a send returns once shmqd made it durable

struct HotAttributes {
    std::atomic<std::uint32_t> visibility_timeout_s;
    std::atomic<std::uint32_t> delay_s;
    std::atomic<std::uint32_t> retention_s;
    std::atomic<std::uint32_t> maximum_message_size;
    std::atomic<std::uint32_t> receive_wait_time_s;
    std::atomic<std::uint32_t> max_receive_count; // 0: no RedrivePolicy
    std::atomic<std::uint32_t> config_version;    // bumped after every config change
    std::atomic<std::uint32_t> fifo_flags;        // fifo_content_based_deduplication | ...
    std::atomic<std::uint32_t> durability;        // Durability: durability_memory | durability_async
};

struct RegionHeader {
    // --- identity: written once at creation, before the file is linked into the directory ---
    std::uint64_t magic;
    std::atomic<std::uint32_t> layout_version; // written last (release); 0 while initializing
    std::uint32_t header_bytes;
    std::uint64_t region_bytes;
    std::uint64_t queue_nonce; // random; receipt handles carry it
    std::int64_t created_ns;
    char name[queue_name_bytes];
    std::uint32_t fifo;        // FifoQueue (fixed at creation)
    std::uint32_t slot_stride; // slot_header_bytes + inline bytes, a multiple of 64
    std::uint32_t reserved_identity_[6];

    // --- geometry (offsets from the region start) ---
    std::uint32_t slot_count;
    std::uint32_t free_ring_capacity;     // power of two >= 2 × slot_count
    std::uint32_t ready_ring_capacity;    // power of two >= 2 × slot_count
    std::uint32_t deferred_ring_capacity; // standard queues: as the ready ring; 0 for FIFO
    std::uint64_t slots_offset;
    std::uint64_t free_ring_offset;
    std::uint64_t ready_ring_offset;
    std::uint64_t blob_chunk_class_offset; // atomic u8[blob_chunk_count]
    std::uint64_t blob_arena_offset;       // chunk k at blob_arena_offset + k × blob_chunk_bytes
    std::uint32_t blob_chunk_count;        // chunks MessageBytesCapacity buys
    std::uint32_t reserved_blob_;
    std::uint64_t message_bytes_capacity; // MessageBytesCapacity as asked for at creation
    std::uint64_t fifo_offset;            // FifoHeader (fifo_layout.h); 0 for a standard queue
    std::uint64_t fifo_slots_offset;      // FifoSlot[slot_count]
    std::uint64_t group_table_offset;     // GroupEntry[group_capacity]
    std::uint64_t dedup_table_offset;     // DedupEntry[dedup_capacity]
    std::uint64_t attempt_table_offset;   // AttemptEntry[attempt_capacity]
    std::uint64_t tenant_table_offset;    // TenantTable (tenant_layout.h); 0 for a FIFO queue
    std::uint64_t tenant_of_offset;       // u16[slot_count]
    std::uint64_t deferred_ring_offset;   // cells of the deferred ring
    // Durability=async: slots whose message was sent / freed, for shmqd to journal. Ring values
    // as the ready ring's (slot and 8 generation bits). Capacity as the ready ring.
    std::uint64_t journal_sends_offset;
    std::uint64_t journal_deletes_offset;
    std::uint32_t journal_ring_capacity;
    std::uint32_t reserved_journal_;

    // --- life ---
    alignas(cache_block) std::atomic<std::uint32_t> deleted; // DeleteQueue ran; handles stop
    std::atomic<std::int64_t> last_modified_ns;
    std::atomic<std::int64_t> last_purge_ns;

    alignas(cache_block) HotAttributes hot;

    // --- timers (see sqs/timer_sweep.h) ---
    alignas(cache_block) std::atomic<std::int64_t> next_due_ns; // hot path reads only this
    std::atomic<std::int64_t> slot_due_ns;                      // earliest slot deadline found by the last pass
    std::atomic<std::int64_t> pending_due_ns;                   // deadlines set since the current pass began
    std::atomic<std::int64_t> liveness_due_ns;                  // next dead-process check
    std::atomic<std::int64_t> sweep_lease_until_ns;
    std::atomic<std::uint32_t> sweep_cursor;
    std::atomic<std::int64_t> sweep_pass_min_ns;

    // --- totals (live processes count in their ProcessEntry) ---
    alignas(cache_block) std::atomic<std::uint64_t> sent_total;
    std::atomic<std::uint64_t> received_total;
    std::atomic<std::uint64_t> deleted_total;
    std::atomic<std::uint64_t> expired_total;
    std::atomic<std::uint64_t> dead_lettered_total;
    std::atomic<std::uint64_t> recovered_total;

    RingHeader free_ring;
    RingHeader ready_ring;
    RingHeader deferred_ring; // READY messages of noisy tenants (standard queues)
    RingHeader journal_sends;
    RingHeader journal_deletes;
    // Set when a journal ring was full (shmqd not draining): shmqd then reconciles the journal
    // with the region's slots instead of trusting the rings.
    alignas(cache_block) std::atomic<std::uint32_t> journal_overflow;
    // Durability=sync: the shmqd journaling this queue (pid, 0 for none; its start time guards
    // against pid reuse) and the journal_sends position below which every listed message is
    // durable (or gone). Sync senders sleep on `journaled` until it passes their entry.
    alignas(cache_block) std::atomic<std::uint32_t> journal_daemon_pid;
    std::atomic<std::uint64_t> journal_daemon_start_ticks;
    std::atomic<std::uint64_t> journal_durable_position;
    WaitSet journaled;
    // Sync senders bump journal_wake after listing a send, and FUTEX_WAKE it when shmqd said it
    // sleeps on it (journal_daemon_sleeping): no waiting for shmqd's next millisecond tick.
    alignas(cache_block) std::atomic<std::uint32_t> journal_wake;
    std::atomic<std::uint32_t> journal_daemon_sleeping;
    WaitSet readable;
    WaitSet writable;

    // --- blob arena: one Treiber stack per class, (tag:32 | blob_index:32), index ~0u: empty;
    //     chunks [0, blob_chunks_carved) serve a class (bump index, only ever grows) ---
    alignas(cache_block) std::atomic<std::uint64_t> blob_free_head[limits::blob_class_count];
    std::atomic<std::uint32_t> blob_chunks_carved;

    // --- configuration: JSON text, double-buffered so a writer killed mid-write leaves the
    //     active buffer intact; config_mutex is robust ---
    alignas(cache_block) pthread_mutex_t config_mutex;
    std::atomic<std::uint32_t> config_active; // 0 or 1
    std::uint32_t config_length[2];
    char config[2][config_buffer_bytes];

    ProcessEntry processes[limits::process_table_entries];
};
static_assert(std::is_standard_layout_v<RegionHeader>, "shared layouts must be standard layout");
static_assert(offsetof(RegionHeader, layout_version) == 8,
              "magic and version stay where every shmq version looks for them");
static_assert(sizeof(pthread_mutex_t) == 40, "the mutex size is part of the layout (glibc x86-64)");

} // namespace shmq::layout
