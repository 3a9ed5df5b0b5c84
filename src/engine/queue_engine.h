// QueueEngine: the SQS message protocols on one region, for one process (one Queue handle).
// Protocols (docs/memory-ordering.md has the numbered steps):
//   send     claim a FREE slot from the free ring (peek, CAS FREE→WRITING, consume), write,
//            log the slots as pending, store READY|DELAYED (release), push to the ready ring
//   receive  peek the ready ring, store the deadline, CAS READY→IN_FLIGHT, consume the entry
//   delete   CAS →FREEING, release the blob, log pending, store FREE(gen+1), push free ring
//   timers   a bounded sweep over slot states (visibility, delay, retention), run lazily by
//            whichever call finds next_due_ns passed, under a lease
//   recovery dead processes are found by a liveness check each second; their pending slots
//            are re-pushed and their WRITING/FREEING slots freed
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "engine/process_liveness.h"
#include "region/region.h"
#include "shmq/clock.h"
#include "shmq/message.h"
#include "shmq/queue.h"
#include "sqs/attribute_codec.h"

namespace shmq::engine {

// A message being moved between queues (dead-lettering, move tasks) or put back by shmqd's
// recovery: identity is kept.
struct MovedMessage {
    std::string_view body;
    std::string_view encoded_attributes;
    sqs::AttributeTrailer trailer; // to store in the destination
    MessageId message_id;
    std::int64_t sent_ns = 0;
    std::uint32_t sender_uid = 0;
    // A move to a dead-letter queue: the receives so far, which the destination goes on counting
    // (as SQS does, recorded). 0 for redrives and recoveries: counted afresh.
    std::uint32_t receive_count = 0;
    // Recovery into a FIFO queue: the message keeps this SequenceNumber and its sent time, and
    // its deduplication id is remembered until sent_ns + the window. 0: a move (a new number).
    std::uint64_t sequence_number = 0;
};

class QueueEngine {
  public:
    using RawVisitor = void (*)(void* context, const MessageView& view);

    [[nodiscard]] static Result<std::unique_ptr<QueueEngine>> attach(std::shared_ptr<region::Region> region,
                                                                     std::string directory, const Clock& clock);
    ~QueueEngine();
    QueueEngine(const QueueEngine&) = delete;
    QueueEngine& operator=(const QueueEngine&) = delete;

    [[nodiscard]] const std::string& name() const noexcept { return region_->name(); }
    [[nodiscard]] region::Region& region() noexcept { return *region_; }

    // batch_request: SendMessageBatch, where SQS refuses the whole request for a FIFO entry
    // without its ids (SendMessage reports MissingParameter for the one message).
    [[nodiscard]] Status send_batch(std::span<const SendEntry> entries, std::span<SendOutcome> outcomes,
                                    const SendOptions& options, bool batch_request);
    [[nodiscard]] Status explain_entry(const SendEntry& entry) const;
    // A send refused for room (queue_full, queue_bytes_full, shm_full, or timed_out blocking on a
    // full queue), naming the limit reached.
    [[nodiscard]] Status capacity_error(Errc code) const;
    [[nodiscard]] Result<std::uint32_t> receive(const ReceiveRequest& request, RawVisitor visit, void* context);
    [[nodiscard]] Status delete_message(const ReceiptHandle& handle);
    void delete_batch(std::span<const ReceiptHandle> handles, std::span<Errc> errors);
    [[nodiscard]] Status change_visibility(const ReceiptHandle& handle, std::int32_t timeout_s);
    void advance_timers();
    [[nodiscard]] QueueInspection inspect() const;
    [[nodiscard]] std::uint32_t config_version() const noexcept {
        return header_.hot.config_version.load(std::memory_order_acquire);
    }
    [[nodiscard]] std::int32_t receive_wait_time_s() const noexcept {
        return static_cast<std::int32_t>(header_.hot.receive_wait_time_s.load(std::memory_order_relaxed));
    }
    [[nodiscard]] bool sends_wait_for_disk() const noexcept {
        return header_.hot.durability.load(std::memory_order_relaxed) == layout::durability_sync;
    }

    // Management helpers (Client).
    [[nodiscard]] Status purge();
    // Moves one message into this queue keeping its identity; queue_full when there is no room.
    [[nodiscard]] Status send_moved(const MovedMessage& message);
    // Recovery of a FIFO queue: a deleted message's deduplication id stays remembered for the
    // rest of its window (sent_ns + 5 minutes), as it would have without the reboot.
    [[nodiscard]] Status remember_deduplication(const MovedMessage& message);
    // Takes up to max READY messages out of this queue, giving each to move(message) which
    // returns true when it has stored the message elsewhere; those are then deleted here.
    std::uint32_t drain(std::uint32_t max, const std::function<bool(const MovedMessage&)>& move);
    // READY messages now (a scan; for move tasks and attributes).
    [[nodiscard]] std::uint32_t count_ready() const noexcept;

  private:
    QueueEngine(std::shared_ptr<region::Region> region, std::string directory, const Clock& clock);
    [[nodiscard]] Status register_process();
    void ensure_registered();
    [[nodiscard]] Status check_usable();

    // --- slots ---
    void prefetch_slots_for_write(const ring::CellRing& ring, std::uint32_t count) const noexcept;
    [[nodiscard]] bool claim_free_slot(std::uint32_t& slot, layout::SlotWord& word) noexcept;
    [[nodiscard]] std::uint32_t claim_free_slots(std::uint32_t count, std::uint32_t* slots,
                                                 layout::SlotWord* words) noexcept;
    [[nodiscard]] bool claim_free_slot_blocking(std::uint32_t& slot, layout::SlotWord& word,
                                                const SendOptions& options);
    // ok, or the limit that left no room for the body: queue_bytes_full (MessageBytesCapacity)
    // or shm_full (no pages left in the file system).
    [[nodiscard]] Errc write_slot(std::uint32_t slot, layout::SlotWord word, std::string_view body,
                                  std::size_t attributes_size, const MessageAttributes* attributes,
                                  const sqs::EncodedAttributes* moved_attributes, const sqs::AttributeTrailer& trailer,
                                  std::int64_t sent_ns) noexcept;
    void abandon_slot(std::uint32_t slot, layout::SlotWord word) noexcept;
    // abandon_slot for a slot write_slot filled (its blob goes back too).
    void discard_written(std::uint32_t slot, layout::SlotWord word) noexcept;
    void publish(std::span<const std::uint32_t> slots, std::span<const std::int64_t> visible_at_ns,
                 std::int64_t now_ns);
    // From FREEING (owned by us or a dead owner) to FREE(gen+1), in the free ring.
    void finish_free(std::uint32_t slot, layout::SlotWord freeing) noexcept;
    [[nodiscard]] bool free_message(std::uint32_t slot, layout::SlotWord word) noexcept;
    // finish_free for up to send_batch_max slots we hold FREEING, with one ring pass.
    void free_owned(std::span<const std::uint32_t> slots) noexcept;
    void release_blob(std::uint32_t slot, std::uint32_t generation) noexcept;
    // What a dead-letter move stores in the dead-letter queue (identity, ids, source queue).
    [[nodiscard]] MovedMessage dead_letter_copy(std::uint32_t slot) const;
    // ApproximateReceiveCount and ApproximateFirstReceiveTimestamp of a receive that claimed it.
    void record_receive(layout::SlotHeader& header, std::uint32_t receive_count, std::int64_t now_ns) noexcept;
    [[nodiscard]] MessageView view_of(std::uint32_t slot, std::uint32_t generation,
                                      std::uint32_t receive_count) const noexcept;
    [[nodiscard]] std::byte* payload_of(std::uint32_t slot) const noexcept;

    // --- receive ---
    // What one receive call has claimed so far, and the settings every claim checks.
    struct ReceiveBatch {
        ReceiveBatch(std::array<std::uint32_t, limits::receive_batch_max>& slots_out,
                     std::array<std::uint32_t, limits::receive_batch_max>& generations_out) noexcept
            : slots(&slots_out), generations(&generations_out) {}
        std::array<std::uint32_t, limits::receive_batch_max>* slots;
        std::array<std::uint32_t, limits::receive_batch_max>* generations;
        std::int64_t now_ns = 0;
        std::int64_t deadline_ns = 0;
        std::int64_t retention_ns = 0;
        std::uint32_t max_receive_count = 0;
        std::uint32_t deferrals_left = limits::fair_deferrals_per_receive;
        std::uint32_t taken = 0;
    };
    // How a claim treats a message of a noisy tenant (fair queues).
    enum class TenantFilter : std::uint8_t {
        none,          // deliver it like any other
        stop_at_noisy, // leave it where it is and stop
        defer_noisy,   // move it to the deferred ring and go on
    };
    // The claim callback of a ready- or deferred-ring pop: READY→IN_FLIGHT into batch.
    [[nodiscard]] ring::ClaimResult claim_for_receive(std::uint32_t value, ReceiveBatch& batch,
                                                      TenantFilter filter) noexcept;
    // A FIFO receive's ReceiveRequestAttemptId: replayed or recorded in the same critical section
    // as the take, so concurrent receives that share it all get the same messages.
    struct ReceiveAttempt {
        std::string_view id;
        std::uint32_t replay_max = limits::receive_batch_max; // what a receive budget affords now
        bool unaffordable = false;                            // the messages to replay are more than replay_max
    };
    [[nodiscard]] std::uint32_t try_receive(std::uint32_t max, std::int64_t visibility_ns, std::int64_t now_ns,
                                            std::array<std::uint32_t, limits::receive_batch_max>& slots,
                                            std::array<std::uint32_t, limits::receive_batch_max>& generations,
                                            ReceiveAttempt* attempt = nullptr);
    [[nodiscard]] bool dead_letter(std::uint32_t slot, layout::SlotWord word, std::int64_t now_ns);
    [[nodiscard]] QueueEngine* dead_letter_queue();

    // --- timers and recovery ---
    void note_deadline(std::int64_t deadline_ns) noexcept;
    void advance_timers_slow(std::int64_t now_ns);
    // Runs timer work until nothing is due; true if it did any.
    bool finish_due_timers(std::int64_t now_ns);
    void sweep_step(std::int64_t now_ns);
    void sweep_slot(std::uint32_t slot, std::int64_t now_ns, std::int64_t& earliest_ns);
    void make_visible(std::uint32_t slot, layout::SlotWord word) noexcept;
    void check_liveness();
    void recover_process(std::uint32_t index);
    void pend(std::span<const std::uint32_t> slots) noexcept;
    void unpend() noexcept;

    [[nodiscard]] MessageId next_message_id() noexcept;

    // --- Durability=async (journal_feed.cpp): what shmqd must journal ---
    // Lists slots (WRITING, ours, about to be published) / slots (FREEING, ours) for shmqd.
    void journal_sent(std::span<const std::uint32_t> slots) noexcept;
    void journal_freed(std::span<const std::uint32_t> slots) noexcept;
    [[nodiscard]] bool journal_daemon_alive() const noexcept;
    // Durability=sync: waits for a live shmqd before sending (options.durable_wait_ns), then
    // after it, until the journal_sends entry at position is durable.
    [[nodiscard]] Status await_journal_daemon(const SendOptions& options);
    [[nodiscard]] Status await_durable(std::uint64_t position, const SendOptions& options);
    std::uint64_t last_journal_position_ = 0; // of this handle's last send entry
    mutable ProcessWatch journal_daemon_watch_; // shmqd's claim, checked once or more per sync send
    std::int64_t durable_wait_ns_ = 0;          // moving average of await_durable's waits (steady clock)
    friend class JournalFeed;

    // --- fair queues (fair_dispatch.cpp): MessageGroupId as a tenant on standard queues ---
    [[nodiscard]] bool tenants_seen() const noexcept;
    // Counts the message now in slot (WRITING, ours) for its tenant.
    void tenant_remember(std::uint32_t slot, std::string_view group_id) noexcept;
    // Uncounts the message in slot (WRITING or FREEING, ours); nothing for tenant-less ones.
    void tenant_forget(std::uint32_t slot) noexcept;
    [[nodiscard]] bool tenant_noisy(std::uint16_t tenant) const noexcept;
    void inspect_tenants(QueueInspection& out) const;
    // Quiet tenants first: set-aside messages whose tenant calmed down, then the ready ring
    // setting noisy tenants' messages aside, then the set-aside ones.
    [[nodiscard]] std::uint32_t fair_try_receive(std::uint32_t max, ReceiveBatch& batch);

    // --- FIFO queues (fifo_engine.cpp): group order and deduplication under the FIFO mutexes ---
    friend class FifoLock;
    [[nodiscard]] bool fifo() const noexcept { return header_.fifo != 0; }
    [[nodiscard]] bool nothing_listed() const noexcept;
    [[nodiscard]] Status fifo_send_batch(std::span<const SendEntry> entries, std::span<SendOutcome> outcomes,
                                         const SendOptions& options, std::int64_t now_ns, bool batch_request);
    [[nodiscard]] Status fifo_send_moved(const MovedMessage& message);
    // The deduplication key of a message (the queue's DeduplicationScope applied).
    [[nodiscard]] layout::FifoKey deduplication_key_of(const sqs::AttributeTrailer& trailer) const noexcept;
    [[nodiscard]] std::uint32_t fifo_try_receive(std::uint32_t max, std::int64_t visibility_ns, std::int64_t now_ns,
                                                 std::array<std::uint32_t, limits::receive_batch_max>& slots,
                                                 std::array<std::uint32_t, limits::receive_batch_max>& generations,
                                                 ReceiveAttempt* attempt);
    // Group mutex held. What the attempt's earlier receive took, again (all of them, or none and
    // attempt.unaffordable); 0 when it is not remembered or its messages changed.
    [[nodiscard]] std::uint32_t fifo_replay_attempt(ReceiveAttempt& attempt, std::int64_t visibility_ns,
                                                    std::int64_t now_ns,
                                                    std::array<std::uint32_t, limits::receive_batch_max>& slots,
                                                    std::array<std::uint32_t, limits::receive_batch_max>& generations);
    // Group mutex held: remembers what this attempt took, for its retries.
    void fifo_record_attempt(std::string_view attempt_id, std::uint32_t count, std::int64_t now_ns,
                             const std::array<std::uint32_t, limits::receive_batch_max>& slots,
                             const std::array<std::uint32_t, limits::receive_batch_max>& generations);
    [[nodiscard]] Status fifo_delete(const ReceiptHandle& handle);
    void fifo_delete_batch(std::span<const ReceiptHandle> handles, std::span<Errc> errors);
    // Takes the message out of its group and makes the slot ours (FREEING); the caller frees it
    // after the lock (free_owned).
    [[nodiscard]] Status fifo_delete_locked(const ReceiptHandle& handle, std::int64_t now_ns, bool& relisted);
    [[nodiscard]] Status fifo_change_visibility(const ReceiptHandle& handle, std::int32_t timeout_s);
    void fifo_sweep_slot(std::uint32_t slot, std::int64_t now_ns, std::int64_t retention_ns, std::int64_t& earliest_ns);
    void fifo_purge();
    void fifo_repair();
    // Under the lock:
    std::uint32_t group_find_or_insert(const layout::FifoKey& key) noexcept;
    // Whether the group's oldest message is READY (then the group may be listed and served).
    [[nodiscard]] bool group_head_ready(const layout::GroupEntry& entry) const noexcept;
    // Lists the group when its oldest message is READY; releases its entry when it has none.
    void group_relist_or_release(std::uint32_t group) noexcept;
    void group_link_sorted(std::uint32_t group, std::uint32_t slot) noexcept;
    void group_unlink(std::uint32_t group, std::uint32_t slot) noexcept;
    void ready_push(std::uint32_t group) noexcept;
    std::uint32_t ready_pop() noexcept;
    void fifo_make_ready(std::uint32_t slot) noexcept;
    void fifo_unlink_message(std::uint32_t slot) noexcept;
    // Links up to limit messages senders listed in the arrival (ready) ring into their groups.
    void fifo_absorb_arrivals(std::uint32_t limit) noexcept;
    // Recovery of a dead sender: its published messages that never reached the arrival ring
    // were never acknowledged; they are freed rather than delivered out of SequenceNumber order.
    void fifo_forget_unlisted(std::span<const std::uint32_t> pending_ready) noexcept;
    bool dedup_find(const layout::FifoKey& key, std::int64_t now_ns, SendOutcome& outcome) const noexcept;
    // An entry to record key in (empty, expired or its own; not one of reserved, taken by earlier
    // messages of the batch), fifo_none when the window is full.
    std::uint32_t dedup_place(const layout::FifoKey& key, std::int64_t now_ns,
                              std::span<const std::uint32_t> reserved) noexcept;
    void dedup_record(std::uint32_t index, const layout::FifoKey& key, std::int64_t now_ns,
                      const SendOutcome& outcome) noexcept;
    bool fifo_rebuild_pending_ = false;

    std::shared_ptr<region::Region> region_;
    std::string directory_;
    const Clock& clock_;
    layout::RegionHeader& header_;
    std::uint32_t pid_ = 0;
    std::uint32_t uid_ = 0;
    std::uint32_t fork_generation_ = 0;
    std::uint32_t process_index_ = 0; // our ProcessEntry; owner id is index + 1
    layout::ProcessEntry* me_ = nullptr;
    std::uint64_t random_state_[2]{};
    std::uint64_t sent_ = 0, received_ = 0, deleted_ = 0; // flushed into me_ per call

    std::uint32_t dead_letter_config_version_ = 0;
    std::string dead_letter_name_;
    std::unique_ptr<QueueEngine> dead_letter_engine_;
};

} // namespace shmq::engine
