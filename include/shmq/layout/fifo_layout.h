// The FIFO part of a region (present only when FifoQueue=true): the bookkeeping that gives a
// FIFO queue its message-group order and its deduplication window.
//
//  fifo_offset ┌──────────────────────────────────────────────────────────────┐
//              │ FifoHeader: send mutex · group mutex · sequence · ready list │
//              ├──────────────────────────────────────────────────────────────┤
//              │ FifoSlot[slot_count]: group key · sequence · next in group   │
//              ├──────────────────────────────────────────────────────────────┤
//              │ GroupEntry[group_capacity]: open addressing by group key     │
//              ├──────────────────────────────────────────────────────────────┤
//              │ DedupEntry[dedup_capacity]: open addressing by dedup key     │
//              ├──────────────────────────────────────────────────────────────┤
//              │ AttemptEntry[attempt_capacity]: ReceiveRequestAttemptIds     │
//              └──────────────────────────────────────────────────────────────┘
//
// Two robust mutexes split the work so that producers and consumers never wait for each other:
//  - the send mutex (senders only) covers the deduplication window, the SequenceNumber counter
//    and the arrival order: a sender publishes its messages and lists them in the region's ready
//    ring (the "arrival ring" of a FIFO queue) in SequenceNumber order while holding it;
//  - the group mutex (receivers, deleters, timers) covers groups and the ready-group list; a
//    receiver first links the arrivals into their groups, in ring order, then serves groups.
// Group bookkeeping is the one place DESIGN.md allows locks. Slot state words stay the truth: a
// group-mutex holder killed inside leaves EOWNERDEAD, and the next locker rebuilds groups and the
// ready list from slot states and FifoSlots (fifo_repair). A send-mutex holder killed inside
// leaves at most a deduplication entry half written (keys are written last, so it matches
// nothing) and messages READY but not listed, which its recovery frees: that send was never
// acknowledged.
// Keys are 128-bit XXH3 hashes of the ids (the group id, or the dedup id plus, with
// DeduplicationScope=messageGroup, the group id); the ids themselves travel in the message's
// attribute trailer.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <type_traits>

namespace shmq::layout {

inline constexpr std::uint32_t fifo_none = 0xFFFF'FFFFu;
inline constexpr std::int64_t dedup_window_ns = 5LL * 60 * 1'000'000'000; // 5 minutes
inline constexpr std::uint32_t dedup_probe_max = 64;

struct FifoKey {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    bool operator==(const FifoKey&) const = default;
};

struct FifoHeader {
    // Senders' line(s): the send mutex and what it covers.
    alignas(128) pthread_mutex_t send_mutex;
    std::uint64_t next_sequence;    // SequenceNumber counter of the next message (increasing)
    std::uint32_t dedup_capacity;   // power of two
    std::uint32_t reserved_send_;
    std::uint64_t dedup_full_total; // sends refused because the window could not be held
    // Receivers' line(s).
    alignas(128) pthread_mutex_t group_mutex;
    std::uint32_t ready_head;    // first group with visible messages and none in flight
    std::uint32_t ready_tail;
    std::uint32_t group_capacity;   // power of two
    std::uint32_t groups_used;      // live entries
    std::uint32_t group_tombstones; // entries freed since the last rebuild
    std::uint64_t repairs_total;    // rebuilds after a holder died
    std::uint32_t attempt_capacity; // power of two
    std::uint32_t reserved_32_;
    std::uint64_t reserved_[3];
};

// Per slot, meaningful while the slot holds a FIFO message.
struct FifoSlot {
    FifoKey group;
    std::uint64_t sequence;
    std::uint32_t next_in_group; // slot index, fifo_none at the tail
    std::uint32_t group_index;   // its GroupEntry while in the group's list, else fifo_none
};
static_assert(sizeof(FifoSlot) == 32, "two FifoSlots per cache line");

enum class GroupSlotState : std::uint32_t { empty = 0, used = 1, tombstone = 2 };

struct GroupEntry {
    FifoKey key;
    std::uint32_t state; // GroupSlotState
    std::uint32_t head;  // first message slot in send order, fifo_none when empty
    std::uint32_t tail;
    std::uint32_t next_ready; // next group in the ready list
    std::uint32_t listed;     // 1 while in the ready list (its head message is READY)
    std::uint32_t reserved_[3];
};
static_assert(sizeof(GroupEntry) == 48, "group entries are small and fixed");

struct DedupEntry {
    FifoKey key; // {0, 0}: never used
    std::int64_t expires_ns;
    std::uint64_t sequence;
    std::uint8_t message_id[16];
};
static_assert(sizeof(DedupEntry) == 48, "dedup entries are small and fixed");
// A ReceiveRequestAttemptId and what its receive returned: a retry within 5 minutes, while
// none of those messages changed, gets the same messages and receipt handles back.
inline constexpr std::uint32_t attempt_entries = 1024;
inline constexpr std::uint32_t attempt_probe_max = 32;
struct AttemptEntry {
    FifoKey key;
    std::int64_t expires_ns;
    std::uint32_t count;
    std::uint32_t reserved_;
    std::uint32_t slot[10];
    std::uint32_t generation[10];
    std::uint32_t receive_count[10];
};
static_assert(sizeof(AttemptEntry) == 152, "attempt entries are small and fixed");

static_assert(std::is_standard_layout_v<FifoHeader> && std::is_standard_layout_v<GroupEntry> &&
                  std::is_standard_layout_v<DedupEntry>,
              "shared layouts must be standard layout");

} // namespace shmq::layout
