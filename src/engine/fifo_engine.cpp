// FIFO queues: message-group order and the deduplication window (see layout/fifo_layout.h).
//
// Senders, under the send mutex: deduplicate, take SequenceNumbers, publish, and list the new
// messages in the region's ready ring (for FIFO, the arrival ring) in SequenceNumber order.
// Receivers, under the group mutex: link arrivals into their groups, then serve groups. A group is
// a list of its messages in send order (FifoSlot::next_in_group), visible and in flight alike;
// deletes unlink. A group with messages and none in flight sits in the ready list; a receive pops
// groups from it and takes messages from each head in order, up to the first one in flight, so
// while a group's oldest message is in flight the group is out of the list and nothing later in
// it is delivered. A visibility timeout, or ChangeMessageVisibility to 0, turns in-flight
// messages back to READY where they are, and relists the group once its oldest message is READY
// again, even while later ones are still in flight (as SQS does, recorded: the group's visible
// messages are returned up to the first one in flight). A group-
// mutex holder killed inside leaves the next locker to rebuild everything from slot states
// (fifo_repair). Producers and consumers share no lock and no bookkeeping line: only the ring
// cells and the messages themselves cross between them, as on a standard queue.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "engine/crash_point.h"
#include "engine/fifo_lock.h"
#include "engine/queue_engine.h"
#include "engine/wait_set.h"
#include "sqs/fifo_ids.h"
#include "sqs/message_validation.h"

namespace shmq::engine {

using layout::fifo_none;
using layout::FifoKey;
using layout::GroupEntry;
using layout::GroupSlotState;
using layout::SlotHeader;
using layout::SlotState;
using layout::SlotWord;

namespace {
constexpr std::int64_t ns_per_s = 1'000'000'000;
} // namespace

namespace {

Status lock_failed() {
    return {Errc::system_error, "the FIFO mutex of the queue is not recoverable"};
}

Status expired_handle(const ReceiptHandle& handle) {
    return {Errc::invalid_parameter_value,
            "Value " + handle.to_string() +
                " for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."};
}

// The ready list head is read without the lock by pollers (a hint): always through atomic_ref.
std::atomic_ref<std::uint32_t> ready_head_of(layout::FifoHeader& fifo) {
    return std::atomic_ref<std::uint32_t>(fifo.ready_head);
}

} // namespace

bool QueueEngine::nothing_listed() const noexcept {
    if (!fifo()) {
        return region_->ready_ring().looks_empty() && (!tenants_seen() || region_->deferred_ring().looks_empty());
    }
    // FIFO: no arrivals waiting to be linked and no group ready.
    return region_->ready_ring().looks_empty() &&
           ready_head_of(region_->fifo_header()).load(std::memory_order_relaxed) == fifo_none;
}

// ---------------------------------------------------------------------------------------------
// Groups and the ready list (lock held)

std::uint32_t QueueEngine::group_find_or_insert(const FifoKey& key) noexcept {
    layout::FifoHeader& fifo = region_->fifo_header();
    const std::uint32_t mask = fifo.group_capacity - 1;
    std::uint32_t index = static_cast<std::uint32_t>(key.low) & mask;
    std::uint32_t reusable = fifo_none;
    for (std::uint32_t probe = 0; probe < fifo.group_capacity; ++probe, index = (index + 1) & mask) {
        GroupEntry& entry = region_->group_entry(index);
        if (entry.state == static_cast<std::uint32_t>(GroupSlotState::used)) {
            if (entry.key == key) {
                return index;
            }
            continue;
        }
        if (entry.state == static_cast<std::uint32_t>(GroupSlotState::tombstone)) {
            if (reusable == fifo_none) {
                reusable = index;
            }
            continue;
        }
        if (reusable == fifo_none) {
            reusable = index; // empty: the key is not further on
        }
        break;
    }
    if (reusable == fifo_none) {
        return fifo_none;
    }
    GroupEntry& entry = region_->group_entry(reusable);
    if (entry.state == static_cast<std::uint32_t>(GroupSlotState::tombstone)) {
        --fifo.group_tombstones;
    }
    entry = GroupEntry{};
    entry.key = key;
    entry.state = static_cast<std::uint32_t>(GroupSlotState::used);
    entry.head = fifo_none;
    entry.tail = fifo_none;
    entry.next_ready = fifo_none;
    ++fifo.groups_used;
    return reusable;
}

void QueueEngine::ready_push(std::uint32_t group) noexcept {
    layout::FifoHeader& fifo = region_->fifo_header();
    GroupEntry& entry = region_->group_entry(group);
    if (entry.listed != 0) {
        return;
    }
    entry.listed = 1;
    entry.next_ready = fifo_none;
    if (fifo.ready_tail == fifo_none) {
        fifo.ready_tail = group;
        ready_head_of(fifo).store(group, std::memory_order_relaxed);
    } else {
        region_->group_entry(fifo.ready_tail).next_ready = group;
        fifo.ready_tail = group;
    }
}

std::uint32_t QueueEngine::ready_pop() noexcept {
    layout::FifoHeader& fifo = region_->fifo_header();
    const std::uint32_t group = ready_head_of(fifo).load(std::memory_order_relaxed);
    if (group == fifo_none) {
        return fifo_none;
    }
    GroupEntry& entry = region_->group_entry(group);
    ready_head_of(fifo).store(entry.next_ready, std::memory_order_relaxed);
    if (entry.next_ready == fifo_none) {
        fifo.ready_tail = fifo_none;
    }
    entry.listed = 0;
    entry.next_ready = fifo_none;
    return group;
}

bool QueueEngine::group_head_ready(const GroupEntry& entry) const noexcept {
    return entry.head != fifo_none &&
           SlotWord{region_->slot(entry.head).state.load(std::memory_order_acquire)}.state() == SlotState::ready;
}

void QueueEngine::group_relist_or_release(std::uint32_t group) noexcept {
    GroupEntry& entry = region_->group_entry(group);
    if (entry.head != fifo_none) {
        if (group_head_ready(entry)) {
            ready_push(group);
        }
        return; // its oldest message in flight: nothing of the group may be delivered yet
    }
    if (entry.listed != 0) {
        return; // still chained in the ready list: dropped when popped
    }
    layout::FifoHeader& fifo = region_->fifo_header();
    entry.state = static_cast<std::uint32_t>(GroupSlotState::tombstone);
    --fifo.groups_used;
    ++fifo.group_tombstones;
    if (fifo.group_tombstones > fifo.group_capacity / 4) {
        fifo_rebuild_pending_ = true;
    }
}

void QueueEngine::group_link_sorted(std::uint32_t group, std::uint32_t slot) noexcept {
    GroupEntry& entry = region_->group_entry(group);
    layout::FifoSlot& message = region_->fifo_slot(slot);
    message.group_index = group;
    message.next_in_group = fifo_none;
    if (entry.tail == fifo_none) {
        entry.head = slot;
        entry.tail = slot;
        return;
    }
    if (region_->fifo_slot(entry.tail).sequence < message.sequence) {
        region_->fifo_slot(entry.tail).next_in_group = slot; // the usual case: newest last
        entry.tail = slot;
        return;
    }
    // An older message becoming visible late (a delay): insert in sequence order.
    std::uint32_t previous = fifo_none;
    std::uint32_t current = entry.head;
    for (std::uint32_t steps = 0; current != fifo_none && steps < region_->slot_count(); ++steps) {
        if (region_->fifo_slot(current).sequence > message.sequence) {
            break;
        }
        previous = current;
        current = region_->fifo_slot(current).next_in_group;
    }
    message.next_in_group = current;
    if (previous == fifo_none) {
        entry.head = slot;
    } else {
        region_->fifo_slot(previous).next_in_group = slot;
    }
    if (current == fifo_none) {
        entry.tail = slot;
    }
}

void QueueEngine::group_unlink(std::uint32_t group, std::uint32_t slot) noexcept {
    GroupEntry& entry = region_->group_entry(group);
    std::uint32_t previous = fifo_none;
    std::uint32_t current = entry.head;
    for (std::uint32_t steps = 0; current != fifo_none && steps < region_->slot_count(); ++steps) {
        if (current == slot) {
            const std::uint32_t next = region_->fifo_slot(slot).next_in_group;
            if (previous == fifo_none) {
                entry.head = next;
            } else {
                region_->fifo_slot(previous).next_in_group = next;
            }
            if (entry.tail == slot) {
                entry.tail = previous;
            }
            break;
        }
        previous = current;
        current = region_->fifo_slot(current).next_in_group;
    }
    region_->fifo_slot(slot).group_index = fifo_none;
    region_->fifo_slot(slot).next_in_group = fifo_none;
}

void QueueEngine::fifo_make_ready(std::uint32_t slot) noexcept {
    const std::uint32_t group = group_find_or_insert(region_->fifo_slot(slot).group);
    if (group == fifo_none) {
        fifo_rebuild_pending_ = true; // a full table cannot hold live groups: rebuild lists it
        return;
    }
    group_link_sorted(group, slot);
    group_relist_or_release(group);
}

void QueueEngine::fifo_unlink_message(std::uint32_t slot) noexcept {
    const std::uint32_t group = region_->fifo_slot(slot).group_index;
    if (group == fifo_none) {
        return;
    }
    group_unlink(group, slot);
    group_relist_or_release(group);
}

void QueueEngine::fifo_absorb_arrivals(std::uint32_t limit) noexcept {
    // The slot headers and FifoSlots of the first arrivals were written by a sender's core:
    // fetch them together rather than one miss after another.
    region_->ready_ring().peek(limits::receive_batch_max, [&](std::uint32_t value) {
        const std::uint32_t slot = layout::ring_slot(value);
        if (slot < region_->slot_count()) {
            __builtin_prefetch(&region_->slot(slot), 1, 3);
            __builtin_prefetch(&region_->fifo_slot(slot), 1, 3);
        }
    });
    // Arrival entries are hints like any ring entry: only a READY message of that generation not
    // yet in its group is linked (a rebuild may have linked it already; it may be gone). Bounded,
    // so the group mutex is never held for long; the rest waits for the next receive, in order.
    std::uint32_t seen_entries = 0;
    (void)region_->ready_ring().pop(limits::ring_scan_max, [&](std::uint32_t value) {
        if (seen_entries++ == limit) {
            return ring::ClaimResult::stop;
        }
        const std::uint32_t slot = layout::ring_slot(value);
        if (slot < region_->slot_count()) {
            const SlotWord seen{region_->slot(slot).state.load(std::memory_order_acquire)};
            if (seen.state() == SlotState::ready && layout::ring_generation_matches(value, seen.generation()) &&
                region_->fifo_slot(slot).group_index == fifo_none) {
                fifo_make_ready(slot);
            }
        }
        return ring::ClaimResult::stale;
    });
}

void QueueEngine::fifo_forget_unlisted(std::span<const std::uint32_t> pending_ready) noexcept {
    fifo_absorb_arrivals(limits::ring_scan_max); // whatever did reach the ring is linked now
    for (const std::uint32_t slot : pending_ready) {
        const SlotWord seen{region_->slot(slot).state.load(std::memory_order_acquire)};
        if (seen.state() == SlotState::ready && region_->fifo_slot(slot).group_index == fifo_none) {
            (void)free_message(slot, seen);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deduplication window (send mutex held)

bool QueueEngine::dedup_find(const FifoKey& key, std::int64_t now_ns, SendOutcome& outcome) const noexcept {
    const layout::FifoHeader& fifo = region_->fifo_header();
    const std::uint32_t mask = fifo.dedup_capacity - 1;
    std::uint32_t index = static_cast<std::uint32_t>(key.low) & mask;
    for (std::uint32_t probe = 0; probe < layout::dedup_probe_max; ++probe, index = (index + 1) & mask) {
        const layout::DedupEntry& entry = region_->dedup_entry(index);
        if (entry.key == FifoKey{}) {
            return false; // never used: the key is not further on
        }
        if (entry.key == key && entry.expires_ns > now_ns) {
            std::memcpy(outcome.message_id.bytes.data(), entry.message_id, 16);
            outcome.sequence_number = entry.sequence;
            return true;
        }
    }
    return false;
}

std::uint32_t QueueEngine::dedup_place(const FifoKey& key, std::int64_t now_ns,
                                       std::span<const std::uint32_t> reserved) noexcept {
    layout::FifoHeader& fifo = region_->fifo_header();
    const std::uint32_t mask = fifo.dedup_capacity - 1;
    std::uint32_t index = static_cast<std::uint32_t>(key.low) & mask;
    for (std::uint32_t probe = 0; probe < layout::dedup_probe_max; ++probe, index = (index + 1) & mask) {
        const layout::DedupEntry& entry = region_->dedup_entry(index);
        if (std::find(reserved.begin(), reserved.end(), index) != reserved.end()) {
            continue; // chosen by an earlier message of this batch, recorded after publishing
        }
        if (entry.key == FifoKey{} || entry.expires_ns <= now_ns || entry.key == key) {
            return index;
        }
    }
    ++fifo.dedup_full_total;
    return fifo_none;
}

void QueueEngine::dedup_record(std::uint32_t index, const FifoKey& key, std::int64_t now_ns,
                               const SendOutcome& outcome) noexcept {
    // Expired while it changes, live last (release): a sender killed in between leaves an
    // expired entry, never an old key with the new message's identity.
    layout::DedupEntry& entry = region_->dedup_entry(index);
    std::atomic_ref<std::int64_t> expires(entry.expires_ns);
    expires.store(0, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    entry.key = key;
    entry.sequence = outcome.sequence_number;
    std::memcpy(entry.message_id, outcome.message_id.bytes.data(), 16);
    expires.store(now_ns + layout::dedup_window_ns, std::memory_order_release);
}

// ---------------------------------------------------------------------------------------------
// SendMessage(Batch)

Status QueueEngine::fifo_send_batch(std::span<const SendEntry> entries, std::span<SendOutcome> outcomes,
                                    const SendOptions& options, std::int64_t now_ns, bool batch_request) {
    const std::size_t maximum_size = header_.hot.maximum_message_size.load(std::memory_order_relaxed);
    const std::uint32_t flags = header_.hot.fifo_flags.load(std::memory_order_relaxed);
    const bool content_based = (flags & layout::fifo_content_based_deduplication) != 0;
    // QueueCapacity::fifo_deduplication=false: ids are optional and kept, never remembered.
    const bool deduplicating = region_->fifo_header().dedup_capacity != 0;
    if (batch_request) {
        // SQS refuses a whole SendMessageBatch for these, with InvalidParameterValue.
        for (const SendEntry& entry : entries) {
            if (entry.message_group_id.empty()) {
                return {Errc::invalid_parameter_value, "The request must contain the parameter MessageGroupId."};
            }
            if (entry.message_deduplication_id.empty() && !content_based && deduplicating) {
                return {Errc::invalid_parameter_value, "The queue should either have ContentBasedDeduplication enabled "
                                                       "or MessageDeduplicationId provided explicitly"};
            }
        }
    }
    const bool per_group = (flags & layout::fifo_deduplication_per_group) != 0;
    const std::int64_t delay_s = header_.hot.delay_s.load(std::memory_order_relaxed);
    const bool sync = header_.hot.durability.load(std::memory_order_relaxed) == layout::durability_sync;
    if (sync) {
        // No shmqd: fail before enqueuing anything (or wait for one, if the caller said so).
        if (Status status = await_journal_daemon(options); !status) {
            return status;
        }
    }

    std::array<std::string, limits::send_batch_max> content_ids;
    std::array<FifoKey, limits::send_batch_max> dedup_keys{};
    const std::uint32_t dedup_mask = deduplicating ? region_->fifo_header().dedup_capacity - 1 : 0;
    std::array<std::uint32_t, limits::send_batch_max> slot_of{};
    std::array<SlotWord, limits::send_batch_max> word_of{};
    std::uint32_t valid = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const SendEntry& entry = entries[i];
        SendOutcome& outcome = outcomes[i];
        outcome = SendOutcome{};
        if (Status status = sqs::validate_message(entry.body, entry.attributes, maximum_size); !status) {
            outcome.error = status.code();
        } else if (Status fields = sqs::validate_fifo_fields(entry, true, content_based || !deduplicating); !fields) {
            outcome.error = fields.code();
        } else if (!entry.aws_trace_header.empty() && !sqs::validate_aws_trace_header(entry.aws_trace_header)) {
            outcome.error = Errc::invalid_parameter_value;
        } else {
            if (entry.message_deduplication_id.empty() && deduplicating) {
                content_ids[i] = sqs::content_deduplication_id(entry.body);
            }
            if (deduplicating) {
                // The window's line is a likely cache miss: start fetching it now, so that it
                // overlaps the slot claims and writes below instead of stalling under the lock.
                const std::string_view deduplication_id = entry.message_deduplication_id.empty()
                                                              ? std::string_view(content_ids[i])
                                                              : entry.message_deduplication_id;
                dedup_keys[i] = sqs::deduplication_key(deduplication_id, entry.message_group_id, per_group);
                __builtin_prefetch(&region_->dedup_entry(static_cast<std::uint32_t>(dedup_keys[i].low) & dedup_mask), 1,
                                   3);
            }
            ++valid;
        }
    }
    // Slots first, outside the lock (a full queue may block); duplicates give theirs back.
    std::array<std::uint32_t, limits::send_batch_max> free_slots{};
    std::array<SlotWord, limits::send_batch_max> free_words{};
    const std::uint32_t available = claim_free_slots(valid, free_slots.data(), free_words.data());
    std::uint32_t next_free = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (outcomes[i].error != Errc::ok) {
            continue;
        }
        if (next_free < available) {
            slot_of[i] = free_slots[next_free];
            word_of[i] = free_words[next_free];
            ++next_free;
        } else if (!claim_free_slot_blocking(slot_of[i], word_of[i], options)) {
            outcomes[i].error = options.block_when_full ? Errc::timed_out : Errc::queue_full;
        }
    }

    // Outside the lock: bodies, MessageIds, group keys.
    std::array<MessageId, limits::send_batch_max> message_ids{};
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const SendEntry& entry = entries[i];
        if (outcomes[i].error != Errc::ok) {
            continue;
        }
        const std::string_view deduplication_id =
            entry.message_deduplication_id.empty() ? std::string_view(content_ids[i]) : entry.message_deduplication_id;
        const sqs::AttributeTrailer trailer{{}, entry.message_group_id, deduplication_id, entry.aws_trace_header};
        const std::size_t attributes_size = sqs::encoded_attributes_size(entry.attributes, trailer);
        if (const Errc written = write_slot(slot_of[i], word_of[i], entry.body, attributes_size, entry.attributes,
                                            nullptr, trailer, now_ns);
            written != Errc::ok) {
            abandon_slot(slot_of[i], word_of[i]);
            outcomes[i].error = written;
            continue;
        }
        message_ids[i] = next_message_id();
        std::memcpy(region_->slot(slot_of[i]).message_id, message_ids[i].bytes.data(), 16);
        layout::FifoSlot& message = region_->fifo_slot(slot_of[i]);
        message.group = sqs::group_key(entry.message_group_id);
        message.next_in_group = fifo_none;
        message.group_index = fifo_none;
    }

    std::array<std::uint32_t, limits::send_batch_max> publish_slots{};
    std::array<std::int64_t, limits::send_batch_max> visible_at{};
    std::array<std::uint32_t, limits::send_batch_max> dedup_index{};
    std::array<std::size_t, limits::send_batch_max> entry_of{};
    std::uint32_t count = 0;
    FifoLock lock(*this, FifoLock::send);
    if (!lock.locked()) {
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (outcomes[i].error == Errc::ok) {
                discard_written(slot_of[i], word_of[i]);
                outcomes[i].error = Errc::system_error;
            }
        }
        return lock_failed();
    }
    layout::FifoHeader& fifo = region_->fifo_header();
    // Entry i is a new message: its SequenceNumber now, in the order the ring will list it.
    const auto accept = [&](std::size_t i, std::uint32_t dedup_slot) {
        outcomes[i].message_id = message_ids[i];
        outcomes[i].sequence_number = sqs::sequence_number_of(fifo.next_sequence++);
        region_->fifo_slot(slot_of[i]).sequence = outcomes[i].sequence_number;
        publish_slots[count] = slot_of[i];
        visible_at[count] = now_ns + delay_s * ns_per_s;
        dedup_index[count] = dedup_slot;
        entry_of[count] = i;
        ++count;
    };
    for (std::size_t i = 0; i < entries.size(); ++i) {
        SendOutcome& outcome = outcomes[i];
        if (outcome.error != Errc::ok) {
            continue;
        }
        if (!deduplicating) {
            accept(i, fifo_none);
            continue;
        }
        // A duplicate, of an earlier message of this batch or of the window, succeeds with the
        // original's identity and gives its slot back.
        const auto earlier = std::find_if(entry_of.begin(), entry_of.begin() + count,
                                          [&](std::size_t j) { return dedup_keys[j] == dedup_keys[i]; });
        if (earlier != entry_of.begin() + count) {
            outcome.message_id = outcomes[*earlier].message_id;
            outcome.sequence_number = outcomes[*earlier].sequence_number;
            discard_written(slot_of[i], word_of[i]);
            continue;
        }
        if (dedup_find(dedup_keys[i], now_ns, outcome)) {
            discard_written(slot_of[i], word_of[i]);
            continue;
        }
        // Room in the window first: a send whose id could not be remembered is refused, never
        // accepted with a guarantee silently dropped.
        const std::uint32_t index = dedup_place(dedup_keys[i], now_ns, {dedup_index.data(), count});
        if (index == fifo_none) {
            discard_written(slot_of[i], word_of[i]);
            outcome.error = Errc::over_limit;
            continue;
        }
        accept(i, index);
    }
    if (count == 0) {
        return {};
    }
    // Listed in the arrival ring in SequenceNumber order (we hold the send mutex); delayed ones
    // join their group when the timer sweep makes them visible.
    publish({publish_slots.data(), count}, {visible_at.data(), count}, now_ns);
    SHMQ_CRASH_POINT("fifo.send.after_publish");
    // Recorded only once listed: a send killed before this was never acknowledged (its recovery
    // frees what it published), so a retry must not be taken for a duplicate.
    for (std::uint32_t k = 0; k < count && deduplicating; ++k) {
        dedup_record(dedup_index[k], dedup_keys[entry_of[k]], now_ns, outcomes[entry_of[k]]);
    }
    me_->sent.store(me_->sent.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
    lock.unlock();
    if (sync && !await_durable(last_journal_position_, options)) {
        for (SendOutcome& outcome : outcomes) {
            if (outcome.error == Errc::ok) {
                outcome.error = Errc::not_durable; // enqueued, durability unknown
            }
        }
    }
    return {};
}

Status QueueEngine::fifo_send_moved(const MovedMessage& message) {
    auto parts = sqs::split_attributes(message.encoded_attributes);
    if (!parts) {
        return parts.error();
    }
    if (message.trailer.message_group_id.empty()) {
        return {Errc::invalid_parameter_value, "a message moved into FIFO queue " + name() + " needs a MessageGroupId"};
    }
    const bool restoring = message.sequence_number != 0;
    std::uint32_t slot = 0;
    SlotWord word;
    if (!claim_free_slot(slot, word)) {
        return capacity_error(Errc::queue_full);
    }
    const std::int64_t now = clock_.now_ns();
    const std::size_t attributes_size = sqs::reencoded_size(*parts, message.trailer);
    // FIFO moves reset the enqueue time (SQS keeps it only for standard queues); a recovery keeps
    // it, so retention counts from the original send.
    if (const Errc written = write_slot(slot, word, message.body, attributes_size, nullptr, &*parts, message.trailer,
                                        restoring ? message.sent_ns : now);
        written != Errc::ok) {
        abandon_slot(slot, word);
        return capacity_error(written);
    }
    region_->slot(slot).sender_uid = message.sender_uid;
    region_->slot(slot).receive_count.store(message.receive_count, std::memory_order_relaxed);
    std::memcpy(region_->slot(slot).message_id, message.message_id.bytes.data(), 16);
    layout::FifoSlot& fifo_message = region_->fifo_slot(slot);
    fifo_message.group = sqs::group_key(message.trailer.message_group_id);
    fifo_message.next_in_group = fifo_none;
    fifo_message.group_index = fifo_none;
    const bool deduplicating = region_->fifo_header().dedup_capacity != 0;
    const bool remembered = restoring && deduplicating && !message.trailer.message_deduplication_id.empty();
    const FifoKey key = remembered ? deduplication_key_of(message.trailer) : FifoKey{};
    FifoLock lock(*this, FifoLock::send);
    if (!lock.locked()) {
        discard_written(slot, word);
        return lock_failed();
    }
    layout::FifoHeader& fifo = region_->fifo_header();
    if (restoring) {
        // Recovery puts messages back in SequenceNumber order: each keeps its number, and new
        // sends continue after the largest.
        fifo_message.sequence = message.sequence_number;
        fifo.next_sequence = std::max(fifo.next_sequence, sqs::sequence_counter_of(message.sequence_number) + 1);
    } else {
        fifo_message.sequence = sqs::sequence_number_of(fifo.next_sequence++);
    }
    std::uint32_t dedup_index = fifo_none;
    if (remembered && message.sent_ns + layout::dedup_window_ns > now) {
        dedup_index = dedup_place(key, now, {});
    }
    publish({&slot, 1}, {&now, 1}, now);
    if (dedup_index != fifo_none) {
        dedup_record(dedup_index, key, message.sent_ns,
                     SendOutcome{Errc::ok, message.message_id, message.sequence_number});
    }
    me_->sent.store(me_->sent.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return {};
}

FifoKey QueueEngine::deduplication_key_of(const sqs::AttributeTrailer& trailer) const noexcept {
    const std::uint32_t flags = header_.hot.fifo_flags.load(std::memory_order_relaxed);
    return sqs::deduplication_key(trailer.message_deduplication_id, trailer.message_group_id,
                                  (flags & layout::fifo_deduplication_per_group) != 0);
}

Status QueueEngine::remember_deduplication(const MovedMessage& message) {
    if (!fifo() || region_->fifo_header().dedup_capacity == 0 || message.trailer.message_deduplication_id.empty()) {
        return {};
    }
    const std::int64_t now = clock_.now_ns();
    if (message.sent_ns + layout::dedup_window_ns <= now) {
        return {}; // its window closed
    }
    const FifoKey key = deduplication_key_of(message.trailer);
    FifoLock lock(*this, FifoLock::send);
    if (!lock.locked()) {
        return lock_failed();
    }
    layout::FifoHeader& fifo = region_->fifo_header();
    fifo.next_sequence = std::max(fifo.next_sequence, sqs::sequence_counter_of(message.sequence_number) + 1);
    const std::uint32_t index = dedup_place(key, now, {});
    if (index == fifo_none) {
        return {Errc::over_limit, "the deduplication window of " + name() + " is full"};
    }
    dedup_record(index, key, message.sent_ns, SendOutcome{Errc::ok, message.message_id, message.sequence_number});
    return {};
}

// ---------------------------------------------------------------------------------------------
// ReceiveMessage

std::uint32_t QueueEngine::fifo_try_receive(std::uint32_t max, std::int64_t visibility_ns, std::int64_t now_ns,
                                            std::array<std::uint32_t, limits::receive_batch_max>& slots,
                                            std::array<std::uint32_t, limits::receive_batch_max>& generations,
                                            ReceiveAttempt* attempt) {
    const std::int64_t retention_ns = std::int64_t{header_.hot.retention_s.load(std::memory_order_relaxed)} * ns_per_s;
    const std::uint32_t max_receive_count = header_.hot.max_receive_count.load(std::memory_order_relaxed);
    const std::int64_t deadline = now_ns + visibility_ns;
    note_deadline(deadline); // before any claim, as in try_receive
    QueueEngine* dead_letter_target = max_receive_count != 0 ? dead_letter_queue() : nullptr;
    std::array<std::uint32_t, limits::receive_batch_max> dead{};
    std::array<SlotWord, limits::receive_batch_max> dead_words{};
    std::uint32_t dead_count = 0;
    std::uint32_t taken = 0;
    {
        FifoLock lock(*this, FifoLock::group);
        if (!lock.locked()) {
            return 0;
        }
        if (attempt != nullptr) {
            // Replayed, or taken and recorded below, under this one lock: a concurrent receive
            // with the same attempt id finds either nothing yet or all of what this one took.
            const std::uint32_t replayed = fifo_replay_attempt(*attempt, visibility_ns, now_ns, slots, generations);
            if (replayed > 0 || attempt->unaffordable) {
                return replayed;
            }
        }
        fifo_absorb_arrivals(limits::fifo_arrivals_per_receive);
        // Bounded: each listed group is visited at most once per receive, even if one whose head
        // is not deliverable were relisted (it would be an invariant broken, not a spin).
        const std::uint32_t visits_max = region_->fifo_header().groups_used + 1;
        for (std::uint32_t visits = 0; taken < max && visits < visits_max; ++visits) {
            const std::uint32_t group = ready_pop();
            if (group == fifo_none) {
                break;
            }
            GroupEntry& entry = region_->group_entry(group);
            if (entry.state != static_cast<std::uint32_t>(GroupSlotState::used) || !group_head_ready(entry)) {
                group_relist_or_release(group); // a stale listing
                continue;
            }
            // The group's next messages, fetched together (their headers are CASed below).
            for (std::uint32_t ahead = entry.head, n = 0; ahead != fifo_none && n < max - taken; ++n) {
                __builtin_prefetch(&region_->slot(ahead), 1, 3);
                ahead = region_->fifo_slot(ahead).next_in_group;
            }
            std::uint32_t slot = entry.head;
            while (slot != fifo_none && taken < max) {
                const std::uint32_t next = region_->fifo_slot(slot).next_in_group;
                SlotHeader& header = region_->slot(slot);
                SlotWord seen{header.state.load(std::memory_order_acquire)};
                if (seen.state() != SlotState::ready) {
                    break;
                }
                if (header.sent_ns + retention_ns <= now_ns) {
                    group_unlink(group, slot);
                    if (free_message(slot, seen)) {
                        header_.expired_total.fetch_add(1, std::memory_order_relaxed);
                    }
                    slot = next;
                    continue;
                }
                const std::uint32_t receive_count = header.receive_count.load(std::memory_order_relaxed) + 1;
                if (dead_letter_target != nullptr && receive_count > max_receive_count && dead_count < dead.size()) {
                    // Taken out of its group now, copied to the dead-letter queue after the lock.
                    const SlotWord freeing = seen.with(SlotState::freeing, process_index_ + 1);
                    if (header.state.compare_exchange_strong(seen.raw, freeing.raw, std::memory_order_acq_rel)) {
                        group_unlink(group, slot);
                        dead[dead_count] = slot;
                        dead_words[dead_count++] = freeing;
                        slot = next;
                        continue;
                    }
                    break;
                }
                header.deadline_ns.store(deadline, std::memory_order_relaxed);
                if (!header.state.compare_exchange_strong(seen.raw, seen.with(SlotState::in_flight).raw,
                                                          std::memory_order_acq_rel)) {
                    break;
                }
                record_receive(header, receive_count, now_ns);
                SHMQ_CRASH_POINT("fifo.receive.after_claim"); // group mutex held, the group still listed
                slots[taken] = slot;
                generations[taken] = seen.generation();
                ++taken;
                slot = next;
            }
            group_relist_or_release(group);
        }
        if (attempt != nullptr && taken > 0) {
            fifo_record_attempt(attempt->id, taken, now_ns, slots, generations);
        }
    }
    for (std::uint32_t i = 0; i < dead_count; ++i) {
        const std::uint32_t slot = dead[i];
        SlotHeader& header = region_->slot(slot);
        if (dead_letter_target->send_moved(dead_letter_copy(slot))) {
            finish_free(slot, dead_words[i]);
            header_.dead_lettered_total.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        // Could not move it: back to the head of its group, visible.
        FifoLock lock(*this, FifoLock::group);
        header.state.store(dead_words[i].with(SlotState::ready).raw, std::memory_order_release);
        fifo_make_ready(slot);
    }
    return taken;
}

// ---------------------------------------------------------------------------------------------
// ReceiveRequestAttemptId

std::uint32_t QueueEngine::fifo_replay_attempt(ReceiveAttempt& attempt, std::int64_t visibility_ns, std::int64_t now_ns,
                                               std::array<std::uint32_t, limits::receive_batch_max>& slots,
                                               std::array<std::uint32_t, limits::receive_batch_max>& generations) {
    const FifoKey key = sqs::group_key(attempt.id);
    const layout::FifoHeader& fifo = region_->fifo_header();
    const std::uint32_t mask = fifo.attempt_capacity - 1;
    std::uint32_t index = static_cast<std::uint32_t>(key.low) & mask;
    for (std::uint32_t probe = 0; probe < layout::attempt_probe_max; ++probe, index = (index + 1) & mask) {
        layout::AttemptEntry& entry = region_->attempt_entry(index);
        if (entry.key == FifoKey{}) {
            return 0;
        }
        if (!(entry.key == key) || entry.expires_ns <= now_ns) {
            continue;
        }
        // The same messages only while none of them changed (deleted, expired, received again).
        for (std::uint32_t i = 0; i < entry.count && i < limits::receive_batch_max; ++i) {
            if (entry.slot[i] >= region_->slot_count()) {
                return 0;
            }
            const SlotHeader& header = region_->slot(entry.slot[i]);
            const SlotWord seen{header.state.load(std::memory_order_acquire)};
            if (seen.state() != SlotState::in_flight || seen.generation() != entry.generation[i] ||
                header.receive_count.load(std::memory_order_relaxed) != entry.receive_count[i] ||
                header.deadline_ns.load(std::memory_order_relaxed) <= now_ns) {
                return 0;
            }
        }
        const std::uint32_t count = std::min<std::uint32_t>(entry.count, limits::receive_batch_max);
        if (count > attempt.replay_max) {
            attempt.unaffordable = true; // all of them or none: a retry returns the same messages
            return 0;
        }
        const std::int64_t deadline = now_ns + visibility_ns;
        for (std::uint32_t i = 0; i < entry.count && i < limits::receive_batch_max; ++i) {
            SlotHeader& header = region_->slot(entry.slot[i]);
            const SlotWord seen{header.state.load(std::memory_order_acquire)};
            header.deadline_ns.store(deadline, std::memory_order_relaxed); // a retry restarts visibility
            header.state.store(seen.with(SlotState::in_flight).raw, std::memory_order_release);
            slots[i] = entry.slot[i];
            generations[i] = entry.generation[i];
        }
        note_deadline(deadline);
        return entry.count;
    }
    return 0;
}

void QueueEngine::fifo_record_attempt(std::string_view attempt_id, std::uint32_t count, std::int64_t now_ns,
                                      const std::array<std::uint32_t, limits::receive_batch_max>& slots,
                                      const std::array<std::uint32_t, limits::receive_batch_max>& generations) {
    const FifoKey key = sqs::group_key(attempt_id);
    const layout::FifoHeader& fifo = region_->fifo_header();
    const std::uint32_t mask = fifo.attempt_capacity - 1;
    std::uint32_t index = static_cast<std::uint32_t>(key.low) & mask;
    for (std::uint32_t probe = 0; probe < layout::attempt_probe_max; ++probe, index = (index + 1) & mask) {
        layout::AttemptEntry& entry = region_->attempt_entry(index);
        if (!(entry.key == FifoKey{}) && !(entry.key == key) && entry.expires_ns > now_ns) {
            continue;
        }
        entry.key = key;
        entry.expires_ns = now_ns + layout::dedup_window_ns;
        entry.count = count;
        for (std::uint32_t i = 0; i < count; ++i) {
            entry.slot[i] = slots[i];
            entry.generation[i] = generations[i];
            entry.receive_count[i] = region_->slot(slots[i]).receive_count.load(std::memory_order_relaxed);
        }
        return;
    }
    // All nearby entries are live: this attempt id is not remembered, so a retry receives anew
    // (at-least-once still holds; only the retry convenience is lost).
}

// ---------------------------------------------------------------------------------------------
// DeleteMessage, ChangeMessageVisibility

void QueueEngine::fifo_delete_batch(std::span<const ReceiptHandle> handles, std::span<Errc> errors) {
    const std::size_t n = std::min(handles.size(), errors.size());
    if (n > limits::send_batch_max) { // beyond SQS's 10: in tens
        for (std::size_t first = 0; first < n; first += limits::send_batch_max) {
            const std::size_t size = std::min<std::size_t>(limits::send_batch_max, n - first);
            fifo_delete_batch(handles.subspan(first, size), errors.subspan(first, size));
        }
        return;
    }
    // One critical section for the whole batch, and one free-ring pass after it.
    std::array<std::uint32_t, limits::send_batch_max> freed{};
    std::uint32_t count = 0;
    bool relisted = false;
    const std::int64_t now_ns = clock_.now_ns();
    {
        FifoLock lock(*this, FifoLock::group);
        for (std::size_t i = 0; i < n; ++i) {
            const ReceiptHandle& handle = handles[i];
            if (handle.queue_nonce != header_.queue_nonce || handle.slot >= region_->slot_count()) {
                errors[i] = Errc::receipt_handle_is_invalid;
                continue;
            }
            if (!lock.locked()) {
                errors[i] = Errc::system_error;
                continue;
            }
            const Status status = fifo_delete_locked(handle, now_ns, relisted);
            errors[i] = status.code();
            if (status.ok()) {
                freed[count++] = handle.slot;
            }
        }
    }
    free_owned({freed.data(), count});
    me_->deleted.store(me_->deleted.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
    if (relisted) {
        wake(header_.readable, static_cast<int>(count));
    }
}

Status QueueEngine::fifo_delete(const ReceiptHandle& handle) {
    bool relisted = false;
    {
        FifoLock lock(*this, FifoLock::group);
        if (!lock.locked()) {
            return lock_failed();
        }
        if (Status status = fifo_delete_locked(handle, clock_.now_ns(), relisted); !status) {
            return status;
        }
    }
    const std::uint32_t slot = handle.slot;
    free_owned({&slot, 1});
    me_->deleted.store(me_->deleted.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (relisted) {
        wake(header_.readable, 1); // the next message of the group is deliverable now
    }
    return {};
}

Status QueueEngine::fifo_delete_locked(const ReceiptHandle& handle, std::int64_t now_ns, bool& relisted) {
    SlotHeader& header = region_->slot(handle.slot);
    SlotWord seen{header.state.load(std::memory_order_acquire)};
    // SQS FIFO: only the newest receipt handle of a message still in flight deletes it.
    if (seen.generation() != handle.generation || seen.state() != SlotState::in_flight ||
        header.receive_count.load(std::memory_order_relaxed) != handle.receive_count ||
        header.deadline_ns.load(std::memory_order_relaxed) <= now_ns) {
        return expired_handle(handle);
    }
    if (!header.state.compare_exchange_strong(seen.raw, seen.with(SlotState::freeing, process_index_ + 1).raw,
                                              std::memory_order_acq_rel)) {
        return expired_handle(handle);
    }
    const std::uint32_t group = region_->fifo_slot(handle.slot).group_index;
    fifo_unlink_message(handle.slot);
    relisted = relisted || (group != fifo_none && region_->group_entry(group).listed != 0);
    return {};
}

Status QueueEngine::fifo_change_visibility(const ReceiptHandle& handle, std::int32_t timeout_s) {
    const std::int64_t now = clock_.now_ns();
    const std::int64_t deadline = now + std::int64_t{timeout_s} * ns_per_s;
    bool relisted = false;
    {
        FifoLock lock(*this, FifoLock::group);
        if (!lock.locked()) {
            return lock_failed();
        }
        SlotHeader& header = region_->slot(handle.slot);
        SlotWord seen{header.state.load(std::memory_order_acquire)};
        if (seen.generation() != handle.generation) {
            return expired_handle(handle);
        }
        if (seen.state() != SlotState::in_flight) {
            return {Errc::message_not_inflight, "Message is not in flight."};
        }
        if (header.receive_count.load(std::memory_order_relaxed) != handle.receive_count ||
            header.deadline_ns.load(std::memory_order_relaxed) <= now) {
            return expired_handle(handle);
        }
        if (timeout_s == 0) {
            // Back to READY where it stands: at the head of its group.
            header.state.store(seen.with(SlotState::ready).raw, std::memory_order_release);
            const std::uint32_t group = region_->fifo_slot(handle.slot).group_index;
            if (group != fifo_none) {
                group_relist_or_release(group);
                relisted = region_->group_entry(group).listed != 0;
            }
        } else {
            header.deadline_ns.store(deadline, std::memory_order_relaxed);
            header.state.store(seen.with(SlotState::in_flight).raw, std::memory_order_release);
        }
    }
    if (timeout_s != 0) {
        note_deadline(deadline);
    }
    if (relisted) {
        wake(header_.readable, 1);
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Timers, purge, repair

void QueueEngine::fifo_sweep_slot(std::uint32_t slot, std::int64_t now_ns, std::int64_t retention_ns,
                                  std::int64_t& earliest_ns) {
    SlotHeader& header = region_->slot(slot);
    const SlotWord seen{header.state.load(std::memory_order_acquire)};
    const SlotState state = seen.state();
    if (state != SlotState::in_flight && state != SlotState::delayed && state != SlotState::ready) {
        return;
    }
    const std::int64_t deadline = header.deadline_ns.load(std::memory_order_acquire);
    const std::int64_t expires = header.sent_ns + retention_ns;
    const bool visibility_over = state == SlotState::in_flight && deadline <= now_ns;
    const bool delay_over = state == SlotState::delayed && deadline <= now_ns;
    const bool retention_over = state != SlotState::in_flight && expires <= now_ns;
    if (!visibility_over && !delay_over && !retention_over) {
        if (state != SlotState::ready) {
            earliest_ns = std::min(earliest_ns, deadline);
        }
        if (state != SlotState::in_flight) {
            earliest_ns = std::min(earliest_ns, expires);
        }
        return;
    }
    bool relisted = false;
    {
        FifoLock lock(*this, FifoLock::group);
        if (!lock.locked() || header.state.load(std::memory_order_acquire) != seen.raw) {
            return; // changed meanwhile: the next pass looks again
        }
        if (retention_over) {
            if (seen.state() == SlotState::ready) {
                fifo_unlink_message(slot);
            }
            if (free_message(slot, seen)) {
                header_.expired_total.fetch_add(1, std::memory_order_relaxed);
            }
            return;
        }
        header.state.store(seen.with(SlotState::ready).raw, std::memory_order_release);
        if (delay_over) {
            fifo_make_ready(slot);
        } else {
            const std::uint32_t group = region_->fifo_slot(slot).group_index;
            if (group != fifo_none) {
                group_relist_or_release(group);
            }
        }
        const std::uint32_t group = region_->fifo_slot(slot).group_index;
        relisted = group != fifo_none && region_->group_entry(group).listed != 0;
    }
    if (relisted) {
        wake(header_.readable, 1);
    }
}

void QueueEngine::fifo_purge() {
    FifoLock lock(*this, FifoLock::group);
    if (!lock.locked()) {
        return;
    }
    for (std::uint32_t slot = 0; slot < region_->slot_count(); ++slot) {
        const SlotWord seen{region_->slot(slot).state.load(std::memory_order_acquire)};
        const SlotState state = seen.state();
        if (state == SlotState::ready || state == SlotState::delayed || state == SlotState::in_flight) {
            region_->fifo_slot(slot).group_index = fifo_none;
            (void)free_message(slot, seen);
        }
    }
    fifo_repair(); // every group is empty now: start from a clean table
}

void QueueEngine::fifo_repair() {
    layout::FifoHeader& fifo = region_->fifo_header();
    for (std::uint32_t index = 0; index < fifo.group_capacity; ++index) {
        region_->group_entry(index) = GroupEntry{};
    }
    fifo.groups_used = 0;
    fifo.group_tombstones = 0;
    fifo.ready_tail = fifo_none;
    ready_head_of(fifo).store(fifo_none, std::memory_order_relaxed);
    // Every visible or in-flight message, in send order, back into its group.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> messages;
    for (std::uint32_t slot = 0; slot < region_->slot_count(); ++slot) {
        const SlotState state = SlotWord{region_->slot(slot).state.load(std::memory_order_acquire)}.state();
        region_->fifo_slot(slot).group_index = fifo_none;
        if (state == SlotState::ready || state == SlotState::in_flight) {
            messages.emplace_back(region_->fifo_slot(slot).sequence, slot);
        }
    }
    std::sort(messages.begin(), messages.end());
    std::vector<std::uint32_t> order;
    for (const auto& [sequence, slot] : messages) {
        (void)sequence;
        const std::uint32_t group = group_find_or_insert(region_->fifo_slot(slot).group);
        if (group == fifo_none) {
            continue;
        }
        if (region_->group_entry(group).head == fifo_none) {
            order.push_back(group);
        }
        group_link_sorted(group, slot);
    }
    for (const std::uint32_t group : order) {
        if (group_head_ready(region_->group_entry(group))) {
            ready_push(group);
        }
    }
    ++fifo.repairs_total;
    fifo_rebuild_pending_ = false;
}

} // namespace shmq::engine
