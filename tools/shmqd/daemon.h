// Daemon: shmqd's main loop. It recovers the journal, recreates the queues the journal knows and
// the namespace lacks (after a reboot), then watches the namespace: every queue created, changed
// (attributes, tags) or deleted, whether before or while it runs, is journaled and made durable.
// Messages are not journaled yet (issue 4's next step: a journal ring in each region).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "journal/journal_writer.h"
#include "queue_catalog.h"
#include "shmq/client.h"

namespace shmq::daemon {

struct DaemonOptions {
    std::string data_dir;
    std::string namespace_name;
    std::uint64_t segment_bytes = 64ull << 20;
    int watch_interval_ms = 100; // rescan period when no inotify event arrives
};

class Daemon {
  public:
    [[nodiscard]] static Result<std::unique_ptr<Daemon>> start(const DaemonOptions& options);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Runs until SIGTERM or SIGINT (blocked by the caller and read here through a signalfd).
    [[nodiscard]] Status run(int signal_fd);

  private:
    Daemon(DaemonOptions options, Client client);
    [[nodiscard]] Status recover();
    [[nodiscard]] Status restore_missing_queues();
    [[nodiscard]] Status journal_changes();

    DaemonOptions options_;
    Client client_;
    std::unique_ptr<journal::JournalWriter> journal_;
    QueueCatalog catalog_;
    std::map<std::string, std::uint32_t> seen_versions_; // queue -> config_version journaled
    int inotify_fd_ = -1;
};

} // namespace shmq::daemon
