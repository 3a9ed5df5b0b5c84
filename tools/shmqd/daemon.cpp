// shmqd's recovery and namespace watch (see daemon.h).
#include "daemon.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <unordered_set>

#include "engine/queue_engine.h"
#include "engine/wait_set.h"
#include "sqs/attribute_codec.h"

namespace shmq::daemon {
namespace {

using Clock = std::chrono::steady_clock;

void log_line(const std::string& text) {
    std::fprintf(stderr, "shmqd: %s\n", text.c_str());
}

// Queue names of the namespace, from ListQueues (every page).
Result<std::set<std::string>> queue_names(const Client& client) {
    std::set<std::string> names;
    std::string token;
    do {
        auto page = client.list_queues({}, 1000, token);
        if (!page) {
            return page.error();
        }
        for (const std::string& url : page->queue_urls) {
            names.insert(Client::name_from_url(url));
        }
        token = page->next_token;
    } while (!token.empty());
    return names;
}

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

} // namespace

Daemon::Daemon(DaemonOptions options, Client client) : options_(std::move(options)), client_(std::move(client)) {}

Daemon::~Daemon() {
    if (inotify_fd_ >= 0) {
        ::close(inotify_fd_);
    }
}

Result<std::unique_ptr<Daemon>> Daemon::start(const DaemonOptions& options) {
    ClientOptions client_options;
    client_options.namespace_name = options.namespace_name;
    auto client = Client::open(client_options);
    if (!client) {
        return client.error();
    }
    std::unique_ptr<Daemon> daemon(new Daemon(options, std::move(client.value())));
    if (Status status = daemon->recover(); !status) {
        return status.error();
    }
    if (Status status = daemon->restore_missing_queues(); !status) {
        return status.error();
    }
    daemon->inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (daemon->inotify_fd_ < 0 ||
        inotify_add_watch(daemon->inotify_fd_, daemon->client_.namespace_dir().c_str(),
                          IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM) < 0) {
        return Error{Errc::system_error, "inotify on " + daemon->client_.namespace_dir() + ": " + std::strerror(errno)};
    }
    if (Status status = daemon->journal_changes(); !status) {
        return status.error();
    }
    return daemon;
}

void Daemon::replay_message(const journal::RecordView& record) {
    if (record.type == journal::RecordType::message_sent) {
        auto sent = decode_sent(record.payload);
        if (!sent) {
            ++corrupt_message_records_;
            return;
        }
        Replayed& queue = replayed_[sent->queue];
        std::string key = id_key(sent->message_id);
        if (queue.by_id.contains(key)) {
            return; // journaled again (a recovery put it back): the first record stands
        }
        queue.messages.push_back(std::move(sent.value()));
        queue.by_id.emplace(std::move(key), std::prev(queue.messages.end()));
        return;
    }
    auto deleted = decode_deleted(record.payload);
    if (!deleted) {
        ++corrupt_message_records_;
        return;
    }
    const auto queue = replayed_.find(deleted->queue);
    if (queue == replayed_.end()) {
        return;
    }
    const std::string key = id_key(deleted->message_id);
    if (const auto found = queue->second.by_id.find(key); found != queue->second.by_id.end()) {
        queue->second.messages.erase(found->second);
        queue->second.by_id.erase(found);
    }
}

std::uint64_t Daemon::live_messages() const {
    std::uint64_t total = 0;
    for (const auto& [name, queue] : replayed_) {
        total += queue.messages.size();
    }
    return total;
}

Status Daemon::recover() {
    const auto started = Clock::now();
    const std::string directory = options_.data_dir + "/journal";
    std::uint64_t unreadable = 0;
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    auto last_progress = started;
    auto scan = journal::scan_journal(directory, [&](const journal::RecordView& record) {
        // A progress line a second for long recoveries (checked every 64 Ki records).
        ++records;
        bytes += record.payload.size();
        if ((records & 0xFFFF) == 0 && Clock::now() - last_progress >= std::chrono::seconds(1)) {
            last_progress = Clock::now();
            const double seconds = std::chrono::duration<double>(last_progress - started).count();
            log_line("recovering: " + std::to_string(records) + " records, " + std::to_string(bytes >> 20) +
                     " MiB, " + std::to_string(static_cast<std::uint64_t>(static_cast<double>(records) / seconds)) +
                     " records/s");
        }
        if (record.type == journal::RecordType::message_sent || record.type == journal::RecordType::message_deleted) {
            replay_message(record);
            return;
        }
        unreadable += catalog_.apply(record) ? 0u : 1u;
        if (record.type == journal::RecordType::queue_deleted) {
            // Its messages went with it (a queue of the same name later starts empty).
            for (auto it = replayed_.begin(); it != replayed_.end();) {
                it = catalog_.queues().contains(it->first) ? std::next(it) : replayed_.erase(it);
            }
        }
    });
    if (!scan) {
        return scan.error();
    }
    const double elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    log_line("recovered " + std::to_string(scan->records) + " journal records from " +
             std::to_string(scan->segments.size()) + " segments in " + std::to_string(elapsed_ms) + " ms (" +
             std::to_string(scan->corrupt_regions) + " corrupt regions skipped, " +
             std::to_string(scan->torn_tail_bytes) + " torn tail bytes cut, " + std::to_string(unreadable) +
             " unreadable definitions, " + std::to_string(corrupt_message_records_) + " unreadable message records); " +
             std::to_string(catalog_.queues().size()) + " queues defined, " + std::to_string(live_messages()) +
             " messages live");
    auto writer = journal::JournalWriter::open({.directory = directory, .segment_bytes = options_.segment_bytes},
                                               scan.value());
    if (!writer) {
        return writer.error();
    }
    journal_ = std::move(writer.value());
    return {};
}

Status Daemon::restore_missing_queues() {
    auto existing = queue_names(client_);
    if (!existing) {
        return existing.error();
    }
    // Two passes: a RedrivePolicy names its dead-letter queue, which must exist first.
    std::vector<const QueueDefinition*> created;
    for (const auto& [name, definition] : catalog_.queues()) {
        if (existing->contains(name)) {
            continue;
        }
        QueueAttributes attributes = definition.attributes;
        attributes.erase("RedrivePolicy");
        if (auto url = client_.create_queue(name, attributes, definition.tags, definition.capacity); !url) {
            log_line("cannot recreate queue " + name + ": " + url.error().message);
            continue;
        }
        created.push_back(&definition);
        // Its journaled messages, in send order, with their identity and sent time.
        const auto replayed = replayed_.find(name);
        if (replayed != replayed_.end() && !replayed->second.messages.empty()) {
            auto queue = client_.open_queue(name);
            const auto restore_started = Clock::now();
            std::uint64_t restored = 0;
            for (const SentRecord& message : replayed->second.messages) {
                engine::MovedMessage moved;
                moved.body = message.body;
                moved.encoded_attributes = message.encoded_attributes;
                if (auto parts = sqs::split_attributes(message.encoded_attributes); parts) {
                    moved.trailer = parts->trailer;
                }
                moved.message_id = message.message_id;
                moved.sent_ns = message.sent_ns;
                moved.sender_uid = message.sender_uid;
                const Status status = queue ? engine_of(queue.value()).send_moved(moved) : Status{queue.error()};
                if (!status) {
                    log_line("cannot restore a message of " + name + ": " + status.message());
                    continue;
                }
                ++restored;
            }
            const double restore_ms =
                std::chrono::duration<double, std::milli>(Clock::now() - restore_started).count();
            log_line("restored " + std::to_string(restored) + " messages of " + name + " in " +
                     std::to_string(static_cast<std::uint64_t>(restore_ms)) + " ms");
        }
    }
    for (const QueueDefinition* definition : created) {
        const auto redrive = definition->attributes.find("RedrivePolicy");
        if (redrive != definition->attributes.end()) {
            if (Status status = client_.set_queue_attributes(definition->name, {{"RedrivePolicy", redrive->second}});
                !status) {
                log_line("cannot restore the RedrivePolicy of " + definition->name + ": " + status.message());
            }
        }
    }
    if (!created.empty()) {
        log_line("recreated " + std::to_string(created.size()) + " queues from the journal");
    }
    return {};
}

Status Daemon::journal_changes() {
    auto names = queue_names(client_);
    if (!names) {
        return names.error();
    }
    bool appended = false;
    // Handles stay open between passes: opening maps the region and registers us in it.
    std::erase_if(handles_, [&](const auto& entry) { return !names->contains(entry.first); });
    for (const std::string& name : names.value()) {
        auto handle = handles_.find(name);
        if (handle == handles_.end()) {
            auto queue = client_.open_queue(name);
            if (!queue) {
                continue; // deleted meanwhile: the next pass sees it gone
            }
            handle = handles_.emplace(name, std::move(queue.value())).first;
        }
        const std::uint32_t version = handle->second.config_version();
        const auto seen = seen_versions_.find(name);
        if (seen != seen_versions_.end() && seen->second == version) {
            continue;
        }
        auto definition = read_definition(client_, name);
        if (!definition) {
            continue;
        }
        const bool known = catalog_.queues().contains(name);
        const auto payload = encode_definition(*definition);
        const auto type = known ? journal::RecordType::queue_config : journal::RecordType::queue_created;
        const std::uint64_t sequence = journal_->append(type, payload);
        (void)catalog_.apply({type, 0, sequence, payload});
        seen_versions_[name] = version;
        appended = true;
        follow_durability(name);
    }
    std::vector<std::string> deleted;
    for (const auto& [name, definition] : catalog_.queues()) {
        if (!names->contains(name)) {
            deleted.push_back(name);
        }
    }
    for (const std::string& name : deleted) {
        const auto payload = encode_deletion(name);
        const std::uint64_t sequence = journal_->append(journal::RecordType::queue_deleted, payload);
        (void)catalog_.apply({journal::RecordType::queue_deleted, 0, sequence, payload});
        seen_versions_.erase(name);
        durable_.erase(name); // its messages went with it
        replayed_.erase(name);
        appended = true;
    }
    if (appended) {
        if (auto durable = journal_->sync(); !durable) {
            return durable.error();
        }
    }
    return {};
}

void Daemon::follow_durability(const std::string& name) {
    auto attributes = client_.get_queue_attributes(name, {"Durability"});
    const bool async = attributes && attributes->contains("Durability") && attributes->at("Durability") != "memory";
    const auto durable = durable_.find(name);
    if (async && durable == durable_.end()) {
        auto queue = client_.open_queue(name);
        if (!queue) {
            return;
        }
        std::unordered_set<std::string> journaled;
        if (const auto replayed = replayed_.find(name); replayed != replayed_.end()) {
            for (const auto& [id, message] : replayed->second.by_id) {
                journaled.insert(id);
            }
            replayed_.erase(replayed);
        }
        auto added = std::make_unique<DurableQueue>(name, std::move(queue.value()), std::move(journaled));
        const std::uint64_t appended = added->reconcile(*journal_);
        log_line("journaling the messages of " + name + " (" + std::to_string(appended) + " records to catch up)");
        durable_.emplace(name, std::move(added));
    } else if (!async && durable != durable_.end()) {
        (void)durable->second->forget_all(*journal_);
        durable_.erase(durable);
        log_line("no longer journaling the messages of " + name);
    }
}

void Daemon::idle_wait() {
    // A sync sender sends again right after its commit: catch it without a futex round trip.
    std::int64_t now = steady_ns();
    if (sync_recent(now)) {
        for (const std::int64_t deadline = now + sync_spin_ns; now < deadline; now = steady_ns()) {
            if (sends_listed()) {
                return;
            }
            spin_pause();
        }
    }
    std::vector<std::atomic<std::uint32_t>*> words;
    std::vector<std::uint32_t> seen;
    bool listed = false;
    for (auto& [name, queue] : durable_) {
        queue->feed().set_sleeping(true);
        words.push_back(&queue->feed().wake_word());
        seen.push_back(words.back()->load(std::memory_order_seq_cst));
        listed = listed || queue->feed().sends_listed(); // listed before we said we sleep
    }
    if (!listed) {
        engine::futex_wait_any(words, seen, std::int64_t{commit_interval_ms} * 1'000'000);
    }
    for (auto& [name, queue] : durable_) {
        queue->feed().set_sleeping(false);
    }
}

bool Daemon::sends_listed() {
    for (auto& [name, queue] : durable_) {
        if (queue->feed().sends_listed()) {
            return true;
        }
    }
    return false;
}

bool Daemon::sync_recent(std::int64_t now_ns) {
    std::uint64_t sum = 0;
    for (auto& [name, queue] : durable_) {
        sum += queue->feed().wake_word().load(std::memory_order_relaxed);
    }
    if (sum != wake_sum_) {
        wake_sum_ = sum;
        sync_seen_ns_ = now_ns;
    }
    return now_ns - sync_seen_ns_ < sync_recent_ns;
}

Result<std::uint64_t> Daemon::wait_for_commit(bool sync_recent) {
    const std::int64_t now = steady_ns();
    const std::int64_t expected = pacer_.expected_durable_ns();
    if (!sync_recent || now >= expected + commit_spin_lead_ns) {
        return journal_->reap_for(commit_wait_ns); // late (or nobody waits): a completion wakes us
    }
    if (now < expected - commit_spin_lead_ns) {
        // Sleep through most of the commit; a completion still wakes us.
        return journal_->reap_for(std::min(expected - commit_spin_lead_ns - now, commit_wait_ns));
    }
    // Around its expected end: spin, so the senders are released without our own wake-up.
    const std::uint64_t durable = journal_->durable_sequence();
    for (std::int64_t at = now; at < expected + commit_spin_lead_ns; at = steady_ns()) {
        auto reaped = journal_->reap(false);
        if (!reaped || reaped.value() != durable || journal_->commits_in_flight() == 0) {
            return reaped;
        }
        spin_pause();
    }
    return journal_->reap(false);
}

Result<bool> Daemon::pump_messages() {
    std::uint64_t appended = 0;
    for (auto& [name, queue] : durable_) {
        appended += queue->pump(*journal_);
    }
    const std::int64_t now = steady_ns();
    const bool sync = sync_recent(now);
    pacer_.on_appended(appended, now);
    if (pacer_.staged_records() > 0 && journal_->staged_bytes() == 0) {
        pacer_.on_submitted(journal_->next_sequence() - 1, now); // journal_changes() synced them
    }
    if (pacer_.should_submit(journal_->commits_in_flight(), journal_->commits_in_flight_max(), sync, now)) {
        auto submitted = journal_->submit();
        if (!submitted) {
            return submitted.error();
        }
        pacer_.on_submitted(submitted.value(), now);
    }
    // Commits in flight and nothing new: wait for one (Durability=sync senders are waiting on it).
    auto reaped = journal_->commits_in_flight() > 0 && appended == 0 ? wait_for_commit(sync) : journal_->reap(false);
    if (!reaped) {
        return reaped.error();
    }
    pacer_.on_durable(reaped.value(), steady_ns());
    for (auto& [name, queue] : durable_) {
        queue->on_durable(reaped.value());
    }
    return appended > 0 || journal_->commits_in_flight() > 0 || pacer_.staged_records() > 0;
}

Status Daemon::run(int signal_fd) {
    log_line("watching namespace " + client_.namespace_name() + " (" + client_.namespace_dir() + "), journal in " +
             options_.data_dir + "/journal");
    auto last_scan = Clock::now();
    std::int64_t last_poll_ns = 0;
    bool busy = false;
    for (;;) {
        // Durable queues are pumped every millisecond at least (idle_wait), at once when a sync
        // sender wakes us; the namespace is rescanned every watch_interval_ms, or at once on an
        // inotify event. While busy, signals and inotify are looked at every
        // busy_poll_interval_ns, not on every pass.
        pollfd fds[2] = {{signal_fd, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
        int ready = 0;
        if (const std::int64_t now_ns = steady_ns(); !busy || now_ns - last_poll_ns >= busy_poll_interval_ns) {
            last_poll_ns = now_ns;
            ready = poll(fds, 2, busy || !durable_.empty() ? 0 : options_.watch_interval_ms);
        }
        if (ready < 0 && errno != EINTR) {
            return {Errc::system_error, std::string("poll: ") + std::strerror(errno)};
        }
        if ((fds[0].revents & POLLIN) != 0) {
            signalfd_siginfo info{};
            (void)!read(signal_fd, &info, sizeof info);
            log_line(std::string("stopping on ") + strsignal(static_cast<int>(info.ssi_signo)));
            // Whatever changed last is durable before we go.
            if (Status status = journal_changes(); !status) {
                return status;
            }
            if (auto pumped = pump_messages(); !pumped) {
                return pumped.error();
            }
            auto durable = journal_->sync();
            if (!durable) {
                return durable.error();
            }
            for (auto& [name, queue] : durable_) {
                queue->on_durable(durable.value());
            }
            return {};
        }
        bool rescan = Clock::now() - last_scan >= std::chrono::milliseconds(options_.watch_interval_ms);
        if ((fds[1].revents & POLLIN) != 0) {
            char events[4096];
            while (read(inotify_fd_, events, sizeof events) > 0) {
            }
            rescan = true;
        }
        if (rescan) {
            last_scan = Clock::now();
            if (Status status = journal_changes(); !status) {
                return status;
            }
        }
        if (!busy && !durable_.empty()) {
            idle_wait();
        }
        auto pumped = pump_messages();
        if (!pumped) {
            return pumped.error();
        }
        busy = pumped.value();
    }
}

} // namespace shmq::daemon
