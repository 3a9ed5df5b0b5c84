// Goal: SIGTERM stops shmqd within its bound (10 s) even when a request handler is stuck for good,
// here on a queue's config mutex another process holds; shmqd leaves those requests behind and
// exits 1. Method: the real shmqd; this test process holds the queue's config mutex, posts a raw
// HTTP GetQueueAttributes for the queue, sends SIGTERM once the mutex's futex word shows a waiter
// (the handler blocked on it: Linux sets FUTEX_WAITERS before sleeping), and reaps shmqd.
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <linux/futex.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>

#include "engine/config_store.h"
#include "shmqd_fixture.h"

using namespace shmq;
using namespace shmq::testing;

namespace {

// A connected socket to endpoint_url ("http://127.0.0.1:PORT"); -1 on failure.
int connect_to(const std::string& endpoint_url) {
    const std::size_t colon = endpoint_url.rfind(':');
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(endpoint_url.substr(colon + 1))));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool has_waiter(const pthread_mutex_t& mutex) {
    // glibc keeps the futex word first in the mutex; the kernel's FUTEX_WAITERS bit marks a sleeper.
    const auto* word = reinterpret_cast<const std::atomic<std::uint32_t>*>(&mutex);
    return (word->load(std::memory_order_acquire) & FUTEX_WAITERS) != 0;
}

} // namespace

TEST_CASE("SIGTERM stops shmqd within its bound while a request is stuck", "[durability]") {
    TestNamespace ns;
    DataDir data;
    std::string endpoint_url;
    ChildProcess daemon = start_daemon(ns, data, {}, {}, &endpoint_url);
    REQUIRE(ns.client().create_queue("held", {}));
    auto region = region::Region::open(ns.client().namespace_dir(), "held");
    REQUIRE(region);

    std::atomic<bool> holding{false};
    std::atomic<bool> release{false};
    std::thread holder([&] {
        (void)engine::update_config(*region.value(), 0, [&](sqs::QueueConfig&, QueueTags&) {
            holding.store(true, std::memory_order_release);
            while (!release.load(std::memory_order_acquire)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            return Status{Errc::invalid_parameter_value, "test: nothing to change"};
        });
    });
    while (!holding.load(std::memory_order_acquire)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    const int connection = connect_to(endpoint_url);
    REQUIRE(connection >= 0);
    const std::string body = R"({"QueueUrl":")" + endpoint_url + R"(/000000000000/held","AttributeNames":["All"]})";
    const std::string request = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
                                "X-Amz-Target: AmazonSQS.GetQueueAttributes\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    REQUIRE(write(connection, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    bool stuck = false;
    for (int waited_ms = 0; !stuck && waited_ms < 10'000; waited_ms += 5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        stuck = has_waiter(region.value()->header().config_mutex);
    }
    CHECK(stuck);

    REQUIRE(kill(daemon.pid(), SIGTERM) == 0);
    int status = 0;
    bool ended = false;
    // Its bound is 10 s from the signal; 20 s leaves room for a loaded machine.
    for (int waited_ms = 0; !ended && waited_ms < 20'000; waited_ms += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ended = daemon.exited(&status);
    }
    release.store(true, std::memory_order_release);
    holder.join();
    close(connection);
    REQUIRE(ended);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1); // it left the stuck request behind
}
