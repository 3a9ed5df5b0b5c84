// RunReport: the figures of one finished run, printed as a table (people) or as one JSON
// object on stdout (scripts; Boost.JSON builds it).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "bench_options.h"

namespace shmq_bench {

struct RunReport {
    std::string queue_name;
    std::string namespace_name;
    bool temporary_queue = false;
    // Throughput is counted from go to the last receive.
    double elapsed_s = 0;
    double msgs_per_s = 0;
    double bytes_per_s = 0;
    std::uint64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
    // received counts every receive of this run's messages; unique_received each message once.
    std::uint64_t sent = 0, received = 0, unique_received = 0, deleted = 0, redelivered = 0, duplicates = 0,
                  missing = 0, foreign = 0;
    bool interrupted = false;
    bool gave_up_waiting = false; // consumers stopped while messages were still missing
    bool capped = false;          // a producer reached the sequence capacity of --seconds mode
    std::vector<std::string> failures;
};

void print_table(const BenchOptions& options, const RunReport& report, std::ostream& out);
void print_json(const BenchOptions& options, const RunReport& report, std::ostream& out);

} // namespace shmq_bench
