// BlockingPool: the threads that serve the requests that may block, so the endpoint's event-loop
// threads never do. An event loop answers the message actions itself and hands over the rest
// (api::Blocking::deferred): a long poll that found its queue empty, a send to a Durability=sync
// queue (it waits for shmqd's fdatasync), queue management (it scans or creates regions) and
// GET /metrics. A pool thread runs the request again with a handler that may block (a long poll
// waits up to 20 s, woken at once by a send, or by its job's stop token when the client leaves)
// and posts the reply back.
//
// Threads start on demand and stay: a connection has at most one request in progress, so with
// as many threads as connections allowed no request ever queues behind another (sync senders on
// many connections still share one fdatasync). Each thread has
// its own RequestHandler (so its own queue handles). stop() sets the stop flag the handlers
// watch, so long polls in progress end within a second, then joins every thread; a job submitted
// after that (a request an event loop read just before it closed its connections) runs on the
// submitting thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "request_handler.h"

namespace shmq::daemon {

class BlockingPool {
  public:
    using Job = std::function<void(RequestHandler&)>;

    // client and options must outlive the pool; url_base as the endpoint's handlers have it.
    BlockingPool(const Client& client, const EndpointOptions& options, std::string url_base);
    ~BlockingPool(); // stop()
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    // Runs job on a pool thread (one more is started when none is idle, up to
    // options.connections_max).
    void submit(Job job);
    void stop();

  private:
    void work();
    // A handler that may block: long polls stop with stopping_, sync sends wait for shmqd to
    // attach a new queue.
    [[nodiscard]] api::ServiceOptions blocking_service_options() const;

    const Client& client_;
    const EndpointOptions& options_;
    std::string url_base_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_; // guards jobs_, idle_, threads_, stopped_
    bool stopped_ = false;
    std::optional<RequestHandler> late_handler_; // for jobs after stop(), on the submitter's thread
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    std::size_t idle_ = 0;
    std::vector<std::thread> threads_;
};

} // namespace shmq::daemon
