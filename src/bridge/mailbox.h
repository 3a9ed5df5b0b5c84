// Where the transport's thread leaves answers for a bridge's thread. Held by a shared_ptr that
// each request's completion also holds, so that an answer arriving after its bridge stopped finds
// the mailbox still there (and is dropped with it).
//
// Thread contract: post() from any thread; the rest from the bridge's thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

namespace shmq::bridge {

template <class Letter> class Mailbox {
  public:
    void post(Letter&& letter) {
        {
            std::lock_guard lock(mutex_);
            letters_.push_back(std::move(letter));
            wake_.request_stop();
        }
        arrived_.notify_one();
    }

    [[nodiscard]] std::vector<Letter> take() {
        std::lock_guard lock(mutex_);
        return std::exchange(letters_, {});
    }

    // Sleeps until a letter, a stop or the deadline.
    template <class TimePoint> void wait(const std::stop_token& stop, TimePoint deadline) {
        std::unique_lock lock(mutex_);
        arrived_.wait_until(lock, stop, deadline, [&] { return !letters_.empty(); });
    }
    // Sleeps until a letter or the deadline (stopping: the last answers are waited for).
    template <class TimePoint> void wait(TimePoint deadline) {
        std::unique_lock lock(mutex_);
        arrived_.wait_until(lock, deadline, [&] { return !letters_.empty(); });
    }

    // A token that is stopped when the next letter arrives (or interrupt() is called), for a
    // local long poll to end on; none if a letter is already waiting or stop was requested.
    [[nodiscard]] std::optional<std::stop_token> wake_token(const std::stop_token& stop) {
        std::lock_guard lock(mutex_);
        if (!letters_.empty() || stop.stop_requested()) {
            return std::nullopt;
        }
        wake_ = std::stop_source();
        return wake_.get_token();
    }
    void interrupt() {
        std::lock_guard lock(mutex_);
        wake_.request_stop();
    }

  private:
    std::mutex mutex_;
    std::condition_variable_any arrived_;
    std::vector<Letter> letters_;
    std::stop_source wake_;
};

} // namespace shmq::bridge
