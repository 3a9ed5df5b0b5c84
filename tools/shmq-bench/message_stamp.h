// MessageStamp: the header shmq-bench writes at the start of every body it sends, so that a
// consumer can measure end-to-end latency and check per-producer sequences. Bodies must be in
// the SQS character set, so the header is text: each field is written in base 64 with the
// printable digits '0' (0x30) .. 'o' (0x6F), most significant digit first:
//
//   0           11         21  24        32
//   +-----------+----------+---+---------+-- padding ('m') to --size
//   | send_ns   | run_id   |prd| sequence|
//   +-----------+----------+---+---------+
//   send_ns   11 digits: CLOCK_MONOTONIC at the producer just before the send (system-wide)
//   run_id    10 digits (60 bits), random per run: messages of other runs or other senders on a
//             shared queue are "foreign" and left alone
//   producer   3 digits, index of the producer process
//   sequence   8 digits (48 bits), 0, 1, 2, ... per producer
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shmq_bench {

struct MessageStamp {
    std::int64_t send_ns = 0;
    std::uint64_t run_id = 0;
    std::uint32_t producer_index = 0;
    std::uint64_t sequence = 0;

    static constexpr std::size_t send_ns_digits = 11;
    static constexpr std::size_t run_id_digits = 10;
    static constexpr std::size_t producer_digits = 3;
    static constexpr std::size_t sequence_digits = 8;
    static constexpr std::size_t encoded_bytes = send_ns_digits + run_id_digits + producer_digits + sequence_digits;
    static constexpr std::uint64_t run_id_mask = (std::uint64_t{1} << (6 * run_id_digits)) - 1;
    static constexpr std::uint64_t sequence_mask = (std::uint64_t{1} << (6 * sequence_digits)) - 1;
    static constexpr char digit_zero = '0';

    void encode(char* body) const noexcept {
        body = put(body, static_cast<std::uint64_t>(send_ns), send_ns_digits);
        body = put(body, run_id & run_id_mask, run_id_digits);
        body = put(body, producer_index, producer_digits);
        put(body, sequence & sequence_mask, sequence_digits);
    }

    // Empty when the body is too short, not a stamp, or of another run.
    [[nodiscard]] static std::optional<MessageStamp> decode(std::string_view body,
                                                            std::uint64_t expected_run_id) noexcept {
        if (body.size() < encoded_bytes) {
            return std::nullopt;
        }
        const char* text = body.data();
        std::uint64_t fields[4] = {};
        const std::size_t digits[4] = {send_ns_digits, run_id_digits, producer_digits, sequence_digits};
        for (std::size_t field = 0; field < 4; ++field) {
            for (std::size_t i = 0; i < digits[field]; ++i) {
                const auto value = static_cast<std::uint64_t>(static_cast<unsigned char>(*text++)) -
                                   static_cast<unsigned char>(digit_zero);
                if (value >= 64) {
                    return std::nullopt;
                }
                fields[field] = (fields[field] << 6) | value;
            }
        }
        if (fields[1] != (expected_run_id & run_id_mask)) {
            return std::nullopt;
        }
        MessageStamp stamp;
        stamp.send_ns = static_cast<std::int64_t>(fields[0]);
        stamp.run_id = fields[1];
        stamp.producer_index = static_cast<std::uint32_t>(fields[2]);
        stamp.sequence = fields[3];
        return stamp;
    }

  private:
    static char* put(char* out, std::uint64_t value, std::size_t digits) noexcept {
        for (std::size_t i = digits; i > 0; --i) {
            out[i - 1] = static_cast<char>(digit_zero + static_cast<char>(value & 63));
            value >>= 6;
        }
        return out + digits;
    }
};

} // namespace shmq_bench
