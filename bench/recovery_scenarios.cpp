// Recovery and compaction with the real shmqd (issue 4; see scenarios.h, "recovery" and
// "compaction"). Each run starts shmqd through shmqd_process.h on a fresh directory of the bench
// data directory (real disk) and checks what it did: any failure is a SkipWithError.
//   recovery: a Durability=async queue in a namespace of its own ("<run's namespace>-recovery",
//             so that wiping it, as a reboot would, leaves the other scenarios' queues alone)
//             gets N 64 B messages, never deleted; shmqd is stopped with SIGTERM (its journal must
//             then hold N message_sent records and no deletion) and every file of the namespace
//             directory is deleted. Timed: a second shmqd, started on that data directory, until
//             it prints "shmqd ready" (replay, queue recreated, N messages restored). Checked: its
//             log says N restored and the queue holds N. Counters parsed from its log.
//   scan_only: journal::scan_journal over the directory the last recovery run of that N left,
//             with an empty visitor: reading and checking every record, nothing else.
//   compaction: shmqd with 8 MiB segments; a Durability=async keepers queue filled once, then
//             Durability=sync batches of 10 × 64 KiB sent, received and deleted one after the
//             other (timed) until 512 MiB went through; after a SIGTERM stop, the *.seg bytes of
//             the journal against the keepers' body bytes.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench_environment.h"
#include "journal/journal_writer.h"
#include "scenarios.h"
#include "shmq/client.h"
#include "shmq/limits.h"
#include "shmq/queue.h"
#include "shmq_helpers.h"
#include "shmqd_process.h"

namespace shmq_bench {

namespace {

constexpr std::uint32_t send_batch = shmq::limits::send_batch_max;
constexpr double mib = 1024.0 * 1024.0;

// The namespace of the recovery scenario (wiped between the two shmqd runs), opened on first use.
struct RecoveryNamespace {
    std::optional<shmq::Client> client;
    std::string error;
};

RecoveryNamespace& recovery_namespace() {
    static RecoveryNamespace space = [] {
        RecoveryNamespace opened;
        shmq::ClientOptions options;
        options.namespace_name = BenchEnvironment::get().namespace_name() + "-recovery";
        auto client = shmq::Client::open(options);
        if (!client) {
            opened.error = "Client::open(" + options.namespace_name + "): " + client.error().message;
        } else {
            opened.client.emplace(std::move(client.value()));
        }
        return opened;
    }();
    return space;
}

// The journal directory of the last recovery run of each message count, for scan_only.
std::map<std::uint64_t, std::string>& kept_recovery_directories() {
    static std::map<std::uint64_t, std::string> directories;
    return directories;
}

// Deletes every file of a namespace directory: what a reboot does to /dev/shm.
void wipe_namespace(const shmq::Client& client) {
    std::error_code code;
    for (const auto& entry : std::filesystem::directory_iterator(client.namespace_dir(), code)) {
        std::error_code ignored;
        std::filesystem::remove_all(entry.path(), ignored);
    }
}

// The number that follows the last occurrence of key in text, or -1.
double number_after(const std::string& text, std::string_view key) {
    const auto at = text.rfind(key);
    if (at == std::string::npos) {
        return -1;
    }
    return std::strtod(text.c_str() + at + key.size(), nullptr);
}

struct SegmentFiles {
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
};

SegmentFiles segment_files(const std::string& journal_directory) {
    SegmentFiles files;
    std::error_code code;
    for (const auto& entry : std::filesystem::directory_iterator(journal_directory, code)) {
        std::error_code ignored;
        if (entry.path().extension() == ".seg") {
            ++files.count;
            files.bytes += entry.file_size(ignored);
        }
    }
    return files;
}

// Sends count messages of body_bytes in batches of 10 (each body stamped with its number).
bool send_messages(shmq::Queue& queue, std::uint64_t count, std::size_t body_bytes, std::string& error) {
    std::vector<std::string> bodies(send_batch, std::string(body_bytes, 'k'));
    std::array<shmq::SendEntry, send_batch> entries{};
    std::array<shmq::SendOutcome, send_batch> outcomes{};
    for (std::uint64_t sent = 0; sent < count;) {
        const auto batch = static_cast<std::uint32_t>(std::min<std::uint64_t>(send_batch, count - sent));
        for (std::uint32_t i = 0; i < batch; ++i) {
            stamp_sequence(bodies[i].data(), sent + i);
            entries[i] = shmq::SendEntry{.body = bodies[i]};
        }
        const shmq::Status status =
            queue.send_batch(std::span(entries.data(), batch), std::span(outcomes.data(), batch));
        if (!status) {
            error = "send_batch after " + std::to_string(sent) + " messages: " + status.message();
            return false;
        }
        for (std::uint32_t i = 0; i < batch; ++i) {
            if (outcomes[i].error != shmq::Errc::ok) {
                error = "send_batch entry after " + std::to_string(sent + i) +
                        " messages: " + queue.explain_send_error(entries[i], outcomes[i].error).message();
                return false;
            }
        }
        sent += batch;
    }
    return true;
}

// How many distinct keepers (numbered 0..keepers-1 by stamp_sequence) have a message_sent record in
// the journal. Counting sent minus deleted records would not do: compaction may remove a churn
// message's message_sent record while its message_deleted record, in a later segment, stays.
std::uint64_t journaled_keepers(const std::string& journal_directory, std::uint32_t keepers, std::string& error) {
    std::vector<bool> seen(keepers, false);
    std::uint64_t distinct = 0;
    const std::string run(16, 'k');
    auto scan = shmq::journal::scan_journal(journal_directory, [&](const shmq::journal::RecordView& record) {
        if (record.type != shmq::journal::RecordType::message_sent ||
            record.payload.size() >= compaction_churn_body_bytes) {
            return;
        }
        const std::string_view payload(reinterpret_cast<const char*>(record.payload.data()), record.payload.size());
        const auto body = payload.find(run); // hex digits hold no 'k': the stamp is just before
        if (body == std::string_view::npos || body < 8) {
            return;
        }
        const std::uint64_t index = std::strtoull(std::string(payload.substr(body - 8, 8)).c_str(), nullptr, 16);
        if (index < keepers && !seen[index]) {
            seen[index] = true;
            ++distinct;
        }
    });
    if (!scan) {
        error = "reading shmqd's journal: " + scan.error().message;
    } else if (scan->corrupt_regions != 0) {
        error = "shmqd's journal has " + std::to_string(scan->corrupt_regions) + " corrupt regions after a clean stop";
    }
    return distinct;
}

std::uint32_t recovery_round = 0;
std::uint32_t compaction_round = 0;

// The setup of one recovery run: a data directory whose journal holds `messages` live messages
// of one queue, and a namespace without any region. Returns the queue name, or "" with error.
std::string prepare_recovery(const shmq::Client& client, std::uint64_t messages, const std::string& directory,
                             std::string& error) {
    const std::string name = "recovery-" + std::to_string(messages) + "-" + std::to_string(recovery_round++);
    shmq::QueueCapacity capacity;
    capacity.slot_count = std::bit_ceil(static_cast<std::uint32_t>(messages));
    if (auto created = client.create_queue(name, {{"Durability", "async"}}, {}, capacity); !created) {
        error = "create_queue(" + name + "): " + created.error().message;
        return {};
    }
    ShmqdOptions options;
    options.directory = directory;
    options.namespace_name = client.namespace_name();
    options.log_name = "shmqd-setup.log";
    auto daemon = Shmqd::start(options, error);
    if (!daemon) {
        return {};
    }
    {
        auto queue = client.open_queue(name);
        if (!queue) {
            error = "open_queue(" + name + "): " + queue.error().message;
            return {};
        }
        if (!send_messages(queue.value(), messages, small_body_bytes, error)) {
            return {};
        }
    }
    MessageRecords records;
    if (!daemon->stop(error) || !daemon->count_message_records(records, error)) {
        return {};
    }
    if (records.sent != messages || records.deleted != 0) {
        error = "after a clean stop the journal holds " + std::to_string(records.sent) + " messages sent and " +
                std::to_string(records.deleted) + " deleted, for " + std::to_string(messages) + " sent, none deleted";
        return {};
    }
    daemon.reset();
    wipe_namespace(client);
    return name;
}

} // namespace

void durable_recovery(benchmark::State& state, std::uint64_t messages) {
    RecoveryNamespace& space = recovery_namespace();
    if (!space.client) {
        state.SkipWithError(space.error.c_str());
        return;
    }
    const shmq::Client& client = *space.client;
    double replay_ms = -1;
    double restore_ms = -1;
    double ready_ms = 0;
    double cpu_share = -1;
    double records = 0;
    double segments = 0;
    for (auto _ : state) {
        std::string error;
        const std::string directory = new_shmqd_directory(error);
        const std::string name =
            directory.empty() ? std::string() : prepare_recovery(client, messages, directory, error);
        if (name.empty()) {
            state.SkipWithError(error.c_str());
            wipe_namespace(client);
            std::error_code ignored;
            std::filesystem::remove_all(directory, ignored);
            break;
        }
        ShmqdOptions options;
        options.directory = directory;
        options.namespace_name = client.namespace_name();
        options.log_name = "shmqd-recovery.log";
        options.wait_spare_segment = false; // writeback after ready is not recovery
        const std::int64_t before = monotonic_ns();
        auto daemon = Shmqd::start(options, error);
        const std::int64_t wall_ns = monotonic_ns() - before;
        state.SetIterationTime(static_cast<double>(wall_ns) * 1e-9);
        if (daemon) {
            const std::int64_t cpu_ns = daemon->cpu_ns();
            cpu_share = cpu_ns >= 0 ? static_cast<double>(cpu_ns) / static_cast<double>(wall_ns) : -1;
            ready_ms = static_cast<double>(wall_ns) * 1e-6;
            const std::string log = daemon->log();
            records = number_after(log, "shmqd: recovered ");
            segments = number_after(log, " journal records from ");
            replay_ms = number_after(log, " segments in ");
            restore_ms = number_after(log, " queues in ");
            const double restored = number_after(log, "shmqd: restored ");
            auto attributes = client.get_queue_attributes(name, {"ApproximateNumberOfMessages"});
            const std::string held = attributes && attributes->contains("ApproximateNumberOfMessages")
                                         ? attributes->at("ApproximateNumberOfMessages")
                                         : std::string("?");
            if (restored != static_cast<double>(messages) || held != std::to_string(messages)) {
                error = "shmqd restored " + std::to_string(restored) + " messages, the queue holds " + held + ", for " +
                        std::to_string(messages) + " journaled";
            }
            std::string stop_error;
            if (!daemon->stop(stop_error) && error.empty()) {
                error = stop_error;
            }
        }
        daemon.reset();
        (void)client.delete_queue(name);
        wipe_namespace(client);
        // The last run's journal stays for scan_only; earlier ones go.
        std::string& kept = kept_recovery_directories()[messages];
        std::error_code ignored;
        std::filesystem::remove_all(kept, ignored);
        kept = directory;
        if (!error.empty()) {
            state.SkipWithError(error.c_str());
            break;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(messages) * state.iterations());
    state.counters["ready_ms"] = benchmark::Counter(ready_ms);
    state.counters["replay_ms"] = benchmark::Counter(replay_ms);
    state.counters["restore_ms"] = benchmark::Counter(restore_ms);
    // Between the process start and ready, outside replay and restore: exec, opening the writer,
    // recreating the queue, reconciling its slots with the journal.
    state.counters["other_ms"] = benchmark::Counter(ready_ms - std::max(replay_ms, 0.0) - std::max(restore_ms, 0.0));
    state.counters["records"] = benchmark::Counter(records);
    state.counters["segments"] = benchmark::Counter(segments);
    state.counters["shmqd_cpu"] = benchmark::Counter(cpu_share);
}

void durable_recovery_scan_only(benchmark::State& state, std::uint64_t messages) {
    const auto kept = kept_recovery_directories().find(messages);
    if (kept == kept_recovery_directories().end() || kept->second.empty()) {
        state.SkipWithError(
            ("no journal: run durable/recovery/messages:" + std::to_string(messages) + " first").c_str());
        return;
    }
    const std::string journal = kept->second + "/journal";
    std::uint64_t records = 0;
    std::uint64_t journal_bytes = 0;
    for (auto _ : state) {
        const std::int64_t before = monotonic_ns();
        auto scan = shmq::journal::scan_journal(journal, [](const shmq::journal::RecordView&) {});
        state.SetIterationTime(static_cast<double>(monotonic_ns() - before) * 1e-9);
        if (!scan || scan->corrupt_regions != 0) {
            state.SkipWithError(!scan ? ("scan_journal: " + scan.error().message).c_str() : "corrupt regions");
            break;
        }
        records = scan->records;
        journal_bytes = 0;
        for (const auto& segment : scan->segments) {
            journal_bytes += segment.end_offset;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(messages) * state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(journal_bytes) * state.iterations());
    state.counters["records"] = benchmark::Counter(static_cast<double>(records));
    state.counters["journal_MiB"] = benchmark::Counter(static_cast<double>(journal_bytes) / mib);
}

void durable_compaction(benchmark::State& state, std::uint32_t keepers) {
    auto& environment = BenchEnvironment::get();
    const std::uint32_t round = compaction_round++;
    shmq::QueueCapacity keeper_capacity;
    keeper_capacity.slot_count = std::max(shmq::limits::slot_count_min, std::bit_ceil(keepers * 2));
    // 1 KiB bodies live in the blob arena: its default has room for every slot's message.
    shmq::QueueCapacity churn_capacity;
    churn_capacity.slot_count = 64;
    const std::string keeper_name = environment.create_fresh_queue("compaction-keepers-" + std::to_string(round),
                                                                   {{"Durability", "async"}}, keeper_capacity);
    const std::string churn_name = keeper_name.empty()
                                       ? std::string()
                                       : environment.create_fresh_queue("compaction-churn-" + std::to_string(round),
                                                                        {{"Durability", "sync"}}, churn_capacity);
    const auto finish = [&] {
        environment.drop_queue(keeper_name);
        environment.drop_queue(churn_name);
    };
    if (churn_name.empty()) {
        state.SkipWithError(environment.error().c_str());
        finish();
        return;
    }
    std::string error;
    ShmqdOptions options;
    options.segment_mib = compaction_segment_mib;
    auto daemon = Shmqd::start(options, error);
    auto keeper_queue = daemon ? open_queue(keeper_name, error) : std::nullopt;
    auto churn_queue = keeper_queue ? open_queue(churn_name, error) : std::nullopt;
    if (!churn_queue || !send_messages(*keeper_queue, keepers, compaction_keeper_body_bytes, error)) {
        state.SkipWithError(error.c_str());
        daemon.reset();
        finish();
        return;
    }
    std::vector<std::string> bodies(send_batch, std::string(compaction_churn_body_bytes, 'c'));
    std::array<shmq::SendEntry, send_batch> entries{};
    std::array<shmq::SendOutcome, send_batch> outcomes{};
    std::array<shmq::ReceiptHandle, send_batch> handles{};
    std::array<shmq::Errc, send_batch> errors{};
    shmq::ReceiveRequest request;
    request.max_number_of_messages = send_batch;
    request.wait_time_s = 0;
    std::uint64_t sequence = 0;
    // One batch through the sync queue: sent (returns once durable), received, deleted.
    const auto churn_one_batch = [&]() -> bool {
        for (std::uint32_t i = 0; i < send_batch; ++i) {
            stamp_sequence(bodies[i].data(), sequence++);
            entries[i] = shmq::SendEntry{.body = bodies[i]};
        }
        if (const shmq::Status status = churn_queue->send_batch(entries, outcomes); !status) {
            error = "Durability=sync send_batch: " + status.message();
            return false;
        }
        for (std::uint32_t i = 0; i < send_batch; ++i) {
            if (outcomes[i].error != shmq::Errc::ok) {
                error = "Durability=sync send_batch entry: " +
                        churn_queue->explain_send_error(entries[i], outcomes[i].error).message();
                return false;
            }
        }
        std::uint32_t count = 0;
        for (std::uint32_t poll = 0; count < send_batch && poll < empty_polls_between_liveness_checks; ++poll) {
            auto received = churn_queue->receive_views(
                request, [&](const shmq::MessageView& view) { handles[count++] = view.receipt_handle; });
            if (!received) {
                error = "receive_views: " + received.error().message;
                return false;
            }
        }
        churn_queue->delete_batch(std::span(handles.data(), count), std::span(errors.data(), count));
        if (count != send_batch) {
            error = "received " + std::to_string(count) + " of a batch of " + std::to_string(send_batch);
            return false;
        }
        return true;
    };
    // Untimed: the path is warm, and the keepers are durable (journaled no later than this batch).
    const bool warm = churn_one_batch();
    const std::uint64_t batch_bytes = std::uint64_t{send_batch} * compaction_churn_body_bytes;
    const std::uint64_t batches = (compaction_churn_bytes + batch_bytes - 1) / batch_bytes;
    const std::string journal = daemon->journal_directory();
    std::uint64_t peak_disk_bytes = 0;
    std::uint64_t churned = 0;
    std::int64_t wall_ns = 0;
    std::int64_t cpu_ns = -1;
    for (auto _ : state) {
        if (!warm) {
            break;
        }
        const std::int64_t cpu_before = daemon->cpu_ns();
        const std::int64_t before = monotonic_ns();
        for (std::uint64_t batch = 0; batch < batches; ++batch) {
            if (!churn_one_batch()) {
                break;
            }
            churned += send_batch;
            if (batch % compaction_disk_sample_batches == 0) {
                peak_disk_bytes = std::max(peak_disk_bytes, segment_files(journal).bytes);
            }
        }
        wall_ns += monotonic_ns() - before;
        cpu_ns = cpu_before < 0 ? -1 : daemon->cpu_ns() - cpu_before;
        state.SetIterationTime(static_cast<double>(wall_ns) * 1e-9);
    }
    keeper_queue.reset();
    churn_queue.reset();
    const bool stopped = daemon->stop(error);
    const SegmentFiles files = segment_files(journal);
    const std::string log = daemon->log();
    if (stopped) {
        const std::uint64_t held = journaled_keepers(journal, keepers, error);
        if (error.empty() && held != keepers) {
            error = "the journal holds " + std::to_string(held) + " of the " + std::to_string(keepers) + " keepers";
        }
    }
    if (!error.empty() || !stopped) {
        state.SkipWithError(error.c_str());
    }
    daemon.reset();
    finish();
    const double live_bytes = static_cast<double>(keepers) * static_cast<double>(compaction_keeper_body_bytes);
    const double churned_bytes = static_cast<double>(churned) * static_cast<double>(compaction_churn_body_bytes);
    state.SetItemsProcessed(static_cast<std::int64_t>(churned));
    state.SetBytesProcessed(static_cast<std::int64_t>(churned_bytes));
    state.counters["churn_MiB_per_s"] =
        benchmark::Counter(wall_ns > 0 ? churned_bytes / mib / (static_cast<double>(wall_ns) * 1e-9) : 0);
    state.counters["disk_MiB"] = benchmark::Counter(static_cast<double>(files.bytes) / mib);
    state.counters["live_MiB"] = benchmark::Counter(live_bytes / mib);
    state.counters["segments"] = benchmark::Counter(static_cast<double>(files.count));
    state.counters["segments_removed"] =
        benchmark::Counter(std::max(0.0, number_after(log, "removed a journal segment (")));
    // What compaction rewrote to free those segments (its write amplification, with the churn).
    state.counters["carried_MiB"] =
        benchmark::Counter(std::max(0.0, number_after(log, " live records carried forward, ")) / 1024.0);
    state.counters["shmqd_cpu"] = benchmark::Counter(
        wall_ns > 0 && cpu_ns >= 0 ? static_cast<double>(cpu_ns) / static_cast<double>(wall_ns) : -1);
    if (keepers > 0) {
        state.counters["disk_per_live"] = benchmark::Counter(static_cast<double>(files.bytes) / live_bytes);
        state.counters["peak_disk_per_live"] = benchmark::Counter(static_cast<double>(peak_disk_bytes) / live_bytes);
    } else {
        state.counters["peak_disk_MiB"] = benchmark::Counter(static_cast<double>(peak_disk_bytes) / mib);
    }
}

void recovery_cleanup() {
    for (auto& [messages, directory] : kept_recovery_directories()) {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }
    kept_recovery_directories().clear();
    RecoveryNamespace& space = recovery_namespace();
    if (space.client && space.client->namespace_dir().find(space.client->namespace_name()) != std::string::npos) {
        std::error_code ignored;
        std::filesystem::remove_all(space.client->namespace_dir(), ignored);
    }
}

} // namespace shmq_bench
