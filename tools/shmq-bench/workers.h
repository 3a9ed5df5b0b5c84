// The worker processes of a run: producers send stamped bodies (message_stamp.h) and consumers
// receive, check and delete them, each forked from the parent and reporting through RunState.
//
// Process contract: each worker opens its own Queue (a Queue belongs to the process that
// opened it), ignores SIGINT (the parent stops it through RunState so the queue is left
// consistent), dies with the parent (PR_SET_PDEATHSIG), and leaves with _exit.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "bench_options.h"
#include "run_state.h"
#include "shmq/client.h"

namespace shmq_bench {

struct WorkerPlan {
    const BenchOptions* options = nullptr;
    const shmq::Client* client = nullptr;
    std::string queue_name;
    std::uint64_t run_id = 0;
    RunState* state = nullptr;
};

// Messages producer `index` sends with --messages (its share of the total), else the capacity.
[[nodiscard]] std::uint64_t producer_quota(const WorkerPlan& plan, std::uint32_t index) noexcept;

// Forks every producer and consumer; returns their pids (fewer if a fork failed: check size).
[[nodiscard]] std::vector<pid_t> start_workers(const WorkerPlan& plan);

} // namespace shmq_bench
