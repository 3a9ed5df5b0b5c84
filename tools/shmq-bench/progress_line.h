// ProgressLine: the live status line on stderr while a run goes on (about 4 updates a second):
// elapsed time, a bar toward the end of the run, counts, the average and the current receive
// rate, and the backlog (sent, not yet received). On a terminal it rewrites one line; with
// --progress on a pipe or file it prints one line per update.
#pragma once

#include <cstdint>
#include <string>

#include "bench_options.h"
#include "run_state.h"

namespace shmq_bench {

class ProgressLine {
  public:
    static constexpr std::int64_t update_interval_ns = 250'000'000;

    ProgressLine(const BenchOptions& options, std::int64_t start_ns);

    [[nodiscard]] bool enabled() const noexcept { return enabled_; }
    // Prints when update_interval_ns has passed since the last print.
    void maybe_update(const CounterTotals& totals, std::int64_t now_ns);
    // Ends the line so that the report starts on a clean one.
    void finish();

  private:
    [[nodiscard]] std::string render(const CounterTotals& totals, std::int64_t now_ns) const;

    const BenchOptions& options_;
    bool enabled_ = false;
    bool terminal_ = false;
    bool printed_ = false;
    std::int64_t start_ns_ = 0;
    std::int64_t last_print_ns_ = 0;
    std::uint64_t last_received_ = 0;
    std::int64_t last_received_ns_ = 0;
    double current_rate_ = 0;
};

// "12.35 M", "812.0 K", "950": a count or rate with an SI suffix.
[[nodiscard]] std::string si_number(double value);

} // namespace shmq_bench
