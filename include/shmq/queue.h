// A process-local handle on one queue's shared-memory region: the message operations of SQS
// (send, receive, delete, change visibility, their batch forms). Standard-queue operations are
// lock-free and make no syscall unless a consumer sleeps in a long poll or a sender blocks.
//
// Thread contract: a Queue may be used by one thread at a time (it owns a per-process entry in
// the region's process table); open one Queue per thread. Any number of processes and threads
// may hold handles on the same queue.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shmq/clock.h"
#include "shmq/error.h"
#include "shmq/message.h"

namespace shmq {

namespace engine {
class QueueEngine;
}

// Counts and positions of a region, for `shmq inspect` and GetQueueAttributes.
struct QueueInspection {
    std::string name;
    std::uint32_t layout_version = 0;
    std::uint64_t region_bytes = 0;
    std::uint32_t slot_count = 0;
    std::uint32_t inline_bytes = 0; // body + attribute bytes a slot holds itself
    std::uint64_t message_bytes_capacity = 0; // MessageBytesCapacity: bytes of the blob arena
    std::uint32_t blob_chunks = 0, blob_chunks_carved = 0; // its chunks, and those size classes carved
    bool fifo_deduplication = false; // FIFO queues: a deduplication window is kept
    std::uint32_t dedup_entries = 0; // FIFO queues: its capacity (0 without one)
    std::uint32_t permissions = 0;   // the region file's mode bits
    std::uint32_t config_version = 0; // moves on with every attribute or tag change
    std::uint64_t ready_ring_head = 0, ready_ring_tail = 0;
    std::uint64_t free_ring_head = 0, free_ring_tail = 0;
    // Slots by state as SQS counts messages: ready includes the in-flight and delayed messages
    // whose deadline has passed (visible, though no timer sweep listed them again yet).
    std::uint32_t free = 0, writing = 0, ready = 0, in_flight = 0, delayed = 0, freeing = 0;
    std::uint32_t registered_processes = 0;
    std::uint32_t sleeping_receivers = 0;
    std::int64_t next_timer_due_ns = 0;
    std::uint64_t sent_total = 0, received_total = 0, deleted_total = 0, expired_total = 0, dead_lettered_total = 0,
                  recovered_total = 0;
    // Fair queues (standard queues whose messages carry a MessageGroupId): messages counted for
    // a tenant, tenant buckets holding some, those judged noisy now, and messages set aside.
    std::int64_t tenant_messages = 0;
    std::uint32_t tenant_buckets_used = 0, noisy_tenant_buckets = 0;
    std::uint64_t deferred_ring_head = 0, deferred_ring_tail = 0;
};

class Queue {
  public:
    Queue(Queue&&) noexcept;
    Queue& operator=(Queue&&) noexcept;
    ~Queue();

    [[nodiscard]] const std::string& name() const noexcept;

    // SendMessage. Fails with queue_full when the region is full unless options block.
    [[nodiscard]] Result<MessageId> send(const SendEntry& entry, const SendOptions& options = {});
    // SendMessage with everything SQS returns (MessageId and, for FIFO queues, SequenceNumber).
    [[nodiscard]] Result<SendOutcome> send_message(const SendEntry& entry, const SendOptions& options = {});
    // SendMessageBatch: 1..10 entries; outcomes[i] tells how entry i went. The Status covers
    // request-level errors: an empty or oversized batch, and (as SQS answers) a FIFO entry
    // without MessageGroupId, or without MessageDeduplicationId on a queue without
    // ContentBasedDeduplication.
    [[nodiscard]] Status send_batch(std::span<const SendEntry> entries, std::span<SendOutcome> outcomes,
                                    const SendOptions& options = {});

    // The error (code and SQS message text) that sending this entry gives, or ok: for reporting
    // a failed batch entry.
    [[nodiscard]] Status explain_send_error(const SendEntry& entry, Errc outcome) const;

    // ReceiveMessage, zero-copy: calls visit(const MessageView&) for each message received, in
    // receive order; returns how many. Waits up to the request's wait time for a first message.
    template <class Visitor>
    [[nodiscard]] Result<std::uint32_t> receive_views(const ReceiveRequest& request, Visitor&& visit) {
        return receive_views_impl(
            request, [](void* context, const MessageView& view) { (*static_cast<Visitor*>(context))(view); }, &visit);
    }
    // ReceiveMessage, copying bodies and decoded attributes out of the region.
    [[nodiscard]] Result<std::vector<ReceivedMessage>> receive(const ReceiveRequest& request);

    // DeleteMessage. A standard queue deletes the message while it exists, even with an older
    // receipt handle of it (as SQS does); a handle of a message already gone succeeds silently.
    [[nodiscard]] Status delete_message(const ReceiptHandle& handle);
    // DeleteMessageBatch: errors[i] for handle i.
    void delete_batch(std::span<const ReceiptHandle> handles, std::span<Errc> errors);

    // ChangeMessageVisibility: the message becomes visible timeout_s seconds from now (0: at once).
    [[nodiscard]] Status change_visibility(const ReceiptHandle& handle, std::int32_t timeout_s);
    void change_visibility_batch(std::span<const ReceiptHandle> handles, std::span<const std::int32_t> timeouts_s,
                                 std::span<Errc> errors);

    // Runs due timers (visibility, delay, retention, dead-process recovery), bounded work.
    // Every operation does this already; call it to drive timers of an otherwise idle queue.
    void advance_timers();

    [[nodiscard]] QueueInspection inspect() const;
    // Moves on with every attribute or tag change (one load; inspect() scans every slot).
    [[nodiscard]] std::uint32_t config_version() const noexcept;
    // ReceiveMessageWaitTimeSeconds: how long a receive without its own wait time waits (one load).
    [[nodiscard]] std::int32_t receive_wait_time_s() const noexcept;
    // Durability=sync: a send returns only once shmqd made it durable (it waits for an fdatasync).
    [[nodiscard]] bool sends_wait_for_disk() const noexcept;

  private:
    friend class Client;
    friend engine::QueueEngine& engine_of(Queue& queue) noexcept; // shmqd's access (src/client/queue.cpp)
    using RawVisitor = void (*)(void* context, const MessageView& view);
    explicit Queue(std::unique_ptr<engine::QueueEngine> engine);
    [[nodiscard]] engine::QueueEngine& engine() noexcept { return *engine_; }
    [[nodiscard]] Result<std::uint32_t> receive_views_impl(const ReceiveRequest& request, RawVisitor visit,
                                                           void* context);
    std::unique_ptr<engine::QueueEngine> engine_;
};

} // namespace shmq
