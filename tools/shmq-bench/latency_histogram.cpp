// See latency_histogram.h.
#include "latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace shmq_bench {

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) {
        counts_[i] += other.counts_[i];
    }
    total_count_ += other.total_count_;
    max_ns_ = std::max(max_ns_, other.max_ns_);
}

std::uint64_t LatencyHistogram::bucket_lowest(std::size_t index) noexcept {
    if (index < 2 * sub_bucket_count) {
        return index;
    }
    const std::size_t shift = index / sub_bucket_count - 1;
    const std::uint64_t mantissa = index - shift * sub_bucket_count;
    return mantissa << shift;
}

std::uint64_t LatencyHistogram::bucket_width(std::size_t index) noexcept {
    if (index < 2 * sub_bucket_count) {
        return 1;
    }
    return std::uint64_t{1} << (index / sub_bucket_count - 1);
}

std::uint64_t LatencyHistogram::value_at_quantile(double quantile) const noexcept {
    if (total_count_ == 0) {
        return 0;
    }
    if (quantile >= 1.0) {
        return max_ns_;
    }
    // The rank (1-based) of the value asked for.
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(std::max(0.0, quantile) * static_cast<double>(total_count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const std::uint64_t middle = bucket_lowest(i) + bucket_width(i) / 2;
            return std::min(middle, max_ns_);
        }
    }
    return max_ns_;
}

} // namespace shmq_bench
