// BenchOptions: what one shmq-bench run does, parsed from the command line (CLI11).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace shmq_bench {

struct BenchOptions {
    std::uint32_t producers = 1;            // producer processes
    std::uint32_t consumers = 1;            // consumer processes
    std::size_t size_bytes = 64;            // body size, >= MessageStamp::encoded_bytes
    std::uint32_t batch = 1;                // 1..10: send_batch / receive up to batch / delete_batch
    std::uint64_t messages = 0;             // total to send (0: run for `seconds`)
    double seconds = 0;                     // how long producers send (0: send `messages`)
    std::int32_t visibility_timeout_s = -1; // -1: the queue's VisibilityTimeout
    std::int32_t wait_time_s = 1;           // long-poll time of each receive (0: busy polling)
    double rate_per_s = 0;                  // total send rate (0: as fast as possible)
    std::string queue_name;                 // empty: a temporary queue
    std::string namespace_name;             // empty: $SHMQ_NAMESPACE, then "default"
    std::uint32_t slot_count = 1u << 16;    // capacity of a queue shmq-bench creates
    bool keep_queue = false;                // do not delete a queue shmq-bench created
    bool json = false;                      // one JSON object on stdout instead of the table
    bool progress = false;                  // progress line even when stderr is not a terminal
    bool no_progress = false;               // no progress line at all
};

// Parses argv. On --help or an error, returns the exit code to leave with (CLI11 prints).
[[nodiscard]] std::optional<int> parse_options(int argc, char** argv, BenchOptions& options);

} // namespace shmq_bench
