// See run_report.h.
#include "run_report.h"

#include <boost/json.hpp>
#include <cstdio>

#include "progress_line.h"

namespace shmq_bench {

namespace {

std::string duration_text(std::uint64_t ns) {
    char text[32];
    const auto value = static_cast<double>(ns);
    if (ns >= 1'000'000'000) {
        std::snprintf(text, sizeof(text), "%.2f s", value / 1e9);
    } else if (ns >= 1'000'000) {
        std::snprintf(text, sizeof(text), "%.2f ms", value / 1e6);
    } else if (ns >= 1'000) {
        std::snprintf(text, sizeof(text), "%.2f us", value / 1e3);
    } else {
        std::snprintf(text, sizeof(text), "%llu ns", static_cast<unsigned long long>(ns));
    }
    return text;
}

std::string grouped(std::uint64_t value) {
    const std::string digits = std::to_string(value);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            text += ',';
        }
        text += digits[i];
    }
    return text;
}

std::string plural(std::uint32_t count, const char* noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

} // namespace

void print_table(const BenchOptions& options, const RunReport& report, std::ostream& out) {
    char line[256];
    out << "shmq-bench: " << plural(options.producers, "producer") << " -> " << plural(options.consumers, "consumer")
        << ", " << options.size_bytes << " B bodies, batch " << options.batch << ", wait time " << options.wait_time_s
        << " s";
    if (options.rate_per_s > 0) {
        out << ", rate " << si_number(options.rate_per_s) << " msgs/s";
    }
    out << "\n  queue        " << report.queue_name << " in namespace " << report.namespace_name
        << (report.temporary_queue ? " (temporary)" : "") << '\n';
    std::snprintf(line, sizeof(line), "  duration     %.3f s (go to last receive)%s\n", report.elapsed_s,
                  report.interrupted ? ", interrupted" : "");
    out << line;
    std::snprintf(line, sizeof(line), "  throughput   %s msgs/s   %sB/s\n", si_number(report.msgs_per_s).c_str(),
                  si_number(report.bytes_per_s).c_str());
    out << line;
    out << "  latency      p50 " << duration_text(report.p50_ns) << "   p99 " << duration_text(report.p99_ns)
        << "   p99.9 " << duration_text(report.p999_ns) << "   max " << duration_text(report.max_ns)
        << "   (send to receive" << (options.rate_per_s > 0 ? ")\n" : "; saturated: includes queueing, see --rate)\n");
    out << "  sent         " << grouped(report.sent) << '\n';
    out << "  received     " << grouped(report.received) << "   redelivered " << grouped(report.redelivered)
        << "   duplicates " << grouped(report.duplicates) << "   missing " << grouped(report.missing) << '\n';
    out << "  deleted      " << grouped(report.deleted) << '\n';
    if (report.foreign > 0) {
        out << "  foreign      " << grouped(report.foreign)
            << " receives of messages from other senders, left in the queue\n";
    }
    if (report.capped) {
        out << "  note         a producer reached its sequence capacity and stopped early\n";
    }
    if (report.gave_up_waiting) {
        out << "  note         consumers stopped waiting after no progress; missing messages may "
               "still be in flight\n";
    }
    for (const auto& failure : report.failures) {
        out << "  error        " << failure << '\n';
    }
}

void print_json(const BenchOptions& options, const RunReport& report, std::ostream& out) {
    boost::json::object object;
    object["producers"] = options.producers;
    object["consumers"] = options.consumers;
    object["size"] = options.size_bytes;
    object["batch"] = options.batch;
    object["wait_time_seconds"] = options.wait_time_s;
    object["visibility_timeout"] = options.visibility_timeout_s;
    object["rate"] = options.rate_per_s;
    object["queue_name"] = report.queue_name;
    object["namespace"] = report.namespace_name;
    object["temporary_queue"] = report.temporary_queue;
    object["elapsed_s"] = report.elapsed_s;
    object["msgs_per_s"] = report.msgs_per_s;
    object["bytes_per_s"] = report.bytes_per_s;
    object["p50_ns"] = report.p50_ns;
    object["p99_ns"] = report.p99_ns;
    object["p999_ns"] = report.p999_ns;
    object["max_ns"] = report.max_ns;
    object["sent"] = report.sent;
    object["received"] = report.received;
    object["unique_received"] = report.unique_received;
    object["deleted"] = report.deleted;
    object["redelivered"] = report.redelivered;
    object["duplicates"] = report.duplicates;
    object["missing"] = report.missing;
    object["foreign"] = report.foreign;
    object["interrupted"] = report.interrupted;
    object["capped"] = report.capped;
    boost::json::array failures;
    for (const auto& failure : report.failures) {
        failures.emplace_back(failure);
    }
    object["errors"] = std::move(failures);
    out << boost::json::serialize(object) << '\n';
}

} // namespace shmq_bench
