// See progress_line.h.
#include "progress_line.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sys/ioctl.h>

namespace shmq_bench {

namespace {

constexpr int bar_width = 20;
// Below this terminal width the line leaves out the sent and received counts.
constexpr std::size_t full_line_columns = 120;

std::size_t terminal_columns() {
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    return 80;
}

} // namespace

std::string si_number(double value) {
    char text[32];
    if (value >= 1e9) {
        std::snprintf(text, sizeof(text), "%.2f G", value / 1e9);
    } else if (value >= 1e6) {
        std::snprintf(text, sizeof(text), "%.2f M", value / 1e6);
    } else if (value >= 1e4) {
        std::snprintf(text, sizeof(text), "%.1f K", value / 1e3);
    } else {
        std::snprintf(text, sizeof(text), "%.0f", value);
    }
    return text;
}

ProgressLine::ProgressLine(const BenchOptions& options, std::int64_t start_ns)
    : options_(options), start_ns_(start_ns), last_print_ns_(start_ns), last_received_ns_(start_ns) {
    terminal_ = ::isatty(STDERR_FILENO) != 0;
    enabled_ = !options.no_progress && (terminal_ || options.progress);
}

void ProgressLine::maybe_update(const CounterTotals& totals, std::int64_t now_ns) {
    if (!enabled_ || now_ns - last_print_ns_ < update_interval_ns) {
        return;
    }
    const double interval_s = static_cast<double>(now_ns - last_received_ns_) / 1e9;
    if (interval_s > 0) {
        current_rate_ = static_cast<double>(totals.received - last_received_) / interval_s;
    }
    last_received_ = totals.received;
    last_received_ns_ = now_ns;
    last_print_ns_ = now_ns;
    const std::string line = render(totals, now_ns);
    if (terminal_) {
        std::fprintf(stderr, "\r\x1b[2K%s", line.c_str());
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
    printed_ = true;
}

void ProgressLine::finish() {
    if (enabled_ && terminal_ && printed_) {
        std::fprintf(stderr, "\r\x1b[2K");
        std::fflush(stderr);
    }
}

std::string ProgressLine::render(const CounterTotals& totals, std::int64_t now_ns) const {
    const double elapsed_s = static_cast<double>(now_ns - start_ns_) / 1e9;
    double fraction = 0;
    if (options_.messages > 0) {
        fraction = static_cast<double>(totals.received) / static_cast<double>(options_.messages);
    } else if (options_.seconds > 0) {
        fraction = elapsed_s / options_.seconds;
    }
    fraction = std::clamp(fraction, 0.0, 1.0);
    const int filled = static_cast<int>(fraction * bar_width + 0.5);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(bar_width - filled), '.');
    const double average_rate = elapsed_s > 0 ? static_cast<double>(totals.received) / elapsed_s : 0;
    const std::uint64_t backlog = totals.sent > totals.received ? totals.sent - totals.received : 0;
    const char* bold = terminal_ ? "\x1b[1m" : "";
    const char* plain = terminal_ ? "\x1b[0m" : "";
    const std::size_t columns = terminal_ ? terminal_columns() : full_line_columns;
    char line[320];
    if (columns >= full_line_columns) {
        std::snprintf(line, sizeof(line),
                      "%6.1f s [%s] %3.0f%%  sent %9s  recv %9s  %s%8s msgs/s%s (now %8s)  backlog %s", elapsed_s,
                      bar.c_str(), fraction * 100, si_number(static_cast<double>(totals.sent)).c_str(),
                      si_number(static_cast<double>(totals.received)).c_str(), bold, si_number(average_rate).c_str(),
                      plain, si_number(current_rate_).c_str(), si_number(static_cast<double>(backlog)).c_str());
    } else {
        // At most 78 printing columns: fits an 80-column terminal without wrapping.
        std::snprintf(line, sizeof(line), "%6.1f s [%s] %s%8s msgs/s%s (now %8s)  backlog %s", elapsed_s, bar.c_str(),
                      bold, si_number(average_rate).c_str(), plain, si_number(current_rate_).c_str(),
                      si_number(static_cast<double>(backlog)).c_str());
    }
    return line;
}

} // namespace shmq_bench
