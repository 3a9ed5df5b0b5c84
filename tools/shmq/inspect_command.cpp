// `shmq inspect QUEUE [--json]`: what a queue's shared-memory region holds right now (header,
// ring positions, how many slots are in each state, who is attached, lifetime totals), from
// Queue::inspect(). Not an SQS action; it exists for the day a queue hangs. QUEUE is a name or
// any URL ending in the name. --json prints the same fields, named as in QueueInspection.
#include <boost/json/object.hpp>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "command.h"
#include "json_output.h"

namespace shmq::cli {
namespace {

// Distance between two ring positions; positions only grow, but a torn read of a live ring
// could show head past tail, which must not print as a huge unsigned number.
std::uint64_t ring_length(std::uint64_t head, std::uint64_t tail) {
    return tail >= head ? tail - head : 0;
}

std::string format_due(std::int64_t due_ns, std::int64_t now_ns) {
    if (due_ns <= 0) {
        return "none";
    }
    const std::int64_t delta_ms = (due_ns - now_ns) / 1'000'000;
    return std::to_string(due_ns) + " ns (" +
           (delta_ms >= 0 ? "in " + std::to_string(delta_ms) + " ms" : std::to_string(-delta_ms) + " ms overdue") + ")";
}

boost::json::object inspection_json(const QueueInspection& inspection) {
    return boost::json::object{
        {"name", inspection.name},
        {"layout_version", inspection.layout_version},
        {"region_bytes", inspection.region_bytes},
        {"slot_count", inspection.slot_count},
        {"inline_bytes", inspection.inline_bytes},
        {"fifo_deduplication", inspection.fifo_deduplication},
        {"message_bytes_capacity", inspection.message_bytes_capacity},
        {"blob_chunks", inspection.blob_chunks},
        {"blob_chunks_carved", inspection.blob_chunks_carved},
        {"ready_ring_head", inspection.ready_ring_head},
        {"ready_ring_tail", inspection.ready_ring_tail},
        {"free_ring_head", inspection.free_ring_head},
        {"free_ring_tail", inspection.free_ring_tail},
        {"free", inspection.free},
        {"writing", inspection.writing},
        {"ready", inspection.ready},
        {"in_flight", inspection.in_flight},
        {"delayed", inspection.delayed},
        {"freeing", inspection.freeing},
        {"registered_processes", inspection.registered_processes},
        {"sleeping_receivers", inspection.sleeping_receivers},
        {"next_timer_due_ns", inspection.next_timer_due_ns},
        {"sent_total", inspection.sent_total},
        {"received_total", inspection.received_total},
        {"deleted_total", inspection.deleted_total},
        {"expired_total", inspection.expired_total},
        {"dead_lettered_total", inspection.dead_lettered_total},
        {"recovered_total", inspection.recovered_total},
        {"tenant_messages", inspection.tenant_messages},
        {"tenant_buckets_used", inspection.tenant_buckets_used},
        {"noisy_tenant_buckets", inspection.noisy_tenant_buckets},
        {"deferred_ring_head", inspection.deferred_ring_head},
        {"deferred_ring_tail", inspection.deferred_ring_tail},
    };
}

void print_human(const QueueInspection& inspection, std::int64_t now_ns) {
    std::printf("queue               %s\n", inspection.name.c_str());
    std::printf("region              %" PRIu64 " bytes, layout version %" PRIu32 "\n", inspection.region_bytes,
                inspection.layout_version);
    std::printf("capacity            %" PRIu32 " slots of %" PRIu32 " inline bytes, %" PRIu64
                " message bytes (%" PRIu32 " of %" PRIu32 " blob chunks carved)\n",
                inspection.slot_count, inspection.inline_bytes, inspection.message_bytes_capacity,
                inspection.blob_chunks_carved, inspection.blob_chunks);
    std::printf("ready ring          head %" PRIu64 "  tail %" PRIu64 "  (%" PRIu64 " queued)\n",
                inspection.ready_ring_head, inspection.ready_ring_tail,
                ring_length(inspection.ready_ring_head, inspection.ready_ring_tail));
    std::printf("free ring           head %" PRIu64 "  tail %" PRIu64 "  (%" PRIu64 " queued)\n",
                inspection.free_ring_head, inspection.free_ring_tail,
                ring_length(inspection.free_ring_head, inspection.free_ring_tail));
    std::printf("fair dispatch       %" PRId64 " tenant messages in %" PRIu32 " buckets, %" PRIu32
                " noisy, %" PRIu64 " set aside\n",
                inspection.tenant_messages, inspection.tenant_buckets_used, inspection.noisy_tenant_buckets,
                ring_length(inspection.deferred_ring_head, inspection.deferred_ring_tail));
    std::printf("messages            ready %" PRIu32 "  in flight %" PRIu32 "  delayed %" PRIu32 "\n", inspection.ready,
                inspection.in_flight, inspection.delayed);
    std::printf("slots               free %" PRIu32 "  writing %" PRIu32 "  freeing %" PRIu32 "\n", inspection.free,
                inspection.writing, inspection.freeing);
    std::printf("processes           %" PRIu32 " registered, %" PRIu32 " receivers sleeping\n",
                inspection.registered_processes, inspection.sleeping_receivers);
    std::printf("next timer due      %s\n", format_due(inspection.next_timer_due_ns, now_ns).c_str());
    std::printf("totals              sent %" PRIu64 "  received %" PRIu64 "  deleted %" PRIu64 "  expired %" PRIu64
                "  dead-lettered %" PRIu64 "  recovered %" PRIu64 "\n",
                inspection.sent_total, inspection.received_total, inspection.deleted_total, inspection.expired_total,
                inspection.dead_lettered_total, inspection.recovered_total);
    std::fflush(stdout);
}

struct InspectCommand {
    std::string queue;
    bool json = false;

    void declare(CLI::App& parser) {
        parser.add_option("queue", queue, "Queue name or URL")->required();
        parser.add_flag("--json", json, "Print JSON instead of text");
    }

    Outcome run(const Client& client, const GlobalOptions& /*globals*/) {
        auto name = queue_name_from_url(queue);
        if (!name.ok()) {
            return name.failure();
        }
        auto opened = client.open_queue(name.value());
        if (!opened.ok()) {
            return Failure::service(opened.error());
        }
        const QueueInspection inspection = opened.value().inspect();
        if (json) {
            print_response(inspection_json(inspection));
        } else {
            print_human(inspection, client.clock().now_ns());
        }
        return {};
    }
};

} // namespace

void add_inspect_command(CommandSet& commands) {
    commands.add<InspectCommand>("inspect", "Inspect", "Show a queue's shared-memory region (shmq only, not in aws)");
}

} // namespace shmq::cli
