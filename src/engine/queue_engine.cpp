// The message protocols on a region (see queue_engine.h and docs/memory-ordering.md).
#include "engine/queue_engine.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stop_token>

#include "engine/config_store.h"
#include "engine/crash_point.h"
#include "engine/fifo_lock.h"
#include "engine/process_liveness.h"
#include "engine/wait_set.h"
#include "sqs/fifo_ids.h"
#include "sqs/message_validation.h"

namespace shmq::engine {

using layout::SlotHeader;
using layout::SlotState;
using layout::SlotWord;

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t ns_per_ms = 1'000'000;
constexpr std::int64_t never_ns = INT64_MAX;

// Bumped in the child after fork, so a handle inherited across fork re-registers (its process
// entry belongs to the parent).
std::atomic<std::uint32_t> fork_generation{0};
std::once_flag fork_hook_once;

void install_fork_hook() {
    std::call_once(fork_hook_once, [] {
        pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
    });
}

void fetch_min(std::atomic<std::int64_t>& target, std::int64_t value) noexcept {
    std::int64_t current = target.load(std::memory_order_acquire);
    while (value < current &&
           !target.compare_exchange_weak(current, value, std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
}

std::uint64_t blob_tag(std::uint32_t slot, std::uint32_t generation) noexcept {
    return (std::uint64_t{1} << 63) | (std::uint64_t{slot} << 32) | generation;
}

std::uint64_t splitmix(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Our own entry's counters have one writer: a plain add, no locked instruction.
void add_local(std::atomic<std::uint64_t>& counter, std::uint64_t amount, std::memory_order) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

Status invalid_parameter(std::string_view parameter, std::int64_t value, std::string_view reason) {
    return {Errc::invalid_parameter_value, "Value " + std::to_string(value) + " for parameter " +
                                               std::string(parameter) + " is invalid. Reason: " + std::string(reason)};
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Attaching

QueueEngine::QueueEngine(std::shared_ptr<region::Region> region, std::string directory, const Clock& clock)
    : region_(std::move(region)), directory_(std::move(directory)), clock_(clock), header_(region_->header()) {}

Result<std::unique_ptr<QueueEngine>> QueueEngine::attach(std::shared_ptr<region::Region> region, std::string directory,
                                                         const Clock& clock) {
    install_fork_hook();
    std::unique_ptr<QueueEngine> engine(new QueueEngine(std::move(region), std::move(directory), clock));
    if (Status status = engine->register_process(); !status) {
        return status.error();
    }
    std::uint64_t seed[2]{};
    if (getentropy(seed, sizeof seed) != 0) {
        return Error{Errc::system_error, std::string("getentropy: ") + std::strerror(errno)};
    }
    engine->random_state_[0] = seed[0];
    engine->random_state_[1] = seed[1];
    engine->uid_ = static_cast<std::uint32_t>(getuid());
    return engine;
}

Status QueueEngine::register_process() {
    pid_ = static_cast<std::uint32_t>(getpid());
    fork_generation_ = fork_generation.load(std::memory_order_relaxed);
    const std::uint64_t start_ticks = process_start_ticks(pid_);
    for (std::uint32_t attempt = 0; attempt < 2; ++attempt) {
        for (std::uint32_t i = 0; i < limits::process_table_entries; ++i) {
            layout::ProcessEntry& entry = header_.processes[i];
            std::uint32_t expected = 0;
            if (entry.pid.load(std::memory_order_relaxed) == 0 &&
                entry.pid.compare_exchange_strong(expected, pid_, std::memory_order_acq_rel)) {
                entry.start_ticks.store(start_ticks, std::memory_order_relaxed);
                entry.pending_count.store(0, std::memory_order_relaxed);
                entry.sent.store(0, std::memory_order_relaxed);
                entry.received.store(0, std::memory_order_relaxed);
                entry.deleted.store(0, std::memory_order_release);
                process_index_ = i;
                me_ = &entry;
                return {};
            }
        }
        check_liveness(); // the table may hold dead processes: reclaim and retry once
    }
    return {Errc::over_limit, "too many processes attached to queue " + name() + " (255)"};
}

void QueueEngine::ensure_registered() {
    if (fork_generation.load(std::memory_order_relaxed) != fork_generation_) {
        // Inherited across fork: the entry is the parent's; take our own.
        me_ = nullptr;
        (void)register_process();
    }
}

QueueEngine::~QueueEngine() {
    if (me_ != nullptr && fork_generation.load(std::memory_order_relaxed) == fork_generation_) {
        header_.sent_total.fetch_add(me_->sent.load(std::memory_order_relaxed), std::memory_order_relaxed);
        header_.received_total.fetch_add(me_->received.load(std::memory_order_relaxed), std::memory_order_relaxed);
        header_.deleted_total.fetch_add(me_->deleted.load(std::memory_order_relaxed), std::memory_order_relaxed);
        me_->pending_count.store(0, std::memory_order_relaxed);
        // Start time first: the next owner claims the pid, then stores its start time, and a
        // liveness check in between must not see ours beside its pid (it would judge a live
        // process dead and recover its slots under it). 0 means "judge by pid only".
        me_->start_ticks.store(0, std::memory_order_relaxed);
        me_->pid.store(0, std::memory_order_release);
    }
}

Status QueueEngine::check_usable() {
    ensure_registered();
    if (me_ == nullptr) {
        return {Errc::over_limit, "too many processes attached to queue " + name() + " (255)"};
    }
    if (header_.deleted.load(std::memory_order_relaxed) != 0) {
        return {Errc::queue_does_not_exist, "The specified queue does not exist."};
    }
    return {};
}

MessageId QueueEngine::next_message_id() noexcept {
    // 64 random bits fixed per handle (from getentropy) and 64 bits from a splitmix sequence
    // (a bijection of a counter): unique per handle, unpredictable enough, one mix per id.
    MessageId id;
    const std::uint64_t high = random_state_[0];
    const std::uint64_t low = splitmix(random_state_[1]);
    std::memcpy(id.bytes.data(), &high, 8);
    std::memcpy(id.bytes.data() + 8, &low, 8);
    id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0F) | 0x40); // UUID version 4
    id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
    return id;
}

// ---------------------------------------------------------------------------------------------
// Pending list: slots whose ring push may not have happened if we die now. Recovery re-pushes
// them according to their state; duplicates in a ring are harmless (pops validate).

void QueueEngine::pend(std::span<const std::uint32_t> slots) noexcept {
    for (std::size_t i = 0; i < slots.size(); ++i) {
        me_->pending_slot[i].store(slots[i], std::memory_order_relaxed);
    }
    me_->pending_count.store(static_cast<std::uint32_t>(slots.size()), std::memory_order_release);
}

void QueueEngine::unpend() noexcept {
    me_->pending_count.store(0, std::memory_order_release);
}

// ---------------------------------------------------------------------------------------------
// Slots

void QueueEngine::prefetch_slots_for_write(const ring::CellRing& ring, std::uint32_t count) const noexcept {
    // The slot headers we are about to CAS were last written by another core. Asking for them
    // in exclusive state (PREFETCHW) all at once overlaps the misses and saves the
    // shared-then-exclusive double transfer of a load followed by a CAS.
    const std::uint32_t slot_count = region_->slot_count();
    ring.peek(count, [&](std::uint32_t value) {
        const std::uint32_t slot = layout::ring_slot(value);
        if (slot < slot_count) {
            __builtin_prefetch(&region_->slot(slot), 1, 3);
        }
    });
}

std::byte* QueueEngine::payload_of(std::uint32_t slot) const noexcept {
    const std::uint32_t blob = region_->slot(slot).blob;
    if (blob == layout::blob_none) {
        return region_->slot_inline(slot);
    }
    return region_->blob_arena().data(blob);
}

bool QueueEngine::claim_free_slot(std::uint32_t& slot, SlotWord& word) noexcept {
    return claim_free_slots(1, &slot, &word) == 1;
}

std::uint32_t QueueEngine::claim_free_slots(std::uint32_t count, std::uint32_t* slots, SlotWord* words) noexcept {
    const std::uint32_t slot_count = region_->slot_count();
    const std::uint32_t owner = process_index_ + 1;
    std::uint32_t claimed = 0;
    prefetch_slots_for_write(region_->free_ring(), count);
    // Send protocol S1: peek a free-ring entry, CAS its slot FREE→WRITING (ours), consume.
    (void)region_->free_ring().pop(count, [&](std::uint32_t value) {
        const std::uint32_t candidate = layout::ring_slot(value);
        if (candidate >= slot_count) {
            return ring::ClaimResult::stale;
        }
        std::atomic<std::uint64_t>& state = region_->slot(candidate).state;
        SlotWord seen{state.load(std::memory_order_acquire)};
        if (seen.state() != SlotState::free || !layout::ring_generation_matches(value, seen.generation())) {
            return ring::ClaimResult::stale; // a duplicate entry, or one that outlived its slot's use
        }
        const SlotWord writing = seen.with(SlotState::writing, owner);
        if (!state.compare_exchange_strong(seen.raw, writing.raw, std::memory_order_acq_rel)) {
            return ring::ClaimResult::stale;
        }
        slots[claimed] = candidate;
        words[claimed] = writing;
        ++claimed;
        return ring::ClaimResult::claimed;
    });
    return claimed;
}

bool QueueEngine::claim_free_slot_blocking(std::uint32_t& slot, SlotWord& word, const SendOptions& options) {
    if (claim_free_slot(slot, word)) {
        return true;
    }
    if (!options.block_when_full) {
        finish_due_timers(clock_.now_ns()); // expiries may free room
        return claim_free_slot(slot, word);
    }
    const std::int64_t start = clock_.now_ns();
    const std::int64_t deadline = options.block_timeout_ns < 0 ? never_ns : start + options.block_timeout_ns;
    WaitSetRegistration registration(header_.writable, pid_);
    for (;;) {
        const std::uint32_t seen = header_.writable.futex_word.load(std::memory_order_seq_cst);
        if (claim_free_slot(slot, word)) {
            return true;
        }
        const std::int64_t now = clock_.now_ns();
        if (now >= deadline) {
            return false;
        }
        if (finish_due_timers(now)) {
            continue;
        }
        const std::int64_t until = std::min(deadline, header_.next_due_ns.load(std::memory_order_acquire));
        // Unregistered (64 sleepers already) or clock-driven: poll every millisecond.
        const std::int64_t wait =
            registration.registered() ? until - now : std::min<std::int64_t>(until - now, ns_per_ms);
        wait_on(header_.writable, seen, std::max<std::int64_t>(wait, ns_per_ms / 10));
    }
}

Errc QueueEngine::write_slot(std::uint32_t slot, SlotWord word, std::string_view body, std::size_t attributes_size,
                             const MessageAttributes* attributes, const sqs::EncodedAttributes* moved_attributes,
                             const sqs::AttributeTrailer& trailer, std::int64_t sent_ns) noexcept {
    SlotHeader& header = region_->slot(slot);
    const std::size_t total = body.size() + attributes_size;
    std::byte* payload = nullptr;
    if (total <= region_->inline_bytes()) {
        header.blob = layout::blob_none;
        payload = region_->slot_inline(slot);
    } else {
        // Tagged before recorded: recovery releases a block only if its tag names this message.
        const region::BlobTake taken = region_->blob_arena().take(total, blob_tag(slot, word.generation()));
        if (taken.reference == layout::blob_none) {
            return taken.shortage == region::BlobShortage::shm_space ? Errc::shm_full : Errc::queue_bytes_full;
        }
        header.blob = taken.reference;
        payload = region_->blob_arena().data(taken.reference);
    }
    // Send protocol S2: plain stores; S3's release store publishes them.
    std::memcpy(payload, body.data(), body.size());
    if (attributes_size != 0) {
        const std::span<std::byte> attribute_bytes(payload + body.size(), attributes_size);
        if (moved_attributes != nullptr) {
            sqs::reencode(*moved_attributes, trailer, attribute_bytes);
        } else {
            sqs::encode_attributes(attributes, trailer, attribute_bytes);
        }
    }
    header.body_size = static_cast<std::uint32_t>(body.size());
    header.attributes_size = static_cast<std::uint32_t>(attributes_size);
    header.sent_ns = sent_ns;
    header.sender_uid = uid_;
    header.receive_count.store(0, std::memory_order_relaxed);
    header.first_receive_delay_ms.store(0, std::memory_order_relaxed);
    return Errc::ok;
}

void QueueEngine::abandon_slot(std::uint32_t slot, SlotWord word) noexcept {
    // Nothing was published: back to FREE at the same generation.
    std::uint32_t one = slot;
    pend({&one, 1});
    region_->slot(slot).state.store(word.with(SlotState::free).raw, std::memory_order_release);
    (void)region_->free_ring().push(layout::ring_value(slot, word.generation()));
    unpend();
}

void QueueEngine::discard_written(std::uint32_t slot, SlotWord word) noexcept {
    release_blob(slot, word.generation());
    abandon_slot(slot, word);
}

void QueueEngine::publish(std::span<const std::uint32_t> slots, std::span<const std::int64_t> visible_at_ns,
                          std::int64_t now_ns) {
    pend(slots);
    journal_sent(slots);
    SHMQ_CRASH_POINT("send.before_publish");
    std::int64_t earliest_delay = never_ns;
    int ready = 0;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        SlotHeader& header = region_->slot(slots[i]);
        const SlotWord writing{header.state.load(std::memory_order_relaxed)};
        if (visible_at_ns[i] > now_ns) {
            header.deadline_ns.store(visible_at_ns[i], std::memory_order_relaxed);
            earliest_delay = std::min(earliest_delay, visible_at_ns[i]);
            // Send protocol S3: the release store publishes body and header.
            header.state.store(writing.with(SlotState::delayed).raw, std::memory_order_release);
        } else {
            header.state.store(writing.with(SlotState::ready).raw, std::memory_order_release);
        }
    }
    SHMQ_CRASH_POINT("send.after_publish");
    // Send protocol S4: list the visible ones, one ring pass for the batch.
    std::array<std::uint32_t, limits::send_batch_max> values{};
    std::array<std::uint32_t, limits::send_batch_max> listed_slots{};
    std::uint32_t to_list = 0;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        if (visible_at_ns[i] <= now_ns) {
            const SlotWord published{region_->slot(slots[i]).state.load(std::memory_order_relaxed)};
            listed_slots[to_list] = slots[i];
            values[to_list++] = layout::ring_value(slots[i], published.generation());
        }
    }
    const std::uint32_t listed = region_->ready_ring().push_many(values.data(), to_list);
    ready = static_cast<int>(listed);
    for (std::uint32_t i = listed; i < to_list; ++i) {
        // A full ring (only possible with many stale entries): the message becomes a due
        // delayed one, which the sweep lists later.
        SlotHeader& header = region_->slot(listed_slots[i]);
        SlotWord seen{header.state.load(std::memory_order_acquire)};
        header.deadline_ns.store(now_ns, std::memory_order_relaxed);
        if (header.state.compare_exchange_strong(seen.raw, seen.with(SlotState::delayed).raw,
                                                 std::memory_order_acq_rel)) {
            earliest_delay = std::min(earliest_delay, now_ns);
        }
    }
    unpend();
    SHMQ_CRASH_POINT("send.after_list");
    if (earliest_delay != never_ns) {
        note_deadline(earliest_delay);
    }
    note_deadline(now_ns + std::int64_t{header_.hot.retention_s.load(std::memory_order_relaxed)} * ns_per_s);
    if (ready > 0) {
        wake(header_.readable, ready);
    }
}

void QueueEngine::release_blob(std::uint32_t slot, std::uint32_t generation) noexcept {
    const std::uint32_t blob = region_->slot(slot).blob;
    if (blob == layout::blob_none) {
        return;
    }
    region_->blob_arena().release(blob, blob_tag(slot, generation));
}

void QueueEngine::finish_free(std::uint32_t slot, SlotWord freeing) noexcept {
    release_blob(slot, freeing.generation());
    tenant_forget(slot);
    journal_freed({&slot, 1});
    std::uint32_t one = slot;
    pend({&one, 1});
    SHMQ_CRASH_POINT("delete.before_free");
    const SlotWord free = SlotWord::make(SlotState::free, 0, freeing.epoch() + 1, freeing.generation() + 1);
    region_->slot(slot).state.store(free.raw, std::memory_order_release);
    SHMQ_CRASH_POINT("delete.after_free");
    (void)region_->free_ring().push(layout::ring_value(slot, free.generation()));
    unpend();
    wake(header_.writable, 1);
}

bool QueueEngine::free_message(std::uint32_t slot, SlotWord word) noexcept {
    std::atomic<std::uint64_t>& state = region_->slot(slot).state;
    const SlotWord freeing = word.with(SlotState::freeing, process_index_ + 1);
    if (!state.compare_exchange_strong(word.raw, freeing.raw, std::memory_order_acq_rel)) {
        return false;
    }
    finish_free(slot, freeing);
    return true;
}

MovedMessage QueueEngine::dead_letter_copy(std::uint32_t slot) const {
    const SlotHeader& header = region_->slot(slot);
    const std::byte* payload = payload_of(slot);
    MovedMessage moved;
    moved.body = {reinterpret_cast<const char*>(payload), header.body_size};
    moved.encoded_attributes = {reinterpret_cast<const char*>(payload) + header.body_size, header.attributes_size};
    if (auto parts = sqs::split_attributes(moved.encoded_attributes); parts) {
        moved.trailer = parts->trailer; // group and dedup ids travel with the message
    }
    moved.trailer.dead_letter_source = name();
    std::memcpy(moved.message_id.bytes.data(), header.message_id, 16);
    moved.sent_ns = header.sent_ns; // kept for standard destinations; FIFO ones reset it
    moved.sender_uid = header.sender_uid;
    moved.receive_count = header.receive_count.load(std::memory_order_relaxed);
    return moved;
}

void QueueEngine::record_receive(SlotHeader& header, std::uint32_t receive_count, std::int64_t now_ns) noexcept {
    header.receive_count.store(receive_count, std::memory_order_relaxed);
    if (header.first_receive_delay_ms.load(std::memory_order_relaxed) == 0) {
        const std::int64_t delay_ms = std::max<std::int64_t>(0, (now_ns - header.sent_ns) / ns_per_ms);
        header.first_receive_delay_ms.store(
            static_cast<std::uint32_t>(std::min<std::int64_t>(delay_ms + 1, UINT32_MAX)), std::memory_order_relaxed);
    }
}

MessageView QueueEngine::view_of(std::uint32_t slot, std::uint32_t generation,
                                 std::uint32_t receive_count) const noexcept {
    const SlotHeader& header = region_->slot(slot);
    const std::byte* payload = payload_of(slot);
    MessageView view;
    std::memcpy(view.message_id.bytes.data(), header.message_id, 16);
    view.receipt_handle = ReceiptHandle{header_.queue_nonce, slot, generation, receive_count};
    view.body = {reinterpret_cast<const char*>(payload), header.body_size};
    view.encoded_attributes = {reinterpret_cast<const char*>(payload) + header.body_size, header.attributes_size};
    if (header.attributes_size != 0) {
        if (auto parts = sqs::split_attributes(view.encoded_attributes); parts) {
            view.dead_letter_source_queue = parts->trailer.dead_letter_source;
            view.message_group_id = parts->trailer.message_group_id;
            view.message_deduplication_id = parts->trailer.message_deduplication_id;
            view.aws_trace_header = parts->trailer.aws_trace_header;
        }
    }
    if (header_.fifo != 0) {
        view.sequence_number = region_->fifo_slot(slot).sequence;
    }
    view.sent_timestamp_ms = header.sent_ns / ns_per_ms;
    const std::uint32_t first = header.first_receive_delay_ms.load(std::memory_order_relaxed);
    view.first_receive_timestamp_ms = first == 0 ? 0 : view.sent_timestamp_ms + first - 1;
    view.receive_count = receive_count;
    view.sender_uid = header.sender_uid;
    return view;
}

// ---------------------------------------------------------------------------------------------
// SendMessage(Batch)

Status QueueEngine::send_batch(std::span<const SendEntry> entries, std::span<SendOutcome> outcomes,
                               const SendOptions& options, bool batch_request) {
    if (entries.empty()) {
        return {Errc::empty_batch_request, "There should be at least one SendMessageBatchRequestEntry in the request."};
    }
    if (entries.size() > limits::send_batch_max) {
        return {Errc::too_many_entries_in_batch,
                "Maximum number of entries per request are 10. You have sent " + std::to_string(entries.size()) + "."};
    }
    if (outcomes.size() < entries.size()) {
        return {Errc::invalid_parameter_value, "outcomes must have room for every entry"};
    }
    if (Status status = check_usable(); !status) {
        return status;
    }
    const std::int64_t now = clock_.now_ns();
    if (now >= header_.next_due_ns.load(std::memory_order_relaxed)) {
        advance_timers_slow(now);
    }
    const std::size_t maximum_size = header_.hot.maximum_message_size.load(std::memory_order_relaxed);
    const std::int64_t queue_delay_s = header_.hot.delay_s.load(std::memory_order_relaxed);
    // SQS refuses a SendMessageBatch whole when its entries add up to more than 1 MiB, bodies
    // and attributes as it counts them, a single oversized entry included; a lone SendMessage
    // that is too long is InvalidParameterValue instead (validate_message).
    std::size_t batch_bytes = 0;
    for (const SendEntry& entry : entries) {
        batch_bytes +=
            entry.attributes == nullptr ? entry.body.size() : sqs::counted_size(entry.body, entry.attributes);
    }
    if (batch_request && batch_bytes > limits::message_size_max) {
        return {Errc::batch_request_too_long, "Batch requests cannot be longer than 1048576 bytes. You have sent " +
                                                  std::to_string(batch_bytes) + " bytes."};
    }
    if (fifo()) {
        return fifo_send_batch(entries, outcomes, options, now, batch_request);
    }
    const bool sync = header_.hot.durability.load(std::memory_order_relaxed) == layout::durability_sync;
    if (sync) {
        // No shmqd: fail before enqueuing anything (or wait for one, if the caller said so).
        if (Status status = await_journal_daemon(options); !status) {
            return status;
        }
    }

    std::array<std::uint32_t, limits::send_batch_max> slots{};
    std::array<std::int64_t, limits::send_batch_max> visible_at{};
    std::uint32_t valid = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const SendEntry& entry = entries[i];
        SendOutcome& outcome = outcomes[i];
        outcome = SendOutcome{};
        const bool has_ids = !entry.message_group_id.empty() || !entry.message_deduplication_id.empty();
        if (has_ids) {
            outcome.error = sqs::validate_fifo_fields(entry, false, false).code();
        }
        if (outcome.error == Errc::ok && !entry.aws_trace_header.empty()) {
            outcome.error = sqs::validate_aws_trace_header(entry.aws_trace_header).code();
        }
        if (outcome.error != Errc::ok) {
            continue;
        }
        if (entry.attributes == nullptr && !has_ids) {
            outcome.error = sqs::check_plain_message(entry.body, maximum_size);
        } else if (Status status = sqs::validate_message(entry.body, entry.attributes, maximum_size); !status) {
            outcome.error = status.code();
        }
        if (outcome.error != Errc::ok) {
            continue;
        }
        if (entry.delay_seconds > limits::delay_s_max) {
            outcome.error = Errc::invalid_parameter_value;
        } else {
            ++valid;
        }
    }
    // S1 for the whole batch at once (one pass over the free ring); a full queue then falls
    // back to one slot at a time, blocking if asked to.
    std::array<std::uint32_t, limits::send_batch_max> free_slots{};
    std::array<SlotWord, limits::send_batch_max> free_words{};
    const std::uint32_t available = claim_free_slots(valid, free_slots.data(), free_words.data());
    std::uint32_t next_free = 0;
    std::size_t claimed = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const SendEntry& entry = entries[i];
        SendOutcome& outcome = outcomes[i];
        if (outcome.error != Errc::ok) {
            continue;
        }
        const std::int64_t delay_s = entry.delay_seconds < 0 ? queue_delay_s : entry.delay_seconds;
        // A MessageGroupId on a standard queue is kept, returned, and names a fair-queue tenant.
        const sqs::AttributeTrailer trailer{{}, entry.message_group_id, {}, entry.aws_trace_header};
        const std::size_t attributes_size =
            entry.attributes == nullptr && entry.message_group_id.empty() && entry.aws_trace_header.empty()
                ? 0
                : sqs::encoded_attributes_size(entry.attributes, trailer);
        std::uint32_t slot = 0;
        SlotWord word;
        if (next_free < available) {
            slot = free_slots[next_free];
            word = free_words[next_free];
            ++next_free;
        } else if (!claim_free_slot_blocking(slot, word, options)) {
            outcome.error = options.block_when_full ? Errc::timed_out : Errc::queue_full;
            continue;
        }
        SHMQ_CRASH_POINT("send.after_claim");
        if (const Errc written =
                write_slot(slot, word, entry.body, attributes_size, entry.attributes, nullptr, trailer, now);
            written != Errc::ok) {
            abandon_slot(slot, word);
            outcome.error = written;
            continue;
        }
        outcome.message_id = next_message_id();
        std::memcpy(region_->slot(slot).message_id, outcome.message_id.bytes.data(), 16);
        if (!entry.message_group_id.empty()) {
            tenant_remember(slot, entry.message_group_id);
        }
        slots[claimed] = slot;
        visible_at[claimed] = now + delay_s * ns_per_s;
        ++claimed;
    }
    if (claimed > 0) {
        publish({slots.data(), claimed}, {visible_at.data(), claimed}, now);
        add_local(me_->sent, claimed, std::memory_order_relaxed);
        if (sync && !await_durable(last_journal_position_, options)) {
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (outcomes[i].error == Errc::ok) {
                    outcomes[i].error = Errc::not_durable; // enqueued, durability unknown
                }
            }
        }
    }
    return {};
}

Status QueueEngine::explain_entry(const SendEntry& entry) const {
    const std::size_t maximum_size = header_.hot.maximum_message_size.load(std::memory_order_relaxed);
    if (Status status = sqs::validate_message(entry.body, entry.attributes, maximum_size); !status) {
        return status;
    }
    if (entry.delay_seconds > limits::delay_s_max) {
        return sqs::validate_delay_seconds(entry.delay_seconds);
    }
    if (!entry.aws_trace_header.empty()) {
        if (Status status = sqs::validate_aws_trace_header(entry.aws_trace_header); !status) {
            return status;
        }
    }
    const std::uint32_t flags = header_.hot.fifo_flags.load(std::memory_order_relaxed);
    const bool id_optional = (flags & layout::fifo_content_based_deduplication) != 0 ||
                             (fifo() && region_->fifo_header().dedup_capacity == 0);
    return sqs::validate_fifo_fields(entry, fifo(), id_optional);
}

Status QueueEngine::capacity_error(Errc code) const {
    const std::string queue = "Queue " + name();
    switch (code) {
    case Errc::queue_bytes_full:
        return {code, queue + " is full: its message bodies fill MessageBytesCapacity (" +
                          std::to_string(header_.message_bytes_capacity) + " bytes); the message was not sent."};
    case Errc::shm_full:
        return {code, queue + ": no space left in /dev/shm for the queue's message bodies; the message was not sent."};
    case Errc::timed_out:
        return {code, queue + " stayed full (MessageCapacity, " + std::to_string(region_->slot_count()) +
                          " messages) until the send timed out."};
    default:
        return {Errc::queue_full, queue + " is full: it holds MessageCapacity (" +
                                      std::to_string(region_->slot_count()) + " messages); the message was not sent."};
    }
}

Status QueueEngine::send_moved(const MovedMessage& message) {
    if (Status status = check_usable(); !status) {
        return status;
    }
    if (fifo()) {
        return fifo_send_moved(message);
    }
    auto parts = sqs::split_attributes(message.encoded_attributes);
    if (!parts) {
        return parts.error();
    }
    const std::int64_t now = clock_.now_ns();
    std::uint32_t slot = 0;
    SlotWord word;
    if (!claim_free_slot(slot, word)) {
        return capacity_error(Errc::queue_full);
    }
    const std::size_t attributes_size = sqs::reencoded_size(*parts, message.trailer);
    if (const Errc written =
            write_slot(slot, word, message.body, attributes_size, nullptr, &*parts, message.trailer, message.sent_ns);
        written != Errc::ok) {
        abandon_slot(slot, word);
        return capacity_error(written);
    }
    region_->slot(slot).sender_uid = message.sender_uid;
    region_->slot(slot).receive_count.store(message.receive_count, std::memory_order_relaxed);
    std::memcpy(region_->slot(slot).message_id, message.message_id.bytes.data(), 16);
    if (!message.trailer.message_group_id.empty()) {
        tenant_remember(slot, message.trailer.message_group_id);
    }
    const std::int64_t visible_at = now;
    publish({&slot, 1}, {&visible_at, 1}, now);
    add_local(me_->sent, 1, std::memory_order_relaxed);
    return {};
}

// ---------------------------------------------------------------------------------------------
// ReceiveMessage

std::uint32_t QueueEngine::try_receive(std::uint32_t max, std::int64_t visibility_ns, std::int64_t now_ns,
                                       std::array<std::uint32_t, limits::receive_batch_max>& slots,
                                       std::array<std::uint32_t, limits::receive_batch_max>& generations,
                                       ReceiveAttempt* attempt) {
    if (fifo()) {
        return fifo_try_receive(max, visibility_ns, now_ns, slots, generations, attempt);
    }
    ReceiveBatch batch{slots, generations};
    batch.now_ns = now_ns;
    batch.deadline_ns = now_ns + visibility_ns;
    batch.retention_ns = std::int64_t{header_.hot.retention_s.load(std::memory_order_relaxed)} * ns_per_s;
    batch.max_receive_count = header_.hot.max_receive_count.load(std::memory_order_relaxed);
    // Noted before any claim: a receiver killed right after claiming must still have its
    // deadline reach the timer sweep, or the message would wait for an unrelated pass.
    note_deadline(batch.deadline_ns);
    if (tenants_seen()) {
        return fair_try_receive(max, batch);
    }
    prefetch_slots_for_write(region_->ready_ring(), max);
    (void)region_->ready_ring().pop(
        max, [&](std::uint32_t value) { return claim_for_receive(value, batch, TenantFilter::none); });
    return batch.taken;
}

ring::ClaimResult QueueEngine::claim_for_receive(std::uint32_t value, ReceiveBatch& batch,
                                                 TenantFilter filter) noexcept {
    const std::uint32_t candidate = layout::ring_slot(value);
    if (candidate >= region_->slot_count()) {
        return ring::ClaimResult::stale;
    }
    SlotHeader& header = region_->slot(candidate);
    SlotWord seen{header.state.load(std::memory_order_acquire)};
    for (int attempt = 0; attempt < 4; ++attempt) {
        if (seen.state() != SlotState::ready || !layout::ring_generation_matches(value, seen.generation())) {
            return ring::ClaimResult::stale; // taken, deleted, or a duplicate entry
        }
        if (header.sent_ns + batch.retention_ns <= batch.now_ns) {
            // Past MessageRetentionPeriod: deleted instead of delivered.
            if (free_message(candidate, seen)) {
                header_.expired_total.fetch_add(1, std::memory_order_relaxed);
                return ring::ClaimResult::stale;
            }
            seen.raw = header.state.load(std::memory_order_acquire);
            continue;
        }
        if (filter != TenantFilter::none && tenant_noisy(region_->tenant_of(candidate))) {
            if (filter == TenantFilter::stop_at_noisy) {
                return ring::ClaimResult::stop;
            }
            // Set aside: listed in the deferred ring first, so the entry consumed here is never
            // the message's only one (a receiver killed in between leaves a harmless duplicate).
            if (batch.deferrals_left > 0 && region_->deferred_ring().push(value)) {
                --batch.deferrals_left;
                return ring::ClaimResult::stale;
            }
            if (batch.deferrals_left == 0) {
                return ring::ClaimResult::stop; // bounded work per receive: the deferred pass follows
            }
        }
        const std::uint32_t receive_count = header.receive_count.load(std::memory_order_relaxed) + 1;
        if (batch.max_receive_count != 0 && receive_count > batch.max_receive_count &&
            dead_letter(candidate, seen, batch.now_ns)) {
            return ring::ClaimResult::stale;
        }
        // Receive protocol R1: the deadline first, so a sweeper that sees IN_FLIGHT (acquire)
        // also sees this deadline, never the previous receive's.
        header.deadline_ns.store(batch.deadline_ns, std::memory_order_relaxed);
        // R2: claim. The epoch moves on, so a concurrent expiry CAS of an older state fails.
        if (header.state.compare_exchange_strong(seen.raw, seen.with(SlotState::in_flight).raw,
                                                 std::memory_order_acq_rel, std::memory_order_acquire)) {
            record_receive(header, receive_count, batch.now_ns);
            (*batch.slots)[batch.taken] = candidate;
            (*batch.generations)[batch.taken] = seen.generation();
            ++batch.taken;
            SHMQ_CRASH_POINT("receive.after_claim");
            return ring::ClaimResult::claimed;
        }
    }
    return ring::ClaimResult::stale;
}

Result<std::uint32_t> QueueEngine::receive(const ReceiveRequest& request, RawVisitor visit, void* context) {
    if (request.max_number_of_messages < 1 || request.max_number_of_messages > limits::receive_batch_max) {
        return invalid_parameter("MaxNumberOfMessages", request.max_number_of_messages,
                                 "Must be between 1 and 10, if provided.")
            .error();
    }
    if (request.visibility_timeout_s > limits::visibility_timeout_s_max || request.visibility_timeout_s < -1) {
        return invalid_parameter("VisibilityTimeout", request.visibility_timeout_s,
                                 "Must be >= 0 and <= 43200, if provided.")
            .error();
    }
    if (request.wait_time_s > limits::wait_time_s_max || request.wait_time_s < -1) {
        return invalid_parameter("WaitTimeSeconds", request.wait_time_s, "Must be >= 0 and <= 20, if provided.")
            .error();
    }
    if (!request.receive_request_attempt_id.empty() && !sqs::is_valid_fifo_id(request.receive_request_attempt_id)) {
        return Error{Errc::invalid_parameter_value,
                     "Value " + std::string(request.receive_request_attempt_id) +
                         " for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only "
                         "include alphanumeric and punctuation characters. 1 to 128 in length."};
    }
    if (Status status = check_usable(); !status) {
        return status.error();
    }
    // ReceiveRequestAttemptId (FIFO; SQS ignores it on standard queues): a retry gets the same.
    const bool attempt = fifo() && !request.receive_request_attempt_id.empty();
    // Polling fast path: nothing listed and no timer due means nothing to receive, decided
    // with two shared loads and one clock read. (A coarse clock would be cheaper, but here it
    // lags by more than its stated resolution, which would hide a timer that is due.)
    const bool short_poll =
        request.wait_time_s == 0 ||
        (request.wait_time_s < 0 && header_.hot.receive_wait_time_s.load(std::memory_order_relaxed) == 0);
    if (short_poll && !attempt && nothing_listed() &&
        clock_.now_ns() < header_.next_due_ns.load(std::memory_order_relaxed)) {
        return 0u;
    }
    std::int64_t now = clock_.now_ns();
    if (now >= header_.next_due_ns.load(std::memory_order_relaxed)) {
        advance_timers_slow(now);
    }
    const std::int64_t visibility_s =
        request.visibility_timeout_s >= 0
            ? std::int64_t{request.visibility_timeout_s}
            : std::int64_t{header_.hot.visibility_timeout_s.load(std::memory_order_relaxed)};
    const std::int64_t wait_s = request.wait_time_s >= 0
                                    ? std::int64_t{request.wait_time_s}
                                    : std::int64_t{header_.hot.receive_wait_time_s.load(std::memory_order_relaxed)};
    std::array<std::uint32_t, limits::receive_batch_max> slots{};
    std::array<std::uint32_t, limits::receive_batch_max> generations{};
    const std::int64_t visibility_ns = visibility_s * ns_per_s;
    ReceiveAttempt attempt_of_request{request.receive_request_attempt_id};
    ReceiveAttempt* const replayable = attempt ? &attempt_of_request : nullptr;
    // Each attempt takes at most what the caller's budget affords right then (see ReceiveBudget);
    // room reserved for messages not taken goes back.
    const auto take = [&](std::int64_t at) -> std::uint32_t {
        if (request.budget == nullptr) {
            return try_receive(request.max_number_of_messages, visibility_ns, at, slots, generations, replayable);
        }
        const std::uint32_t affordable = request.budget->reserve(request.max_number_of_messages, 1);
        attempt_of_request.replay_max = affordable;
        const std::uint32_t taken =
            affordable == 0 ? 0 : try_receive(affordable, visibility_ns, at, slots, generations, replayable);
        if (taken < affordable) {
            request.budget->give_back(affordable - taken);
        }
        return taken;
    };
    std::uint32_t count = take(now);
    if (attempt_of_request.unaffordable) {
        return 0u; // the same messages again cost more than the budget has now: none (the client retries)
    }
    if (count == 0 && finish_due_timers(now)) {
        count = take(now);
    }

    if (count == 0 && wait_s > 0) {
        // Long poll: spin briefly (a message in flight arrives within the wake-up cost), then
        // sleep on the readable futex until a send, a due timer, or the wait time.
        const std::int64_t wait_deadline = now + wait_s * ns_per_s;
        for (std::uint32_t spin = 0; spin < limits::spin_before_sleep && count == 0; ++spin) {
            if (!nothing_listed()) {
                count = take(clock_.now_ns());
            } else {
                __builtin_ia32_pause();
            }
        }
        if (count == 0) {
            WaitSetRegistration registration(header_.readable, pid_);
            // A stop moves the futex word and wakes the sleepers (the others find nothing and
            // sleep again): checked after seen is read, so a stop between the check and the
            // sleep still ends the sleep at once.
            const std::stop_callback wake_on_stop(request.stop, [this] {
                header_.readable.futex_word.fetch_add(1, std::memory_order_seq_cst);
                futex_wake_word(header_.readable.futex_word, INT_MAX);
            });
            while (count == 0) {
                const std::uint32_t seen = header_.readable.futex_word.load(std::memory_order_seq_cst);
                if (request.stop.stop_requested()) {
                    break; // nothing received: the caller is gone
                }
                now = clock_.now_ns();
                count = take(now);
                if (count > 0 || now >= wait_deadline) {
                    break;
                }
                if (finish_due_timers(now)) {
                    continue;
                }
                const std::int64_t until = std::min(wait_deadline, header_.next_due_ns.load(std::memory_order_acquire));
                std::int64_t timeout = until - now;
                if (!registration.registered()) {
                    timeout = std::min<std::int64_t>(timeout, ns_per_ms);
                }
                wait_on(header_.readable, seen, std::max<std::int64_t>(timeout, 1'000));
            }
        }
    }
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint32_t receive_count = region_->slot(slots[i]).receive_count.load(std::memory_order_relaxed);
        const MessageView view = view_of(slots[i], generations[i], receive_count);
        visit(context, view);
    }
    if (count > 0) {
        add_local(me_->received, count, std::memory_order_relaxed);
    }
    return count;
}

bool QueueEngine::dead_letter(std::uint32_t slot, SlotWord word, std::int64_t now_ns) {
    QueueEngine* target = dead_letter_queue();
    if (target == nullptr) {
        return false; // no usable dead-letter queue: deliver as usual
    }
    SlotHeader& header = region_->slot(slot);
    // Own the message first (FREEING: only we may touch it), copy it, then free it here. Dying
    // in between leaves it FREEING under our dead owner id: recovery frees it, and the copy in
    // the dead-letter queue is the one that counts (at-least-once).
    const SlotWord freeing = word.with(SlotState::freeing, process_index_ + 1);
    if (!header.state.compare_exchange_strong(word.raw, freeing.raw, std::memory_order_acq_rel)) {
        return false;
    }
    if (Status status = target->send_moved(dead_letter_copy(slot)); !status) {
        // Could not move it: give it back, visible, and deliver it normally this time.
        header.state.store(freeing.with(SlotState::ready).raw, std::memory_order_release);
        (void)now_ns;
        return false;
    }
    SHMQ_CRASH_POINT("dead_letter.after_copy");
    finish_free(slot, freeing);
    header_.dead_lettered_total.fetch_add(1, std::memory_order_relaxed);
    return true;
}

QueueEngine* QueueEngine::dead_letter_queue() {
    const std::uint32_t version = header_.hot.config_version.load(std::memory_order_acquire);
    if (version != dead_letter_config_version_) {
        dead_letter_config_version_ = version;
        auto config = read_config(*region_);
        const std::string target = config ? config->first.dead_letter_target_name : std::string{};
        if (target != dead_letter_name_) {
            dead_letter_name_ = target;
            dead_letter_engine_.reset();
        }
    }
    // Its own target (SQS accepts that, see check_redrive_target in client.cpp): moving the
    // message into the queue it is in would only reset its receive count; it is delivered instead.
    if (dead_letter_name_.empty() || dead_letter_name_ == name()) {
        return nullptr;
    }
    if (dead_letter_engine_ == nullptr || dead_letter_engine_->header_.deleted.load(std::memory_order_relaxed) != 0) {
        dead_letter_engine_.reset();
        auto region = region::Region::open(directory_, dead_letter_name_);
        if (!region) {
            return nullptr;
        }
        auto engine = attach(std::move(region.value()), directory_, clock_);
        if (!engine) {
            return nullptr;
        }
        dead_letter_engine_ = std::move(engine.value());
    }
    return dead_letter_engine_.get();
}

// ---------------------------------------------------------------------------------------------
// DeleteMessage, ChangeMessageVisibility

Status QueueEngine::delete_message(const ReceiptHandle& handle) {
    if (Status status = check_usable(); !status) {
        return status;
    }
    if (handle.queue_nonce != header_.queue_nonce || handle.slot >= region_->slot_count()) {
        return {Errc::receipt_handle_is_invalid,
                "The input receipt handle \"" + handle.to_string() + "\" is not a valid receipt handle."};
    }
    if (fifo()) {
        return fifo_delete(handle);
    }
    std::atomic<std::uint64_t>& state = region_->slot(handle.slot).state;
    for (int attempt = 0; attempt < 16; ++attempt) {
        const SlotWord seen{state.load(std::memory_order_acquire)};
        if (seen.generation() != handle.generation) {
            return {}; // already deleted: SQS answers success
        }
        switch (seen.state()) {
        case SlotState::ready:
        case SlotState::delayed:
        case SlotState::in_flight:
            // Delete protocol D1: own it (FREEING), then D2..D4 in finish_free.
            if (free_message(handle.slot, seen)) {
                add_local(me_->deleted, 1, std::memory_order_relaxed);
                return {};
            }
            continue; // the state moved under us (expiry, another receive): look again
        case SlotState::free:
        case SlotState::writing:
        case SlotState::freeing:
            return {}; // being deleted or never published under this generation
        }
    }
    return {};
}

void QueueEngine::delete_batch(std::span<const ReceiptHandle> handles, std::span<Errc> errors) {
    if (Status status = check_usable(); !status) {
        std::fill(errors.begin(), errors.end(), status.code());
        return;
    }
    if (fifo()) {
        fifo_delete_batch(handles, errors);
        return;
    }
    // D1 per message, then the rest for the whole batch (free_owned).
    std::array<std::uint32_t, limits::send_batch_max> freed{};
    std::uint32_t count = 0;
    const std::size_t n = std::min(handles.size(), errors.size());
    for (std::size_t i = 0; i < n; ++i) {
        const ReceiptHandle& handle = handles[i];
        errors[i] = Errc::ok;
        if (count == freed.size()) {
            errors[i] = delete_message(handle).code(); // beyond SQS's 10: one by one
            continue;
        }
        if (handle.queue_nonce != header_.queue_nonce || handle.slot >= region_->slot_count()) {
            errors[i] = Errc::receipt_handle_is_invalid;
            continue;
        }
        std::atomic<std::uint64_t>& state = region_->slot(handle.slot).state;
        for (int attempt = 0; attempt < 16; ++attempt) {
            SlotWord seen{state.load(std::memory_order_acquire)};
            const SlotState current = seen.state();
            if (seen.generation() != handle.generation ||
                (current != SlotState::ready && current != SlotState::delayed && current != SlotState::in_flight)) {
                break; // already gone: success, as SQS answers
            }
            const SlotWord freeing = seen.with(SlotState::freeing, process_index_ + 1);
            if (state.compare_exchange_strong(seen.raw, freeing.raw, std::memory_order_acq_rel)) {
                freed[count++] = handle.slot;
                break;
            }
        }
    }
    free_owned({freed.data(), count});
    add_local(me_->deleted, count, std::memory_order_relaxed);
}

void QueueEngine::free_owned(std::span<const std::uint32_t> slots) noexcept {
    if (slots.empty()) {
        return;
    }
    // D2 per message, then D3 and D4 for the whole batch: one pending list, one ring pass, one
    // wake check.
    std::array<std::uint32_t, limits::send_batch_max> values{};
    for (std::size_t k = 0; k < slots.size(); ++k) {
        const SlotWord freeing{region_->slot(slots[k]).state.load(std::memory_order_relaxed)};
        release_blob(slots[k], freeing.generation());
        tenant_forget(slots[k]);
        values[k] = layout::ring_value(slots[k], freeing.generation() + 1);
    }
    journal_freed(slots);
    pend(slots);
    for (const std::uint32_t slot : slots) {
        std::atomic<std::uint64_t>& state = region_->slot(slot).state;
        const SlotWord freeing{state.load(std::memory_order_relaxed)};
        state.store(SlotWord::make(SlotState::free, 0, freeing.epoch() + 1, freeing.generation() + 1).raw,
                    std::memory_order_release);
    }
    SHMQ_CRASH_POINT("delete.after_free");
    (void)region_->free_ring().push_many(values.data(), static_cast<std::uint32_t>(slots.size()));
    unpend();
    wake(header_.writable, static_cast<int>(slots.size()));
}

Status QueueEngine::change_visibility(const ReceiptHandle& handle, std::int32_t timeout_s) {
    if (timeout_s < 0 || timeout_s > limits::visibility_timeout_s_max) {
        return invalid_parameter("VisibilityTimeout", timeout_s, "Must be >= 0 and <= 43200, if provided.");
    }
    if (Status status = check_usable(); !status) {
        return status;
    }
    if (handle.queue_nonce != header_.queue_nonce || handle.slot >= region_->slot_count()) {
        return {Errc::receipt_handle_is_invalid,
                "The input receipt handle \"" + handle.to_string() + "\" is not a valid receipt handle."};
    }
    if (fifo()) {
        return fifo_change_visibility(handle, timeout_s);
    }
    SlotHeader& header = region_->slot(handle.slot);
    const std::int64_t now = clock_.now_ns();
    const std::int64_t deadline = now + std::int64_t{timeout_s} * ns_per_s;
    for (int attempt = 0; attempt < 16; ++attempt) {
        SlotWord seen{header.state.load(std::memory_order_acquire)};
        if (seen.generation() != handle.generation || seen.state() == SlotState::free ||
            seen.state() == SlotState::freeing || seen.state() == SlotState::writing) {
            return {Errc::invalid_parameter_value, "Value " + handle.to_string() +
                                                       " for parameter ReceiptHandle is invalid. Reason: Message does "
                                                       "not exist or is not available for visibility timeout change."};
        }
        if (seen.state() != SlotState::in_flight ||
            header.receive_count.load(std::memory_order_relaxed) != handle.receive_count) {
            return {Errc::message_not_inflight, "Message is not in flight."};
        }
        // Same order as receive: deadline, then an epoch-bumping CAS that a racing expiry loses.
        header.deadline_ns.store(deadline, std::memory_order_relaxed);
        if (header.state.compare_exchange_strong(seen.raw, seen.with(SlotState::in_flight).raw,
                                                 std::memory_order_acq_rel)) {
            note_deadline(deadline);
            return {};
        }
    }
    return {Errc::message_not_inflight, "Message is not in flight."};
}

// ---------------------------------------------------------------------------------------------
// Timers: visibility, delay, retention, and dead-process recovery.

void QueueEngine::note_deadline(std::int64_t deadline_ns) noexcept {
    // Order matters: pending first. A sweep pass starting after this sees the slot (written
    // before); one already running takes pending_due into account when it ends.
    fetch_min(header_.pending_due_ns, deadline_ns);
    fetch_min(header_.next_due_ns, deadline_ns);
}

void QueueEngine::advance_timers() {
    if (!check_usable()) {
        return;
    }
    finish_due_timers(clock_.now_ns());
}

bool QueueEngine::finish_due_timers(std::int64_t now_ns) {
    // A pass visits timer_sweep_slots_per_call slots per step. A deadline noted behind the
    // cursor of a pass in progress is seen by the next pass, so finishing the current pass and
    // one more is the bound. Callers are on a path with nothing else to do (an empty receive,
    // a full send), where a due expiry is exactly what they wait for.
    const std::uint32_t steps_max = 2 * (region_->slot_count() / limits::timer_sweep_slots_per_call + 1) + 1;
    bool ran = false;
    for (std::uint32_t step = 0; step < steps_max; ++step) {
        const bool pass_running = header_.sweep_cursor.load(std::memory_order_acquire) != 0;
        if (!pass_running && now_ns < header_.next_due_ns.load(std::memory_order_acquire)) {
            break;
        }
        if (header_.sweep_lease_until_ns.load(std::memory_order_acquire) > now_ns) {
            break; // another process is sweeping
        }
        advance_timers_slow(now_ns);
        ran = true;
    }
    return ran;
}

void QueueEngine::advance_timers_slow(std::int64_t now_ns) {
    std::int64_t liveness_due = header_.liveness_due_ns.load(std::memory_order_acquire);
    if (now_ns >= liveness_due &&
        header_.liveness_due_ns.compare_exchange_strong(liveness_due, now_ns + limits::liveness_check_interval_ns,
                                                        std::memory_order_acq_rel)) {
        check_liveness();
    }
    const bool pass_running = header_.sweep_cursor.load(std::memory_order_acquire) != 0;
    const std::int64_t slot_due = std::min(header_.slot_due_ns.load(std::memory_order_acquire),
                                           header_.pending_due_ns.load(std::memory_order_acquire));
    if (pass_running || now_ns >= slot_due) {
        sweep_step(now_ns);
    } else {
        const std::int64_t next = std::min(slot_due, header_.liveness_due_ns.load(std::memory_order_acquire));
        header_.next_due_ns.store(next, std::memory_order_release);
        fetch_min(header_.next_due_ns, header_.pending_due_ns.load(std::memory_order_acquire));
    }
}

void QueueEngine::sweep_step(std::int64_t now_ns) {
    std::int64_t lease = header_.sweep_lease_until_ns.load(std::memory_order_acquire);
    if (lease > now_ns || !header_.sweep_lease_until_ns.compare_exchange_strong(lease, now_ns + limits::sweep_lease_ns,
                                                                                std::memory_order_acq_rel)) {
        return; // another process sweeps (or died doing so: its lease runs out)
    }
    const std::uint32_t slot_count = region_->slot_count();
    std::uint32_t cursor = header_.sweep_cursor.load(std::memory_order_acquire);
    if (cursor >= slot_count) {
        cursor = 0;
    }
    if (cursor == 0) {
        // A new pass: deadlines noted before now are in the slots it will scan.
        header_.sweep_pass_min_ns.store(never_ns, std::memory_order_relaxed);
        header_.pending_due_ns.store(never_ns, std::memory_order_seq_cst);
    }
    const std::uint32_t end = std::min(slot_count, cursor + limits::timer_sweep_slots_per_call);
    std::int64_t earliest = never_ns;
    for (std::uint32_t slot = cursor; slot < end; ++slot) {
        sweep_slot(slot, now_ns, earliest);
    }
    fetch_min(header_.sweep_pass_min_ns, earliest);
    if (end == slot_count) {
        header_.slot_due_ns.store(header_.sweep_pass_min_ns.load(std::memory_order_acquire), std::memory_order_release);
        header_.sweep_cursor.store(0, std::memory_order_release);
        const std::int64_t next = std::min(header_.slot_due_ns.load(std::memory_order_acquire),
                                           header_.liveness_due_ns.load(std::memory_order_acquire));
        header_.next_due_ns.store(next, std::memory_order_seq_cst);
        // A deadline noted while we computed `next` must not be lost.
        fetch_min(header_.next_due_ns, header_.pending_due_ns.load(std::memory_order_seq_cst));
    } else {
        header_.sweep_cursor.store(end, std::memory_order_release);
    }
    header_.sweep_lease_until_ns.store(0, std::memory_order_release);
}

void QueueEngine::make_visible(std::uint32_t slot, SlotWord word) noexcept {
    std::uint32_t one = slot;
    pend({&one, 1});
    if (region_->slot(slot).state.compare_exchange_strong(word.raw, word.with(SlotState::ready).raw,
                                                          std::memory_order_acq_rel)) {
        SHMQ_CRASH_POINT("sweep.after_visible");
        if (region_->ready_ring().push(layout::ring_value(slot, word.generation()))) {
            wake(header_.readable, 1);
        }
    }
    unpend();
}

void QueueEngine::sweep_slot(std::uint32_t slot, std::int64_t now_ns, std::int64_t& earliest_ns) {
    SlotHeader& header = region_->slot(slot);
    const std::int64_t retention_ns = std::int64_t{header_.hot.retention_s.load(std::memory_order_relaxed)} * ns_per_s;
    if (fifo()) {
        fifo_sweep_slot(slot, now_ns, retention_ns, earliest_ns);
        return;
    }
    const SlotWord seen{header.state.load(std::memory_order_acquire)};
    switch (seen.state()) {
    case SlotState::in_flight: {
        const std::int64_t deadline = header.deadline_ns.load(std::memory_order_acquire);
        if (deadline <= now_ns) {
            make_visible(slot, seen); // visibility timeout over
        } else {
            earliest_ns = std::min(earliest_ns, deadline);
        }
        return;
    }
    case SlotState::delayed:
    case SlotState::ready: {
        const std::int64_t expires = header.sent_ns + retention_ns;
        if (expires <= now_ns) {
            if (free_message(slot, seen)) {
                header_.expired_total.fetch_add(1, std::memory_order_relaxed);
            }
            return;
        }
        earliest_ns = std::min(earliest_ns, expires);
        if (seen.state() == SlotState::delayed) {
            const std::int64_t visible_at = header.deadline_ns.load(std::memory_order_acquire);
            if (visible_at <= now_ns) {
                make_visible(slot, seen);
            } else {
                earliest_ns = std::min(earliest_ns, visible_at);
            }
        }
        return;
    }
    case SlotState::free:
    case SlotState::writing:
    case SlotState::freeing:
        return; // owners that died are handled by recover_process
    }
}

void QueueEngine::check_liveness() {
    for (std::uint32_t i = 0; i < limits::process_table_entries; ++i) {
        layout::ProcessEntry& entry = header_.processes[i];
        std::uint32_t pid = entry.pid.load(std::memory_order_acquire);
        if (pid == 0 || pid == pid_) {
            continue;
        }
        const bool recovering = (pid & layout::ProcessEntry::recovering_bit) != 0;
        const std::uint32_t real_pid = pid & ~layout::ProcessEntry::recovering_bit;
        if (real_pid == pid_ ||
            process_alive(real_pid, recovering ? 0 : entry.start_ticks.load(std::memory_order_relaxed))) {
            continue;
        }
        if (!entry.pid.compare_exchange_strong(pid, pid_ | layout::ProcessEntry::recovering_bit,
                                               std::memory_order_acq_rel)) {
            continue;
        }
        recover_process(i);
    }
}

void QueueEngine::recover_process(std::uint32_t index) {
    layout::ProcessEntry& entry = header_.processes[index];
    const std::uint32_t slot_count = region_->slot_count();
    // 1. Pending slots: finish the ring push their owner may not have made.
    const std::uint32_t pending =
        std::min(entry.pending_count.load(std::memory_order_acquire), limits::pending_slots_per_process);
    std::array<std::uint32_t, limits::pending_slots_per_process> fifo_ready{};
    std::uint32_t fifo_ready_count = 0;
    for (std::uint32_t k = 0; k < pending; ++k) {
        const std::uint32_t slot = entry.pending_slot[k].load(std::memory_order_relaxed);
        if (slot >= slot_count) {
            continue;
        }
        const SlotWord seen{region_->slot(slot).state.load(std::memory_order_acquire)};
        if (seen.state() == SlotState::free) {
            (void)region_->free_ring().push(layout::ring_value(slot, seen.generation()));
        } else if (seen.state() == SlotState::ready && fifo()) {
            fifo_ready[fifo_ready_count++] = slot;
        } else if (seen.state() == SlotState::ready) {
            (void)region_->ready_ring().push(layout::ring_value(slot, seen.generation()));
        }
    }
    // 2. Slots it was writing or freeing: free them (a message it never finished sending was
    //    never acknowledged; one it was deleting or dead-lettering had been handed over).
    const std::uint32_t owner = index + 1;
    std::uint64_t recovered = 0;
    for (std::uint32_t slot = 0; slot < slot_count; ++slot) {
        std::atomic<std::uint64_t>& state = region_->slot(slot).state;
        SlotWord seen{state.load(std::memory_order_acquire)};
        if (seen.owner() != owner || (seen.state() != SlotState::writing && seen.state() != SlotState::freeing)) {
            continue;
        }
        release_blob(slot, seen.generation());
        tenant_forget(slot);
        if (seen.state() == SlotState::freeing) {
            journal_freed({&slot, 1}); // it was deleting a published message when it died
        }
        const SlotWord free = SlotWord::make(SlotState::free, 0, seen.epoch() + 1, seen.generation() + 1);
        if (state.compare_exchange_strong(seen.raw, free.raw, std::memory_order_acq_rel)) {
            (void)region_->free_ring().push(layout::ring_value(slot, free.generation()));
            ++recovered;
        }
    }
    header_.sent_total.fetch_add(entry.sent.load(std::memory_order_relaxed), std::memory_order_relaxed);
    header_.received_total.fetch_add(entry.received.load(std::memory_order_relaxed), std::memory_order_relaxed);
    header_.deleted_total.fetch_add(entry.deleted.load(std::memory_order_relaxed), std::memory_order_relaxed);
    header_.recovered_total.fetch_add(recovered + 1, std::memory_order_relaxed);
    entry.pending_count.store(0, std::memory_order_relaxed);
    entry.sent.store(0, std::memory_order_relaxed);
    entry.received.store(0, std::memory_order_relaxed);
    entry.deleted.store(0, std::memory_order_relaxed);
    entry.start_ticks.store(0, std::memory_order_relaxed); // as in ~QueueEngine: never beside a new pid
    entry.pid.store(0, std::memory_order_release);
    if (recovered > 0) {
        wake(header_.writable, static_cast<int>(std::min<std::uint64_t>(recovered, INT_MAX)));
    }
    // Whatever the dead process was doing, a full sweep pass soon looks at every slot.
    note_deadline(clock_.now_ns());
    if (fifo()) {
        // It may have died with messages taken out of their groups (dead-lettering) or a
        // half-made send: groups are rebuilt from slot states.
        FifoLock lock(*this, FifoLock::group);
        if (lock.locked()) {
            fifo_forget_unlisted({fifo_ready.data(), fifo_ready_count});
            fifo_repair();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Management helpers

Status QueueEngine::purge() {
    if (Status status = check_usable(); !status) {
        return status;
    }
    const std::int64_t now = clock_.now_ns();
    std::int64_t last = header_.last_purge_ns.load(std::memory_order_acquire);
    if (last != 0 && now - last < limits::purge_interval_s * ns_per_s) {
        return {Errc::purge_queue_in_progress,
                "Only one PurgeQueue operation on " + name() + " is allowed every 60 seconds."};
    }
    if (!header_.last_purge_ns.compare_exchange_strong(last, now, std::memory_order_acq_rel)) {
        return {Errc::purge_queue_in_progress,
                "Only one PurgeQueue operation on " + name() + " is allowed every 60 seconds."};
    }
    if (fifo()) {
        fifo_purge();
        return {};
    }
    for (std::uint32_t slot = 0; slot < region_->slot_count(); ++slot) {
        for (int attempt = 0; attempt < 4; ++attempt) {
            const SlotWord seen{region_->slot(slot).state.load(std::memory_order_acquire)};
            const SlotState state = seen.state();
            if (state != SlotState::ready && state != SlotState::delayed && state != SlotState::in_flight) {
                break;
            }
            if (free_message(slot, seen)) {
                break;
            }
        }
    }
    return {};
}

std::uint32_t QueueEngine::count_ready() const noexcept {
    std::uint32_t count = 0;
    for (std::uint32_t slot = 0; slot < region_->slot_count(); ++slot) {
        count +=
            SlotWord{region_->slot(slot).state.load(std::memory_order_relaxed)}.state() == SlotState::ready ? 1u : 0u;
    }
    return count;
}

std::uint32_t QueueEngine::drain(std::uint32_t max, const std::function<bool(const MovedMessage&)>& move) {
    if (!check_usable()) {
        return 0;
    }
    std::uint32_t moved_count = 0;
    std::array<std::uint32_t, limits::receive_batch_max> slots{};
    std::array<std::uint32_t, limits::receive_batch_max> generations{};
    while (moved_count < max) {
        const std::uint32_t want = std::min<std::uint32_t>(limits::receive_batch_max, max - moved_count);
        // Taken as a receive with a short visibility: if we die, the messages come back.
        const std::int64_t now = clock_.now_ns();
        const std::uint32_t count = try_receive(want, 30 * ns_per_s, now, slots, generations);
        if (count == 0) {
            break;
        }
        for (std::uint32_t i = 0; i < count; ++i) {
            SlotHeader& header = region_->slot(slots[i]);
            const MessageView view =
                view_of(slots[i], generations[i], header.receive_count.load(std::memory_order_relaxed));
            MovedMessage message;
            message.body = view.body;
            message.encoded_attributes = view.encoded_attributes;
            message.message_id = view.message_id;
            message.sent_ns = header.sent_ns;
            message.sender_uid = header.sender_uid;
            message.trailer = {view.dead_letter_source_queue, view.message_group_id, view.message_deduplication_id,
                               view.aws_trace_header};
            if (!move(message)) {
                // This message and the rest of the batch stay where they were, visible at once,
                // and their receive counts as they were: the move was not a receive.
                for (std::uint32_t k = i; k < count; ++k) {
                    SlotHeader& untouched = region_->slot(slots[k]);
                    const std::uint32_t receives = untouched.receive_count.fetch_sub(1, std::memory_order_relaxed);
                    (void)change_visibility(view_of(slots[k], generations[k], receives - 1).receipt_handle, 0);
                }
                return moved_count;
            }
            (void)delete_message(view.receipt_handle);
            ++moved_count;
        }
    }
    return moved_count;
}

QueueInspection QueueEngine::inspect() const {
    QueueInspection out;
    const layout::RegionHeader& h = header_;
    out.name = name();
    out.layout_version = h.layout_version.load(std::memory_order_acquire);
    out.region_bytes = h.region_bytes;
    out.slot_count = h.slot_count;
    out.inline_bytes = static_cast<std::uint32_t>(region_->inline_bytes());
    out.fifo_deduplication = fifo() && region_->fifo_header().dedup_capacity != 0;
    out.dedup_entries = fifo() ? region_->fifo_header().dedup_capacity : 0;
    out.permissions = region_->permissions();
    out.config_version = h.hot.config_version.load(std::memory_order_acquire);
    out.message_bytes_capacity = h.message_bytes_capacity;
    out.blob_chunks = region_->blob_arena().chunk_count();
    out.blob_chunks_carved = region_->blob_arena().chunks_carved();
    out.ready_ring_head = region_->ready_ring().head_hint();
    out.ready_ring_tail = region_->ready_ring().tail_hint();
    out.free_ring_head = region_->free_ring().head_hint();
    out.free_ring_tail = region_->free_ring().tail_hint();
    // A message whose visibility timeout or delay has run out is visible, as SQS counts it, even
    // before a send or receive moves the timers and lists it ready again.
    const std::int64_t now = clock_.now_ns();
    const auto visible_yet = [&](std::uint32_t slot) {
        return region_->slot(slot).deadline_ns.load(std::memory_order_relaxed) <= now;
    };
    for (std::uint32_t slot = 0; slot < h.slot_count; ++slot) {
        switch (SlotWord{region_->slot(slot).state.load(std::memory_order_relaxed)}.state()) {
        case SlotState::free:
            ++out.free;
            break;
        case SlotState::writing:
            ++out.writing;
            break;
        case SlotState::ready:
            ++out.ready;
            break;
        case SlotState::delayed:
            ++(visible_yet(slot) ? out.ready : out.delayed);
            break;
        case SlotState::in_flight:
            ++(visible_yet(slot) ? out.ready : out.in_flight);
            break;
        case SlotState::freeing:
            ++out.freeing;
            break;
        }
    }
    std::uint64_t sent = h.sent_total.load(std::memory_order_relaxed);
    std::uint64_t received = h.received_total.load(std::memory_order_relaxed);
    std::uint64_t deleted = h.deleted_total.load(std::memory_order_relaxed);
    for (const layout::ProcessEntry& entry : h.processes) {
        if (entry.pid.load(std::memory_order_relaxed) != 0) {
            ++out.registered_processes;
            sent += entry.sent.load(std::memory_order_relaxed);
            received += entry.received.load(std::memory_order_relaxed);
            deleted += entry.deleted.load(std::memory_order_relaxed);
        }
    }
    out.sleeping_receivers =
        static_cast<std::uint32_t>(__builtin_popcountll(h.readable.registered_mask.load(std::memory_order_relaxed)));
    out.next_timer_due_ns = h.next_due_ns.load(std::memory_order_relaxed);
    out.sent_total = sent;
    out.received_total = received;
    out.deleted_total = deleted;
    out.expired_total = h.expired_total.load(std::memory_order_relaxed);
    out.dead_lettered_total = h.dead_lettered_total.load(std::memory_order_relaxed);
    out.recovered_total = h.recovered_total.load(std::memory_order_relaxed);
    if (!fifo()) {
        inspect_tenants(out);
    }
    return out;
}

} // namespace shmq::engine
