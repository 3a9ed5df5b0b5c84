// BlockingPool (see blocking_pool.h).
#include "blocking_pool.h"

#include <utility>

namespace shmq::daemon {

BlockingPool::BlockingPool(const Client& client, const EndpointOptions& options, std::string url_base)
    : client_(client), options_(options), url_base_(std::move(url_base)) {}

BlockingPool::~BlockingPool() {
    stop();
}

void BlockingPool::stop() {
    {
        const std::lock_guard lock(mutex_);
        stopping_.store(true, std::memory_order_release);
        stopped_ = true; // from here submit() runs jobs itself and leaves threads_ alone
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) {
        if (thread.joinable()) {
            thread.join(); // the jobs queued before stop() are done first
        }
    }
}

void BlockingPool::submit(Job job) {
    {
        const std::lock_guard lock(mutex_);
        if (stopped_) {
            // Under the lock: the late handler is one, and event loops may submit together. With
            // stopping_ set, a long poll it runs ends within a second.
            if (!late_handler_) {
                late_handler_.emplace(client_, options_, blocking_service_options());
            }
            job(*late_handler_);
            return;
        }
        jobs_.push_back(std::move(job));
        if (idle_ < jobs_.size() && threads_.size() < options_.connections_max) {
            threads_.emplace_back([this] { work(); });
        }
    }
    wake_.notify_one();
}

api::ServiceOptions BlockingPool::blocking_service_options() const {
    // A Durability=sync send to a queue created over HTTP a moment ago waits for this shmqd to
    // take it on (the library's default, as this shmqd marks the namespace), never answering 503.
    return {.url_base = url_base_,
            .blocking = api::Blocking::allowed,
            .stopping = &stopping_,
            .kms_key_exists = options_.kms_key_exists};
}

void BlockingPool::work() {
    RequestHandler handler(client_, options_, blocking_service_options());
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_;
        wake_.wait(lock, [this] { return !jobs_.empty() || stopping_.load(std::memory_order_relaxed); });
        --idle_;
        if (jobs_.empty()) {
            return; // stopping
        }
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job(handler);
        lock.lock();
    }
}

} // namespace shmq::daemon
