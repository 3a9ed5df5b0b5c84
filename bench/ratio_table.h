// The ratio table printed after every run of shmq-benchmarks: each shmq figure next to the
// same figure of each baseline measured in the same run, as a speedup (> 1: shmq is better,
// whichever direction "better" is for that figure), and the targets where one applies.
//
// Rows of busy-polling scenarios whose shmq timing process had its CPU less than 90 % of the
// time are marked "host busy?": the figure then says more about the host than about the queue.
//
// CollectingReporter forwards every report to the display reporter the user asked for
// (console or JSON) and keeps, per benchmark name, the median aggregate when repetitions were
// run and the single run otherwise.
#pragma once

#include <benchmark/benchmark.h>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace shmq_bench {

struct CollectedRun {
    bool error = false;
    std::string error_message;
    bool from_median = false;
    // CPU time of the timing (parent) process over wall time: a spinning scenario should be
    // near 1; much less means the host ran something else on our CPU during the measurement.
    double cpu_share = 0;
    std::map<std::string, double> counters;
};

class CollectingReporter final : public benchmark::BenchmarkReporter {
  public:
    explicit CollectingReporter(std::unique_ptr<benchmark::BenchmarkReporter> display);

    bool ReportContext(const Context& context) override;
    void ReportRuns(const std::vector<Run>& reports) override;
    void Finalize() override;

    [[nodiscard]] const std::map<std::string, CollectedRun>& runs() const noexcept { return runs_; }

  private:
    std::unique_ptr<benchmark::BenchmarkReporter> display_;
    std::map<std::string, CollectedRun> runs_;
};

// Benchmarks are named "<mechanism>/<scenario>"; shmq's mechanism is "shmq".
void print_ratio_table(const std::map<std::string, CollectedRun>& runs, std::ostream& out);

} // namespace shmq_bench
