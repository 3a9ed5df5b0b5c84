// IdleConnections: one event loop's keep-alive connections that wait for their next request,
// oldest first, so that at the connection limit the endpoint can close the one idle longest to
// make room for a new client. Only the loop's own thread adds, removes or evicts (its
// connections are its alone); the time the oldest became idle is also published in an atomic,
// which the accepting thread reads to choose the loop to ask for an eviction.
//
// Invariants: a connection is listed at most once, from the moment it waits for the first byte
// of a request until that byte arrives or it closes (never mid-request, never while a long poll
// of its waits in the BlockingPool); entries are in the order they became idle, so the front is
// the oldest; oldest_idle_since() is the front's time, or no_idle when the list is empty.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <limits>
#include <list>

namespace shmq::daemon {

class HttpConnection;

class IdleConnections {
  public:
    struct Entry {
        HttpConnection* connection;
        std::int64_t since_ns; // steady clock
    };
    using Position = std::list<Entry>::iterator;
    static constexpr std::int64_t no_idle = std::numeric_limits<std::int64_t>::max();

    // The loop's thread: connection waits for its next request from now.
    [[nodiscard]] Position add(HttpConnection* connection) {
        const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count();
        entries_.push_back({connection, now});
        publish();
        return std::prev(entries_.end());
    }
    // The loop's thread: the connection at position is no longer idle (or is closing).
    void remove(Position position) {
        entries_.erase(position);
        publish();
    }
    // The loop's thread: the connection idle longest, or nullptr.
    [[nodiscard]] HttpConnection* oldest() const noexcept {
        return entries_.empty() ? nullptr : entries_.front().connection;
    }
    // Any thread: when this loop's oldest idle connection became idle (no_idle: none). A hint:
    // by the time the loop is asked to evict, that connection may have become busy.
    [[nodiscard]] std::int64_t oldest_idle_since() const noexcept {
        return oldest_since_ns_.load(std::memory_order_relaxed);
    }

  private:
    void publish() noexcept {
        oldest_since_ns_.store(entries_.empty() ? no_idle : entries_.front().since_ns, std::memory_order_relaxed);
    }

    std::list<Entry> entries_;
    std::atomic<std::int64_t> oldest_since_ns_{no_idle};
};

} // namespace shmq::daemon
