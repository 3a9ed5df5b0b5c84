// Daemon: shmqd's main loop. It recovers the journal, recreates the queues the journal knows and
// the namespace lacks (after a reboot) with the messages of their Durability=async journal, then
// watches the namespace: every queue created, changed (attributes, tags) or deleted, whether
// before or while it runs, is journaled, and so is every send and delete of a Durability=async
// queue (DurableQueue), committed every few milliseconds (acknowledged before the fdatasync).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "commit_pacer.h"
#include "compactor.h"
#include "data_keys.h"
#include "durable_queue.h"
#include "journal/journal_writer.h"
#include "journaled_messages.h"
#include "key_ring.h"
#include "metrics.h"
#include "queue_catalog.h"
#include "sent_record_writer.h"
#include "shmq/client.h"

namespace shmq::daemon {

struct DaemonOptions {
    std::string data_dir;
    std::string namespace_name;
    // Data, journal and namespace directories shared with the user's group (--group-access).
    bool group_access = false;
    // The region and account queue ARNs name (--region): restored RedrivePolicies are checked in it.
    QueueScope scope;
    std::uint64_t segment_bytes = 64ull << 20;
    int watch_interval_ms = 100; // rescan period when no inotify event arrives
    std::string durable_trace_path; // power-loss tests: see JournalOptions
    JournalMetrics* metrics = nullptr; // published for the endpoint's /metrics, if given
    // The key ring of master keys (key_ring.h); empty: <data_dir>/keys.json.
    std::string key_file;
    // How long an idle shmqd sleeps before draining the durable queues' rings again: what
    // Durability=async may lose to a power cut is at most this plus one commit. Sync senders, and
    // async bursts filling half a ring, wake it at once.
    int commit_interval_ms = 10;
};

// How long the loop waits for a commit in flight before looking at the rings again.
inline constexpr std::int64_t commit_wait_ns = 200'000;
// Durability=sync: while sync sends came in the last sync_recent_ns, the loop spins (bounded)
// where it would sleep and a futex or io_uring wake-up would cost tens of microseconds: up to
// sync_spin_ns for the next send after a commit, and from commit_spin_lead_ns before a commit's
// expected end (CommitPacer) until commit_spin_lead_ns after it.
inline constexpr std::int64_t sync_recent_ns = 10'000'000;
inline constexpr std::int64_t sync_spin_ns = 100'000;
inline constexpr std::int64_t commit_spin_lead_ns = 50'000;
// While busy, the signal and inotify descriptors are polled this often, not on every pass.
inline constexpr std::int64_t busy_poll_interval_ns = 1'000'000;

class Daemon final : private LiveRecords {
  public:
    [[nodiscard]] static Result<std::unique_ptr<Daemon>> start(const DaemonOptions& options);
    ~Daemon() override;
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Runs until a stop signal: SIGTERM or SIGINT, blocked by the caller and read here as
    // signalfd_siginfo records from signal_fd (a signalfd, or a pipe main's stop watchdog fills).
    [[nodiscard]] Status run(int signal_fd);

    // The master keys queues may name (for the endpoint's KmsMasterKeyId check).
    [[nodiscard]] const KeyRing& key_ring() const noexcept { return key_ring_; }

  private:
    Daemon(DaemonOptions options, Client client, KeyRing key_ring);
    // How the records of a queue with this definition are sealed.
    [[nodiscard]] QueueSealing sealing_of(const QueueDefinition& definition);
    [[nodiscard]] Status recover();
    [[nodiscard]] Status restore_missing_queues();
    [[nodiscard]] Status journal_changes();
    // Starts or stops journaling the messages of queue name as its Durability (async or sync:
    // durable; read with its definition) says.
    void follow_durability(const std::string& name, bool durable);
    // Journals what the durable queues' rings list; true if anything was appended.
    [[nodiscard]] Result<bool> pump_messages();
    // Nothing to do: sleeps until a sync sender wakes us or the commit interval passes (after a
    // bounded spin when sync sends are recent).
    void idle_wait();
    // Commits in flight, nothing new: waits for one to finish, up to commit_wait_ns.
    [[nodiscard]] Result<std::uint64_t> wait_for_commit(bool sync_recent);
    // Whether a durable queue lists a send not drained yet.
    [[nodiscard]] bool sends_listed();
    // Whether Durability=sync sends came in the last sync_recent_ns (a sync send moves its
    // queue's wake word).
    [[nodiscard]] bool sync_recent(std::int64_t now_ns);

    void replay_message(const journal::RecordView& record);
    void replay_data_key(const journal::RecordView& record);
    // Puts the journaled messages of the queues just recreated back, in journal order.
    [[nodiscard]] Status restore_messages(std::map<std::string, Queue, std::less<>>& queues);
    [[nodiscard]] JournaledMessages& messages_of(std::string_view queue);
    // The queue is not durable (any more): the messages the journal holds for it are deleted.
    void forget_messages(const std::string& name);
    [[nodiscard]] std::uint64_t live_messages() const;
    [[nodiscard]] Status compact();
    // Journal figures for /metrics (every 100 ms at most).
    void publish_metrics();

    // Whether deleted messages of queue must stay remembered (FIFO with deduplication).
    [[nodiscard]] bool remembers_deduplication(std::string_view queue) const;

    // LiveRecords, for the compactor.
    [[nodiscard]] std::uint64_t carry(const journal::RecordView& record, journal::JournalWriter& journal) override;
    [[nodiscard]] std::uint64_t live_bytes() const override;

    DaemonOptions options_;
    Client client_;
    KeyRing key_ring_;
    DataKeys data_keys_{&key_ring_};
    SentRecordWriter sent_writer_{data_keys_};
    std::set<std::string> unknown_master_logged_; // queues whose KmsMasterKeyId the ring lacks, said once
    std::uint64_t unreadable_data_keys_ = 0;     // recovery: data_key records no master key opened
    std::uint64_t unopened_records_ = 0;         // recovery: standing sealed records that failed to open
    std::unique_ptr<journal::JournalWriter> journal_;
    QueueCatalog catalog_;
    std::map<std::string, std::uint32_t> seen_versions_; // queue -> config_version journaled
    // What the journal holds live, per queue (DurableQueue keeps its queue's entry current).
    std::map<std::string, JournaledMessages, std::less<>> journaled_;
    std::map<std::string, std::unique_ptr<DurableQueue>> durable_;
    Compactor compactor_;
    std::int64_t last_prune_ns_ = 0; // remembered FIFO ids whose window closed are dropped every second
    std::chrono::steady_clock::time_point last_metrics_;
    std::map<std::string, Queue> handles_; // every queue of the namespace, for config_version
    std::uint64_t corrupt_message_records_ = 0;
    int inotify_fd_ = -1;
    CommitPacer pacer_;
    std::uint64_t wake_sum_ = 0;                  // of the durable queues' wake words, last looked at
    std::int64_t sync_seen_ns_ = -sync_recent_ns; // when wake_sum_ last moved (steady clock)
};

} // namespace shmq::daemon
