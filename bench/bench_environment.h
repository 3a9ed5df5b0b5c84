// What every scenario of shmq-benchmarks shares: one shmq namespace unique to this run
// ("bench-<pid>"), the queues created in it (created on first use, deleted at exit), the CPU
// placement of the two processes, and small helpers used on both sides of a scenario.
//
// Invariants: queues are created once per run and reused by every Google Benchmark invocation
// of a scenario, so the timed loops see warm regions; each invocation leaves its queue empty.
#pragma once

#include <algorithm>
#include <benchmark/benchmark.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/client.h"

namespace shmq_bench {

// Capacity of every throughput queue (shmq slots and message_queue messages).
inline constexpr std::uint32_t throughput_slot_count = 1u << 16;
// Bodies of 4 KiB live in shmq's blob heap; message_queue gets the same number of bytes.
inline constexpr std::uint32_t throughput_4k_message_count = 1u << 14;
inline constexpr std::size_t small_body_bytes = 64;
inline constexpr std::size_t large_body_bytes = 4096;
// How long a parent spins on an empty queue before checking that its peer still lives.
inline constexpr std::uint32_t empty_polls_between_liveness_checks = 1u << 16;

class BenchEnvironment {
  public:
    // The process-wide environment (opened on first use).
    static BenchEnvironment& get();

    [[nodiscard]] const std::string& namespace_name() const noexcept { return namespace_name_; }
    [[nodiscard]] const shmq::Client& client() const { return *client_; }
    [[nodiscard]] bool ok() const noexcept { return client_ != nullptr; }
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

    // Creates the queue once (slot_count slots) and returns its name, or "" with error().
    [[nodiscard]] std::string ensure_queue(const std::string& name, std::uint32_t slot_count);
    // Deletes any queue of that name, then creates it anew (FIFO queues need a fresh
    // deduplication window per run); returns its name, or "" with error().
    [[nodiscard]] std::string create_fresh_queue(const std::string& name, const shmq::QueueAttributes& attributes,
                                                 const shmq::QueueCapacity& capacity);
    // Deletes one queue made by ensure_queue or create_fresh_queue now (not at cleanup).
    void drop_queue(const std::string& name);
    // A message_queue / POSIX mq object name unique to this run, remembered for removal.
    [[nodiscard]] std::string ipc_name(const std::string& suffix, bool posix_mq);
    // Deletes every queue and IPC object this run created, then the namespace directory.
    void cleanup();

    // CPU of the parent (consumer / timer) and of the forked peer; -1 when not pinned.
    [[nodiscard]] int parent_cpu() const noexcept { return parent_cpu_; }
    [[nodiscard]] int child_cpu() const noexcept { return child_cpu_; }
    // Pins this process (call once from main, before any benchmark).
    void place_processes(bool pin);

  private:
    BenchEnvironment();
    std::string namespace_name_;
    std::string error_;
    std::unique_ptr<shmq::Client> client_;
    std::vector<std::string> queues_;
    std::vector<std::string> message_queues_;
    std::vector<std::string> posix_queues_;
    int parent_cpu_ = -1;
    int child_cpu_ = -1;
};

// Reads every byte of a body once (8 bytes at a time), as a consumer that uses its messages
// would; both shmq and the baselines pay it.
[[nodiscard]] inline std::uint64_t fold_body(std::string_view body) noexcept {
    std::uint64_t folded = body.size();
    std::size_t offset = 0;
    for (; offset + sizeof(std::uint64_t) <= body.size(); offset += sizeof(std::uint64_t)) {
        std::uint64_t word = 0;
        std::memcpy(&word, body.data() + offset, sizeof(word));
        folded ^= word;
    }
    for (; offset < body.size(); ++offset) {
        folded += static_cast<unsigned char>(body[offset]);
    }
    return folded;
}

// Writes a sequence number as 8 hex digits at the start of a body (bodies are >= 8 bytes
// here): shmq, like SQS, accepts only its character set in bodies, so benchmarks send text.
inline void stamp_sequence(char* body, std::uint64_t sequence) noexcept {
    constexpr std::string_view hex_digits = "0123456789abcdef";
    for (int i = 7; i >= 0; --i) {
        body[i] = hex_digits[sequence & 15];
        sequence >>= 4;
    }
}

// Sorts samples and sets p50_ns, p99_ns, p999_ns and max_ns counters.
void report_latency_percentiles(benchmark::State& state, std::vector<std::int64_t>& samples_ns);

[[nodiscard]] std::int64_t monotonic_ns() noexcept;

} // namespace shmq_bench

namespace shmq_bench {

// The file behind the first mapping of this process whose path contains every needle, or "".
[[nodiscard]] std::string mapped_file_containing(std::string_view needle_a, std::string_view needle_b);
// Prefaults (MADV_POPULATE_WRITE, contents unchanged) every mapping of this process whose path
// contains both needles, so a timed loop does not pay first-touch page faults of a large,
// sparse region (a FIFO deduplication table is 768 MiB at 1 << 24 entries). Bytes, or -1.
std::int64_t populate_mappings(std::string_view needle_a, std::string_view needle_b);
// Bytes the file system has allocated for a file (tmpfs: pages touched), or -1.
[[nodiscard]] std::int64_t allocated_bytes(const std::string& path);

} // namespace shmq_bench
