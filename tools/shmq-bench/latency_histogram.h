// LatencyHistogram: an HDR-style log-linear histogram of nanosecond latencies. Values below
// 2 * sub_bucket_count are counted exactly; above, each power of two is split into
// sub_bucket_count equal buckets, so any recorded value is known to within 1/64 (1.6 %).
//
// Invariants: a plain fixed-size struct (no pointers), so it can live in a shared mapping
// written by one consumer process and read by the parent after that process has exited;
// recording never allocates and never fails (values beyond the range land in the last bucket,
// and max_ns keeps the exact maximum).
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace shmq_bench {

class LatencyHistogram {
  public:
    static constexpr std::uint32_t sub_bucket_bits = 6;
    static constexpr std::uint64_t sub_bucket_count = 1u << sub_bucket_bits;
    // Covers up to 2^48 ns (about 78 hours).
    static constexpr std::uint32_t value_bits_max = 48;
    static constexpr std::size_t bucket_count =
        (value_bits_max - sub_bucket_bits) * sub_bucket_count + 2 * sub_bucket_count;

    void record(std::int64_t value_ns) noexcept {
        const std::uint64_t value = value_ns < 0 ? 0 : static_cast<std::uint64_t>(value_ns);
        ++counts_[bucket_of(value)];
        ++total_count_;
        if (value > max_ns_) {
            max_ns_ = value;
        }
    }

    void merge(const LatencyHistogram& other) noexcept;

    [[nodiscard]] std::uint64_t total_count() const noexcept { return total_count_; }
    [[nodiscard]] std::uint64_t max_ns() const noexcept { return max_ns_; }
    // The value below which `quantile` (0..1) of the recorded values fall: the middle of the
    // bucket holding that rank (exact below 128 ns, and the exact maximum for quantile 1).
    [[nodiscard]] std::uint64_t value_at_quantile(double quantile) const noexcept;

    [[nodiscard]] static std::size_t bucket_of(std::uint64_t value) noexcept {
        if (value < 2 * sub_bucket_count) {
            return static_cast<std::size_t>(value);
        }
        const auto shift = static_cast<std::uint32_t>(std::bit_width(value)) - 1 - sub_bucket_bits;
        const std::size_t index = shift * sub_bucket_count + (value >> shift);
        return index < bucket_count ? index : bucket_count - 1;
    }
    [[nodiscard]] static std::uint64_t bucket_lowest(std::size_t index) noexcept;
    [[nodiscard]] static std::uint64_t bucket_width(std::size_t index) noexcept;

  private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t total_count_ = 0;
    std::uint64_t max_ns_ = 0;
};

} // namespace shmq_bench
