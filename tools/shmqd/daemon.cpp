// shmqd's recovery and namespace watch (see daemon.h).
#include "daemon.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sys/inotify.h>
#include <sys/signalfd.h>

#include "client/private_directory.h"
#include "engine/daemon_marker.h"
#include "engine/process_liveness.h"
#include "engine/queue_engine.h"
#include "engine/wait_set.h"
#include "message_records.h"
#include "shmq/clock.h"
#include "shmq/layout/fifo_layout.h"
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
            if (auto name = queue_name_from_url(url)) {
                names.insert(name->text());
            }
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

Daemon::Daemon(DaemonOptions options, Client client, KeyRing key_ring)
    : options_(std::move(options)), client_(std::move(client)), key_ring_(std::move(key_ring)) {}

Daemon::~Daemon() {
    engine::unmark_daemon(client_.namespace_dir(), static_cast<std::uint32_t>(getpid()));
    if (inotify_fd_ >= 0) {
        ::close(inotify_fd_);
    }
}

Result<std::unique_ptr<Daemon>> Daemon::start(const DaemonOptions& options) {
    // The journal holds every durable message: its directories are this user's alone, or its
    // group's with --group-access, and are refused if anyone else could write into them.
    const bool group_access = options.group_access || client::group_access_from_environment();
    const auto access = group_access ? client::DirectoryAccess::group : client::DirectoryAccess::owner_only;
    std::error_code ignored; // a parent that cannot be made fails below, naming the directory
    std::filesystem::create_directories(std::filesystem::path(options.data_dir).parent_path(), ignored);
    for (const std::string& directory : {options.data_dir, options.data_dir + "/journal"}) {
        if (Status status = client::make_private_directory(directory, access); !status) {
            return status.error();
        }
    }
    ClientOptions client_options;
    client_options.namespace_name = options.namespace_name;
    client_options.group_access = group_access;
    client_options.scope = options.scope;
    auto client = Client::open(client_options);
    if (!client) {
        return client.error();
    }
    // The key ring is read (or made) before the journal: sealed records need it. A new one is made
    // only for a journal that holds no data key: a key file named wrong (or lost) must not start a
    // ring that cannot open what the journal holds (its messages would not come back).
    const std::string key_file = options.key_file.empty() ? options.data_dir + "/keys.json" : options.key_file;
    if (std::error_code missing; !std::filesystem::exists(std::filesystem::symlink_status(key_file, missing))) {
        std::uint64_t data_keys = 0;
        auto scan = journal::scan_journal(options.data_dir + "/journal", [&](const journal::RecordView& record) {
            data_keys += record.type == journal::RecordType::data_key ? 1u : 0u;
        });
        if (scan && data_keys > 0) {
            return Error{Errc::invalid_parameter_value,
                         "key file " + key_file + " does not exist, but the journal holds " + std::to_string(data_keys) +
                             " data keys wrapped by a key ring: give --key-file the key ring they were made with "
                             "(without it their sealed messages cannot come back)"};
        }
    }
    auto key_ring = KeyRing::open_or_create(key_file, options.scope);
    if (!key_ring) {
        return key_ring.error();
    }
    std::unique_ptr<Daemon> daemon(new Daemon(options, std::move(client.value()), std::move(key_ring.value())));
    const auto started = Clock::now();
    if (Status status = daemon->recover(); !status) {
        return status.error();
    }
    const auto recovered = Clock::now();
    if (Status status = daemon->restore_missing_queues(); !status) {
        return status.error();
    }
    const auto restored = Clock::now();
    daemon->inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (daemon->inotify_fd_ < 0 ||
        inotify_add_watch(daemon->inotify_fd_, daemon->client_.namespace_dir().c_str(),
                          IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM) < 0) {
        return Error{Errc::system_error, "inotify on " + daemon->client_.namespace_dir() + ": " + std::strerror(errno)};
    }
    if (Status status = daemon->journal_changes(); !status) {
        return status.error();
    }
    const auto milliseconds = [](auto from, auto to) {
        return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
    };
    log_line("started in " + milliseconds(started, Clock::now()) + " ms (journal replayed in " +
             milliseconds(started, recovered) + ", queues restored in " + milliseconds(recovered, restored) +
             ", queues attached in " + milliseconds(restored, Clock::now()) + ")");
    const auto pid = static_cast<std::uint32_t>(getpid());
    if (Status status = engine::mark_daemon(daemon->client_.namespace_dir(), pid, engine::process_start_ticks(pid));
        !status) {
        return status.error();
    }
    return daemon;
}

JournaledMessages& Daemon::messages_of(std::string_view queue) {
    auto found = journaled_.find(queue);
    if (found == journaled_.end()) {
        found = journaled_.emplace(std::string(queue), JournaledMessages{}).first;
    }
    return found->second;
}

bool Daemon::remembers_deduplication(std::string_view queue) const {
    const auto definition = catalog_.queues().find(std::string(queue));
    if (definition == catalog_.queues().end() || !definition->second.capacity.fifo_deduplication) {
        return false;
    }
    const auto fifo = definition->second.attributes.find("FifoQueue");
    return fifo != definition->second.attributes.end() && fifo->second == "true";
}

void Daemon::replay_message(const journal::RecordView& record) {
    const auto framed = static_cast<std::uint32_t>(journal::framed_size(record.payload.size()));
    if (record.type == journal::RecordType::message_sent || record.type == journal::RecordType::message_remembered) {
        // Sealed or not, a record's identity is in clear: liveness needs no key (the restore pass
        // opens what stands, once every data key is known).
        const auto sent = decode_sent(record.payload, (record.flags & journal::record_flag_sealed) != 0);
        if (!sent) {
            ++corrupt_message_records_;
            return;
        }
        const std::int64_t remember_until =
            sent->sequence_number != 0 && remembers_deduplication(sent->queue) ? sent->sent_ns + layout::dedup_window_ns
                                                                               : 0;
        JournaledMessages& messages = messages_of(sent->queue);
        if (record.type == journal::RecordType::message_remembered) {
            messages.remember(sent->message_id, {record.sequence, framed, remember_until, sent->data_key_id});
            return;
        }
        // Journaled again (recovery put it back, compaction carried it): the first record stands.
        (void)messages.add(sent->message_id, {record.sequence, framed, remember_until, sent->data_key_id});
        return;
    }
    const auto deleted = decode_deleted(record.payload);
    if (!deleted) {
        ++corrupt_message_records_;
        return;
    }
    if (const auto queue = journaled_.find(deleted->queue); queue != journaled_.end()) {
        (void)queue->second.remove(deleted->message_id, SystemClock::instance().now_ns());
    }
}

void Daemon::replay_data_key(const journal::RecordView& record) {
    switch (data_keys_.replay(record.payload)) {
    case DataKeys::Replayed::known:
        return;
    case DataKeys::Replayed::malformed:
        log_line("a data key record (sequence " + std::to_string(record.sequence) + ") does not parse: skipped");
        break;
    case DataKeys::Replayed::master_missing:
        log_line("a data key record (sequence " + std::to_string(record.sequence) +
                 ") is wrapped by a master key the key ring does not hold: the records it sealed cannot be read");
        break;
    case DataKeys::Replayed::unwrap_failed:
        log_line("a data key record (sequence " + std::to_string(record.sequence) +
                 ") fails its authentication tag (altered, or wrapped by another key of the same id): skipped");
        break;
    }
    ++unreadable_data_keys_;
}

std::uint64_t Daemon::live_messages() const {
    std::uint64_t total = 0;
    for (const auto& [name, messages] : journaled_) {
        total += messages.size();
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
        if (record.type == journal::RecordType::message_sent || record.type == journal::RecordType::message_deleted ||
            record.type == journal::RecordType::message_remembered) {
            replay_message(record);
            return;
        }
        if (record.type == journal::RecordType::data_key) {
            replay_data_key(record);
            return;
        }
        unreadable += catalog_.apply(record) ? 0u : 1u;
        if (record.type == journal::RecordType::queue_deleted) {
            // Its messages went with it (a queue of the same name later starts empty).
            std::erase_if(journaled_, [&](const auto& entry) { return !catalog_.queues().contains(entry.first); });
        }
    });
    if (!scan) {
        return scan.error();
    }
    // Messages of a queue whose definition is unreadable cannot be put back anywhere.
    std::erase_if(journaled_, [&](const auto& entry) { return !catalog_.queues().contains(entry.first); });
    const double elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    log_line("recovered " + std::to_string(scan->records) + " journal records from " +
             std::to_string(scan->segments.size()) + " segments in " + std::to_string(elapsed_ms) + " ms (" +
             std::to_string(scan->corrupt_regions) + " corrupt regions skipped, " +
             std::to_string(scan->torn_tail_bytes) + " torn tail bytes cut, " + std::to_string(unreadable) +
             " unreadable definitions, " + std::to_string(corrupt_message_records_) + " unreadable message records, " +
             std::to_string(unreadable_data_keys_) + " unreadable data keys); " +
             std::to_string(catalog_.queues().size()) + " queues defined, " + std::to_string(live_messages()) +
             " messages live");
    journal::JournalOptions journal_options{.directory = directory,
                                            .segment_bytes = options_.segment_bytes,
                                            .durable_trace_path = options_.durable_trace_path};
    if (options_.metrics != nullptr) {
        JournalMetrics* metrics = options_.metrics;
        journal_options.commit_observer = [metrics](std::int64_t latency_ns) { metrics->observe_commit(latency_ns); };
        metrics->corrupt_regions.store(scan->corrupt_regions, std::memory_order_relaxed);
        metrics->unreadable_records.store(unreadable + corrupt_message_records_ + unreadable_data_keys_,
                                          std::memory_order_relaxed);
    }
    auto writer = journal::JournalWriter::open(journal_options, scan.value());
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
    std::map<std::string, Queue, std::less<>> refilled;
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
        const auto messages = journaled_.find(name);
        if (messages != journaled_.end() && (messages->second.size() > 0 || !messages->second.remembered().empty())) {
            if (auto queue = client_.open_queue(name); queue) {
                refilled.emplace(name, std::move(queue.value()));
            } else {
                log_line("cannot open recreated queue " + name + ": " + queue.error().message);
            }
        }
    }
    if (!refilled.empty()) {
        if (Status status = restore_messages(refilled); !status) {
            return status;
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

namespace {

// A journaled message as send_moved and remember_deduplication take it (views into sent).
engine::MovedMessage moved_of(const SentMessage& sent) {
    engine::MovedMessage out;
    out.body = sent.body;
    out.encoded_attributes = sent.encoded_attributes;
    if (auto parts = sqs::split_attributes(sent.encoded_attributes); parts) {
        out.trailer = parts->trailer;
    }
    out.message_id = sent.message_id;
    out.sent_ns = sent.sent_ns;
    out.sender_uid = sent.sender_uid;
    out.sequence_number = sent.sequence_number;
    return out;
}

// A FIFO message held until its queue's messages are sorted by SequenceNumber (compaction may
// have carried old ones past newer ones), with copies of the bytes its record's views pointed to.
struct HeldFifoMessage {
    HeldFifoMessage(const SentMessage& record, bool live_in_journal)
        : body(record.body), encoded_attributes(record.encoded_attributes), identity(record), live(live_in_journal) {
        identity.queue = {}; // the views are not kept: the segment's mapping goes after the scan
        identity.body = {};
        identity.encoded_attributes = {};
    }

    std::string body;
    std::string encoded_attributes;
    SentMessage identity; // id, sent time, sender, SequenceNumber
    bool live;            // else: deleted, its deduplication id remembered

    [[nodiscard]] engine::MovedMessage moved() const {
        SentMessage whole = identity;
        whole.body = body;
        whole.encoded_attributes = encoded_attributes;
        return moved_of(whole);
    }
};

} // namespace

Status Daemon::restore_messages(std::map<std::string, Queue, std::less<>>& queues) {
    // A second pass over the journal (its pages are cached from the first): each standing
    // message_sent record of a standard queue goes straight from the mapped segment into its
    // queue, with its identity, attributes and sent time. FIFO queues' records are held, sorted
    // by SequenceNumber and put back in that order, with their numbers and deduplication ids.
    const auto started = Clock::now();
    std::uint64_t restored = 0;
    std::uint64_t failed = 0;
    std::map<std::string, std::vector<HeldFifoMessage>, std::less<>> fifo;
    const auto report = [&](const std::string& queue, const Status& status) {
        if (!status && failed++ == 0) {
            log_line("cannot restore a message of " + queue + ": " + status.message());
        }
        restored += status ? 1u : 0u;
    };
    auto scan = journal::scan_journal(options_.data_dir + "/journal", [&](const journal::RecordView& record) {
        if (record.type != journal::RecordType::message_sent && record.type != journal::RecordType::message_remembered) {
            return;
        }
        auto sent = decode_sent(record.payload, (record.flags & journal::record_flag_sealed) != 0);
        if (!sent) {
            return;
        }
        const auto queue = queues.find(sent->queue);
        if (queue == queues.end()) {
            return;
        }
        const JournaledMessages& messages = journaled_.find(sent->queue)->second;
        const JournalLocation* live = messages.find(sent->message_id);
        const JournalLocation* remembered = messages.find_remembered(sent->message_id);
        const bool live_here = live != nullptr && live->sequence == record.sequence;
        if (!live_here && (remembered == nullptr || remembered->sequence != record.sequence)) {
            return; // deleted later, or a copy of one restored already
        }
        if (const auto opened = sent_writer_.open(sent.value(), record.type);
            opened == SentRecordWriter::Opened::key_unknown || opened == SentRecordWriter::Opened::failed) {
            // Kept standing, never taken for deleted: it comes back once its key does.
            journaled_.find(sent->queue)->second.set_unreadable(sent->message_id);
            if (unopened_records_++ == 0) {
                log_line("a sealed message record of " + queue->first + " (sequence " + std::to_string(record.sequence) +
                         ") " +
                         (opened == SentRecordWriter::Opened::failed
                              ? "fails its authentication tag (altered or damaged)"
                              : "names a data key that cannot be read") +
                         ": skipped");
            }
            return;
        }
        if (sent->sequence_number != 0) {
            fifo[queue->first].emplace_back(sent.value(), live_here);
            return;
        }
        report(queue->first, engine_of(queue->second).send_moved(moved_of(sent.value())));
    });
    if (!scan) {
        return scan.error();
    }
    for (auto& [name, held] : fifo) {
        std::sort(held.begin(), held.end(), [](const HeldFifoMessage& a, const HeldFifoMessage& b) {
            return a.identity.sequence_number < b.identity.sequence_number;
        });
        engine::QueueEngine& engine = engine_of(queues.find(name)->second);
        for (const HeldFifoMessage& message : held) {
            if (message.live) {
                report(name, engine.send_moved(message.moved()));
            } else if (Status status = engine.remember_deduplication(message.moved()); !status) {
                log_line("cannot remember a deduplication id of " + name + ": " + status.message());
            }
        }
    }
    const double elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    log_line("restored " + std::to_string(restored) + " messages into " + std::to_string(queues.size()) +
             " queues in " + std::to_string(static_cast<std::uint64_t>(elapsed_ms)) + " ms" +
             (failed > 0 ? " (" + std::to_string(failed) + " could not be restored)" : std::string()) +
             (unopened_records_ > 0 ? " (" + std::to_string(unopened_records_) +
                                          " sealed records could not be opened: not restored, kept in the journal "
                                          "until their keys are back, see above)"
                                    : std::string()));
    if (options_.metrics != nullptr && unopened_records_ > 0) {
        options_.metrics->unreadable_records.fetch_add(unopened_records_, std::memory_order_relaxed);
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
        const auto durability = definition->attributes.find("Durability");
        follow_durability(name, durability != definition->attributes.end() && durability->second != "memory");
        if (const auto attached = durable_.find(name); attached != durable_.end()) {
            attached->second->set_sealing(sealing_of(definition.value()), version);
        }
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
        journaled_.erase(name);
        data_keys_.forget_queue(name);
        appended = true;
    }
    if (appended) {
        if (auto durable = journal_->sync(); !durable) {
            return durable.error();
        }
    }
    return {};
}

void Daemon::follow_durability(const std::string& name, bool durable) {
    const auto attached = durable_.find(name);
    if (durable && attached == durable_.end()) {
        auto queue = client_.open_queue(name);
        if (!queue) {
            return;
        }
        auto added = std::make_unique<DurableQueue>(name, std::move(queue.value()), messages_of(name), sent_writer_);
        if (const auto definition = catalog_.queues().find(name); definition != catalog_.queues().end()) {
            // Before reconcile journals anything (journal_changes read it at this version).
            added->set_sealing(sealing_of(definition->second), seen_versions_[name]);
        }
        const std::uint64_t appended = added->reconcile(*journal_);
        log_line("journaling the messages of " + name + " (" + std::to_string(appended) + " records to catch up)");
        durable_.emplace(name, std::move(added));
    } else if (!durable) {
        if (attached != durable_.end()) {
            durable_.erase(attached);
            log_line("no longer journaling the messages of " + name);
        }
        forget_messages(name);
    }
}

QueueSealing Daemon::sealing_of(const QueueDefinition& definition) {
    const auto attribute = [&](const char* name) -> std::string_view {
        const auto found = definition.attributes.find(name);
        return found == definition.attributes.end() ? std::string_view{} : std::string_view(found->second);
    };
    QueueSealing sealing;
    if (const std::string_view key_id = attribute("KmsMasterKeyId"); !key_id.empty()) {
        sealing.master = key_ring_.find(key_id);
        if (sealing.master == nullptr) {
            // Created through the shared-memory API, which has no key ring to check against: its
            // records are still sealed, under the SQS-managed key, and the operator is told.
            sealing.master = &key_ring_.managed();
            if (unknown_master_logged_.insert(definition.name).second) {
                log_line("queue " + definition.name + " names KmsMasterKeyId " + std::string(key_id) +
                         ", which the key ring does not hold: its records are sealed with the SQS-managed key");
            }
        }
        std::uint32_t seconds = 0;
        const std::string_view period = attribute("KmsDataKeyReusePeriodSeconds");
        if (std::from_chars(period.data(), period.data() + period.size(), seconds).ec == std::errc{} && seconds > 0) {
            sealing.reuse_period_ns = std::int64_t{seconds} * 1'000'000'000;
        }
    } else if (attribute("SqsManagedSseEnabled") != "false") { // SQS's default is on
        sealing.master = &key_ring_.managed();
    }
    return sealing;
}

void Daemon::forget_messages(const std::string& name) {
    const auto messages = journaled_.find(name);
    if (messages == journaled_.end()) {
        return;
    }
    std::vector<std::byte> payload;
    for (const auto& [id, location] : messages->second) {
        encode_deleted({name, id}, payload);
        journal_->append(journal::RecordType::message_deleted, payload);
    }
    journaled_.erase(messages);
}

std::uint64_t Daemon::carry(const journal::RecordView& record, journal::JournalWriter& journal) {
    // A record carried as it is keeps its flags: a sealed one stays sealed under the same key.
    const auto carry_as = [&](journal::RecordType type, std::span<const std::byte> payload, std::uint16_t flags) {
        return std::pair{journal.append(type, payload, flags), journal::framed_size(payload.size())};
    };
    switch (record.type) {
    case journal::RecordType::queue_created:
    case journal::RecordType::queue_config: {
        const std::string* name = catalog_.defined_at(record.sequence);
        if (name == nullptr) {
            return 0;
        }
        const auto [sequence, bytes] = carry_as(record.type, record.payload, record.flags);
        catalog_.relocate(std::string(*name), sequence);
        return bytes;
    }
    case journal::RecordType::data_key: {
        // It stands while its queue does and a standing record is sealed with it (or it is the
        // key the queue seals with now).
        const auto key = identify_data_key(record.payload);
        const auto queue = key ? journaled_.find(key->queue) : journaled_.end();
        const bool defined = key && catalog_.queues().contains(std::string(key->queue));
        if (!defined || !(data_keys_.is_current(key->id) ||
                          (queue != journaled_.end() && queue->second.sealed_with(key->id) > 0))) {
            if (key) {
                data_keys_.retire(key->id);
            }
            return 0;
        }
        return carry_as(record.type, record.payload, record.flags).second;
    }
    case journal::RecordType::message_sent:
    case journal::RecordType::message_remembered: {
        auto sent = decode_sent(record.payload, (record.flags & journal::record_flag_sealed) != 0);
        const auto queue = sent ? journaled_.find(sent->queue) : journaled_.end();
        if (queue == journaled_.end()) {
            return 0;
        }
        JournaledMessages& messages = queue->second;
        if (const JournalLocation* live = messages.find(sent->message_id);
            live != nullptr && live->sequence == record.sequence) {
            const auto [sequence, bytes] = carry_as(record.type, record.payload, record.flags);
            messages.relocate(sent->message_id, sequence);
            return bytes;
        }
        if (const JournalLocation* unreadable = messages.find_unreadable(sent->message_id);
            unreadable != nullptr && unreadable->sequence == record.sequence) {
            const auto [sequence, bytes] = carry_as(record.type, record.payload, record.flags);
            messages.relocate_unreadable(sent->message_id, sequence);
            return bytes;
        }
        const JournalLocation* remembered = messages.find_remembered(sent->message_id);
        if (remembered == nullptr || remembered->sequence != record.sequence ||
            remembered->remember_until_ns <= SystemClock::instance().now_ns()) {
            return 0;
        }
        // Deleted within its deduplication window: its ids go on, its body does not. A sealed
        // one is opened and sealed again (under the queue's current key) without it; one that
        // cannot be opened is carried whole rather than lost.
        const SentRecordWriter::Opened opened = sent_writer_.open(sent.value(), record.type);
        if (opened == SentRecordWriter::Opened::key_unknown || opened == SentRecordWriter::Opened::failed) {
            const auto [sequence, bytes] = carry_as(record.type, record.payload, record.flags);
            messages.relocate_remembered(sent->message_id, sequence, static_cast<std::uint32_t>(bytes),
                                         remembered->data_key_id);
            return bytes;
        }
        SentMessage ids = sent.value();
        ids.body = {};
        const auto definition = catalog_.queues().find(queue->first);
        QueueSealing sealing =
            definition != catalog_.queues().end() ? sealing_of(definition->second) : QueueSealing{&key_ring_.managed()};
        if (sealing.master == nullptr && (record.flags & journal::record_flag_sealed) != 0) {
            // SSE turned off since: what was sealed stays sealed (under its own master key).
            const DataKey* key = data_keys_.find(sent->data_key_id);
            sealing.master = key != nullptr ? key_ring_.by_id(key->master_key_id) : nullptr;
            sealing.master = sealing.master != nullptr ? sealing.master : &key_ring_.managed();
        }
        auto written = sent_writer_.append(journal::RecordType::message_remembered, ids, sealing,
                                           SystemClock::instance().now_ns(), journal);
        if (!written) {
            // No key could be made: the record is carried whole, still sealed.
            const auto [sequence, bytes] = carry_as(record.type, record.payload, record.flags);
            messages.relocate_remembered(sent->message_id, sequence, static_cast<std::uint32_t>(bytes),
                                         remembered->data_key_id);
            return bytes;
        }
        messages.relocate_remembered(sent->message_id, written->sequence, written->bytes, written->data_key_id);
        return written->bytes;
    }
    default:
        return 0; // deletions: what they cancelled is in the same segment or gone before it
    }
}

std::uint64_t Daemon::live_bytes() const {
    std::uint64_t total = catalog_.live_bytes();
    for (const auto& [name, messages] : journaled_) {
        total += messages.bytes();
    }
    return total;
}

void Daemon::publish_metrics() {
    JournalMetrics* metrics = options_.metrics;
    const auto now = Clock::now();
    if (metrics == nullptr || now - last_metrics_ < std::chrono::milliseconds(100)) {
        return;
    }
    last_metrics_ = now;
    metrics->appended_sequence.store(journal_->next_sequence() - 1, std::memory_order_relaxed);
    metrics->durable_sequence.store(journal_->durable_sequence(), std::memory_order_relaxed);
    std::uint64_t disk = 0;
    for (const journal::JournalWriter::Segment& segment : journal_->segments()) {
        disk += segment.capacity_bytes;
    }
    metrics->segments.store(journal_->segments().size(), std::memory_order_relaxed);
    metrics->disk_bytes.store(disk, std::memory_order_relaxed);
    metrics->live_bytes.store(live_bytes(), std::memory_order_relaxed);
    metrics->compacted_segments.store(compactor_.totals().segments_removed, std::memory_order_relaxed);
    metrics->carried_records.store(compactor_.totals().records_carried, std::memory_order_relaxed);
}

Status Daemon::compact() {
    if (const std::int64_t now = SystemClock::instance().now_ns(); now - last_prune_ns_ >= 1'000'000'000) {
        last_prune_ns_ = now;
        for (auto& [name, messages] : journaled_) {
            messages.prune(now);
        }
        // A data key nothing standing is sealed with is never needed again (new records use the
        // current key): out of memory, so that rotation every few minutes does not pile keys up.
        data_keys_.retire_unused([&](const DataKey& key) {
            const auto messages = journaled_.find(key.queue);
            return messages != journaled_.end() && messages->second.sealed_with(key.id) > 0;
        });
    }
    const CompactionTotals before = compactor_.totals();
    auto step = compactor_.step(*journal_, *this);
    if (!step) {
        return step.error();
    }
    const CompactionTotals& after = compactor_.totals();
    publish_metrics();
    if (after.segments_removed != before.segments_removed) {
        log_line("compaction: removed a journal segment (" + std::to_string(after.segments_removed) +
                 " so far, " + std::to_string(after.records_carried) + " live records carried forward, " +
                 std::to_string(after.bytes_carried >> 10) + " KiB)");
    }
    return {};
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
        engine::futex_wait_any(words, seen, std::int64_t{options_.commit_interval_ms} * 1'000'000);
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
    // A queue whose attributes changed has its sealing decided again before its sends are
    // journaled (SSE turned on applies to every send made after it).
    if (std::any_of(durable_.begin(), durable_.end(), [](const auto& entry) { return entry.second->sealing_stale(); })) {
        if (Status changed = journal_changes(); !changed) {
            return changed.error();
        }
    }
    std::uint64_t appended = 0;
    for (auto& [name, queue] : durable_) {
        appended += queue->pump(*journal_);
        if (!queue->failure()) {
            return Error{queue->failure().error().code,
                         "cannot journal a message of " + name + ": " + queue->failure().message()};
        }
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
        if (Status status = compact(); !status) {
            return status;
        }
    }
}

} // namespace shmq::daemon
