// LongPollPool: the threads that serve ReceiveMessage long polls, so the endpoint's event-loop
// threads never block. An event loop answers every request itself, a receive included, and
// hands over only a long poll that found its queue empty; a pool thread runs it again with a
// handler that waits (up to 20 s, woken at once by a send) and posts the reply back.
//
// Threads start on demand and stay: a connection has at most one request in progress, so with
// as many threads as connections allowed no long poll ever queues behind another. Each thread has
// its own RequestHandler (so its own queue handles). Destruction sets the stop flag the handlers
// watch, so polls in progress end within a second, then joins every thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "request_handler.h"

namespace shmq::daemon {

class LongPollPool {
  public:
    using Job = std::function<void(RequestHandler&)>;

    // client and options must outlive the pool; url_base as the endpoint's handlers have it.
    LongPollPool(const Client& client, const EndpointOptions& options, std::string url_base);
    ~LongPollPool();
    LongPollPool(const LongPollPool&) = delete;
    LongPollPool& operator=(const LongPollPool&) = delete;

    // Runs job on a pool thread (one more is started when none is idle, up to
    // options.connections_max).
    void submit(Job job);

  private:
    void work();

    const Client& client_;
    const EndpointOptions& options_;
    std::string url_base_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_; // guards jobs_, idle_, threads_
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    std::size_t idle_ = 0;
    std::vector<std::thread> threads_;
};

} // namespace shmq::daemon
