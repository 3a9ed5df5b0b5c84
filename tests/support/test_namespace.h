// A private namespace of queues for one test: unique name, a ManualClock (or the system clock),
// and removal of every region file when the test ends.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "shmq/client.h"

namespace shmq::testing {

class TestNamespace {
  public:
    explicit TestNamespace(const Clock* clock = nullptr) {
        static std::atomic<int> counter{0};
        name_ = "test-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
        ClientOptions options;
        options.namespace_name = name_;
        options.clock = clock;
        auto opened = Client::open(options);
        if (!opened) {
            throw std::runtime_error(opened.error().message);
        }
        client_.emplace(std::move(opened.value()));
    }
    ~TestNamespace() {
        std::error_code ignored;
        std::filesystem::remove_all(client_->namespace_dir(), ignored);
    }
    TestNamespace(const TestNamespace&) = delete;
    TestNamespace& operator=(const TestNamespace&) = delete;

    [[nodiscard]] const Client& client() const { return *client_; }
    [[nodiscard]] const std::string& name() const { return name_; }

    // Creates a queue and opens a handle on it; throws on failure (test setup).
    Queue make_queue(const std::string& queue_name, const QueueAttributes& attributes = {},
                     const QueueCapacity& capacity = {}) const {
        auto url = client_->create_queue(queue_name, attributes, {}, capacity);
        if (!url) {
            throw std::runtime_error("create_queue: " + url.error().message);
        }
        auto queue = client_->open_queue(queue_name);
        if (!queue) {
            throw std::runtime_error("open_queue: " + queue.error().message);
        }
        return std::move(queue.value());
    }

  private:
    std::string name_;
    std::optional<Client> client_;
};

} // namespace shmq::testing
