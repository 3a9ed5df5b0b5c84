// Room in the endpoint's reply budget for the messages a receive takes (see reply_budget.h).
#include "reply_budget.h"

#include <algorithm>

#include "shmq/limits.h"

namespace shmq::daemon {

namespace {

// XML's longest escape of one byte (&quot;); JSON's is shorter (\" and \\; SQS allows no other
// control characters than tab, newline and carriage return, which JSON writes in two bytes).
constexpr std::size_t escape_bytes_max = 6;
// A message's entry beyond its body and attributes: MessageId, a receipt handle, MD5s, system
// attributes and the element names around them, generously.
constexpr std::size_t entry_bytes = 4096;

} // namespace

std::size_t ReplyBudget::worst_message_reply_bytes() noexcept {
    return limits::message_size_max * escape_bytes_max + entry_bytes;
}

std::uint32_t ReplyBudget::reserve(std::uint32_t wanted, std::uint32_t at_least) noexcept {
    const std::size_t each = worst_message_reply_bytes();
    std::size_t reserved = held_.reserved.load(std::memory_order_relaxed);
    for (;;) {
        // Written replies may grow meanwhile (a reservation becoming its reply is counted in
        // both for a moment): the bound errs on the side of taking less.
        const std::size_t held = held_.written.load(std::memory_order_relaxed) + reserved;
        if (wanted == 0 || held >= max_) {
            return 0;
        }
        const std::size_t affordable =
            std::clamp<std::size_t>((max_ - held) / each, std::min(at_least, wanted), wanted);
        if (held_.reserved.compare_exchange_weak(reserved, reserved + affordable * each, std::memory_order_relaxed)) {
            reserved_ += affordable * each;
            return static_cast<std::uint32_t>(affordable);
        }
    }
}

void ReplyBudget::give_back(std::uint32_t unused) noexcept {
    const std::size_t bytes = std::min(reserved_, unused * worst_message_reply_bytes());
    reserved_ -= bytes;
    held_.reserved.fetch_sub(bytes, std::memory_order_relaxed);
}

void ReplyBudget::release() noexcept {
    held_.reserved.fetch_sub(reserved_, std::memory_order_relaxed);
    reserved_ = 0;
}

} // namespace shmq::daemon
