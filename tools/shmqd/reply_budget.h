// ReplyBudget: what one request may add to the endpoint's reply bytes held unwritten
// (EndpointOptions::reply_bytes_max, --http-reply-mib-max). A reply being written counts its
// bytes (ReplyBytes::written, HttpConnection::write_reply). Before that, a ReceiveMessage
// reserves room (ReplyBytes::reserved) for the
// messages it is about to take, each at its worst: a body and attributes of SQS's largest size
// (1 MiB: a queue may hold messages larger than its MaximumMessageSize says today, lowered since
// or moved in by a redrive), every byte escaped in XML (a '"' is the 6 bytes of &quot;), plus
// what a message's entry adds (ids, receipt handle, digests, tags). While the endpoint is under
// its budget a receive reserves as many messages as the rest affords, and at least what it needs
// to be of use (one message; a FIFO retry's every message); over it, none: the poll waits on and
// tries again. So replies that clients do not read hold the budget plus at most one receive's
// worth, however many long polls wake at once.
//
// Only written replies make the endpoint refuse new requests (ReplyBytes::spent): a
// reservation is each message at its worst (6 MiB), held for the moment a receive takes, and
// counting it there would answer 503 to unrelated calls whenever a few receives run at once (a
// long poll woken by nothing reserves too).
//
// One per connection, reused request after request: the pool thread running the request
// reserves and gives back, the connection's own thread releases what is left once the reply is
// counted (after the pool's post, so in that order).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shmq/message.h"

namespace shmq::daemon {

// The endpoint's reply bytes held, shared by every connection.
struct ReplyBytes {
    std::atomic<std::size_t> written{0};  // of replies being written (or not read by their client)
    std::atomic<std::size_t> reserved{0}; // by receives about to take messages

    // Whether a new request is refused with 503: replies unread hold the whole budget.
    [[nodiscard]] bool spent(std::size_t max) const noexcept { return written.load(std::memory_order_relaxed) > max; }
};

class ReplyBudget final : public ReceiveBudget {
  public:
    // held: the endpoint's (outlives the budget); max: its budget.
    ReplyBudget(ReplyBytes& held, std::size_t max) noexcept : held_(held), max_(max) {}
    ~ReplyBudget() { release(); }
    ReplyBudget(const ReplyBudget&) = delete;
    ReplyBudget& operator=(const ReplyBudget&) = delete;

    [[nodiscard]] std::uint32_t reserve(std::uint32_t wanted, std::uint32_t at_least) noexcept override;
    void give_back(std::uint32_t unused) noexcept override;
    // The reply is counted (or will never be written): what this request reserved leaves held.
    void release() noexcept;

    // The most one message can add to a reply.
    [[nodiscard]] static std::size_t worst_message_reply_bytes() noexcept;

  private:
    ReplyBytes& held_;
    std::size_t max_;
    std::size_t reserved_ = 0;
};

} // namespace shmq::daemon
