// The entry point of libshmq: one namespace of queues on this host, and the queue-management
// actions of SQS (create, delete, list, attributes, tags, purge, dead-letter queues, message move
// tasks). Queues are named as in SQS; URLs and ARNs are derived from names (queue_url, queue_arn).
// Every action checks the name it is given with QueueName::parse (shmq/queue_name.h): a text
// that is not a queue name names no queue, and never reaches the file system.
//
// Files: the namespace directory (<shm_dir>/shmq/<namespace>) is created 0700 and regions 0600;
// with group access (an explicit option) 02770 and 0660. A namespace directory of another user,
// or one others may write into, is refused (Errc::access_denied, naming the problem).
//
// Thread contract: a Client may be shared by threads; it holds no mutable state after open.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/clock.h"
#include "shmq/error.h"
#include "shmq/queue.h"
#include "shmq/queue_name.h"

namespace shmq {

using QueueAttributes = std::map<std::string, std::string, std::less<>>;
using QueueTags = std::map<std::string, std::string, std::less<>>;

struct ClientOptions {
    // Empty: $SHMQ_NAMESPACE, then "default". [A-Za-z0-9_-], at most 64 characters.
    std::string namespace_name;
    // Directory holding namespace directories. Empty: $SHMQ_SHM_DIR, then /dev/shm.
    std::string shm_dir;
    // Null: the system clock. Must outlive the client and every queue opened from it.
    const Clock* clock = nullptr;
    // The region and account ARNs name this endpoint's queues by (RedrivePolicy, move tasks).
    QueueScope scope;
    // The namespace's group may use its queues too: directory 02770, regions 0660. Off unless
    // asked for here or by $SHMQ_GROUP_ACCESS=1.
    bool group_access = false;
};

// Fixed when a queue is created (its region does not grow).
struct QueueCapacity {
    std::uint32_t slot_count = 0; // 0: default (or MessageCapacity); messages the queue holds at once
    // 0: default (or MessageBytesCapacity): room for a message of the largest size in every slot,
    // up to limits::message_bytes_capacity_max. Bytes of bodies over the inline size.
    std::uint64_t message_bytes_capacity = 0;
    // Region file mode; 0: 0600, or 0660 with group access. Group bits only with group access.
    std::uint32_t permissions = 0;
    std::uint32_t dedup_entries = 0;        // FIFO: 0: default; deduplication ids held for 5 minutes
    // 0: default (64 standard, 192 FIFO); a multiple of 64 up to 960: body + attributes held in
    // the slot itself, larger messages use the blob heap.
    std::uint32_t inline_bytes = 0;
    // FIFO: false turns deduplication off (a shmq extension, not SQS): MessageDeduplicationId is
    // optional and kept but not remembered. For producers that never retry a send, and for rates
    // a 5-minute window cannot hold (about 0.65 x dedup_entries / 300 new ids a second).
    bool fifo_deduplication = true;
};

struct ListQueuesPage {
    std::vector<std::string> queue_urls;
    std::string next_token; // empty: no more
};

struct MessageMoveTask {
    std::string task_handle;
    std::string status; // RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
    std::string source_arn;
    std::string destination_arn;                         // empty: each message's own source queue
    std::int64_t max_number_of_messages_per_second = -1; // -1: not set
    std::int64_t approximate_number_of_messages_moved = 0;
    std::int64_t approximate_number_of_messages_to_move = 0;
    std::string failure_reason;
    std::int64_t started_timestamp_ms = 0;
};

class Client {
  public:
    [[nodiscard]] static Result<Client> open(const ClientOptions& options = {});

    [[nodiscard]] const std::string& namespace_name() const noexcept { return namespace_name_; }
    [[nodiscard]] const std::string& namespace_dir() const noexcept { return namespace_dir_; }
    [[nodiscard]] const Clock& clock() const noexcept { return *clock_; }
    [[nodiscard]] const QueueScope& scope() const noexcept { return scope_; }
    [[nodiscard]] bool group_access() const noexcept { return group_access_; }

    // --- names, URLs, ARNs ---
    [[nodiscard]] static std::string queue_url(std::string_view name);
    [[nodiscard]] static std::string queue_arn(std::string_view name);

    // --- queue management; each returns what the SQS action returns ---
    [[nodiscard]] Result<std::string> create_queue(std::string_view name, const QueueAttributes& attributes = {},
                                                   const QueueTags& tags = {},
                                                   const QueueCapacity& capacity = {}) const;
    [[nodiscard]] Status delete_queue(std::string_view name) const;
    [[nodiscard]] Result<std::string> get_queue_url(std::string_view name) const;
    [[nodiscard]] Result<ListQueuesPage> list_queues(std::string_view prefix = {}, std::int32_t max_results = -1,
                                                     std::string_view next_token = {}) const;
    // names may hold "All"; unknown names are InvalidAttributeName.
    [[nodiscard]] Result<QueueAttributes> get_queue_attributes(std::string_view name,
                                                               const std::vector<std::string>& attribute_names) const;
    [[nodiscard]] Status set_queue_attributes(std::string_view name, const QueueAttributes& attributes) const;
    [[nodiscard]] Status purge_queue(std::string_view name) const;
    [[nodiscard]] Status tag_queue(std::string_view name, const QueueTags& tags) const;
    [[nodiscard]] Status untag_queue(std::string_view name, const std::vector<std::string>& keys) const;
    [[nodiscard]] Result<QueueTags> list_queue_tags(std::string_view name) const;
    [[nodiscard]] Result<std::vector<std::string>> list_dead_letter_source_queues(std::string_view name) const;

    // --- message move tasks (redrive from a dead-letter queue) ---
    [[nodiscard]] Result<std::string>
    start_message_move_task(std::string_view source_arn, std::string_view destination_arn = {},
                            std::int64_t max_number_of_messages_per_second = -1) const;
    [[nodiscard]] Result<std::int64_t> cancel_message_move_task(std::string_view task_handle) const;
    [[nodiscard]] Result<std::vector<MessageMoveTask>> list_message_move_tasks(std::string_view source_arn,
                                                                               std::int32_t max_results = -1) const;

    // --- message operations ---
    [[nodiscard]] Result<Queue> open_queue(std::string_view name) const;

  private:
    Client(std::string namespace_name, std::string namespace_dir, const Clock* clock, QueueScope scope,
           bool group_access);
    // The queues of the namespace directory, sorted: regular files of ours named <queue name>.q.
    [[nodiscard]] Result<std::vector<std::string>> queue_names() const;

    std::string namespace_name_;
    std::string namespace_dir_;
    const Clock* clock_ = nullptr;
    QueueScope scope_;
    bool group_access_ = false;
};

} // namespace shmq
