// See bench_environment.h.
#include "bench_environment.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <boost/interprocess/ipc/message_queue.hpp>
#include <filesystem>
#include <memory>

#include "forked_peer.h"

namespace shmq_bench {

BenchEnvironment& BenchEnvironment::get() {
    static BenchEnvironment environment;
    return environment;
}

BenchEnvironment::BenchEnvironment() : namespace_name_("bench-" + std::to_string(::getpid())) {
    shmq::ClientOptions options;
    options.namespace_name = namespace_name_;
    auto client = shmq::Client::open(options);
    if (!client) {
        error_ = "Client::open(" + namespace_name_ + "): " + client.error().message;
        return;
    }
    client_ = std::make_unique<shmq::Client>(std::move(client.value()));
}

std::string BenchEnvironment::ensure_queue(const std::string& name, std::uint32_t slot_count) {
    if (!ok()) {
        return {};
    }
    if (std::find(queues_.begin(), queues_.end(), name) != queues_.end()) {
        return name;
    }
    shmq::QueueCapacity capacity;
    capacity.slot_count = slot_count;
    auto created = client_->create_queue(name, {}, {}, capacity);
    if (!created) {
        error_ = "create_queue(" + name + "): " + created.error().message;
        return {};
    }
    queues_.push_back(name);
    return name;
}

std::string BenchEnvironment::create_fresh_queue(const std::string& name, const shmq::QueueAttributes& attributes,
                                                 const shmq::QueueCapacity& capacity) {
    if (!ok()) {
        return {};
    }
    (void)client_->delete_queue(name); // absent is fine
    queues_.erase(std::remove(queues_.begin(), queues_.end(), name), queues_.end());
    auto created = client_->create_queue(name, attributes, {}, capacity);
    if (!created) {
        error_ = "create_queue(" + name + "): " + created.error().message;
        return {};
    }
    queues_.push_back(name);
    return name;
}

void BenchEnvironment::drop_queue(const std::string& name) {
    const auto found = std::find(queues_.begin(), queues_.end(), name);
    if (found == queues_.end()) {
        return;
    }
    (void)client_->delete_queue(name);
    queues_.erase(found);
}

std::string BenchEnvironment::ipc_name(const std::string& suffix, bool posix_mq) {
    std::string name = "shmq-bench-" + std::to_string(::getpid()) + "-" + suffix;
    if (posix_mq) {
        name.insert(0, "/");
        posix_queues_.push_back(name);
    } else {
        message_queues_.push_back(name);
    }
    return name;
}

void BenchEnvironment::cleanup() {
    for (const auto& name : message_queues_) {
        boost::interprocess::message_queue::remove(name.c_str());
    }
    message_queues_.clear();
    for (const auto& name : posix_queues_) {
        ::mq_unlink(name.c_str());
    }
    posix_queues_.clear();
    if (!ok()) {
        return;
    }
    for (const auto& name : queues_) {
        (void)client_->delete_queue(name);
    }
    queues_.clear();
    // The namespace is ours alone (its name carries our pid): remove what delete_queue left.
    std::error_code ignored;
    const std::filesystem::path directory(client_->namespace_dir());
    if (!client_->namespace_dir().empty() && directory.filename().string().find(namespace_name_) != std::string::npos) {
        std::filesystem::remove_all(directory, ignored);
    }
}

void BenchEnvironment::place_processes(bool pin) {
    if (!pin) {
        return;
    }
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) < 2) {
        return;
    }
    int found[2] = {-1, -1};
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < 2; ++cpu) {
        if (CPU_ISSET(static_cast<std::size_t>(cpu), &allowed)) {
            found[count++] = cpu;
        }
    }
    if (pin_to_cpu(found[0])) {
        parent_cpu_ = found[0];
        child_cpu_ = found[1];
    }
}

void report_latency_percentiles(benchmark::State& state, std::vector<std::int64_t>& samples_ns) {
    if (samples_ns.empty()) {
        return;
    }
    std::sort(samples_ns.begin(), samples_ns.end());
    const auto at = [&](double quantile) {
        const auto last = static_cast<double>(samples_ns.size() - 1);
        const auto index = static_cast<std::size_t>(quantile * last + 0.5);
        return static_cast<double>(samples_ns[std::min(index, samples_ns.size() - 1)]);
    };
    state.counters["p50_ns"] = benchmark::Counter(at(0.50));
    state.counters["p99_ns"] = benchmark::Counter(at(0.99));
    state.counters["p999_ns"] = benchmark::Counter(at(0.999));
    state.counters["max_ns"] = benchmark::Counter(static_cast<double>(samples_ns.back()));
}

std::int64_t monotonic_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

} // namespace shmq_bench

#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>

namespace shmq_bench {

std::string mapped_file_containing(std::string_view needle_a, std::string_view needle_b) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        const auto path_start = line.find('/');
        if (path_start == std::string::npos) {
            continue;
        }
        const std::string_view path = std::string_view(line).substr(path_start);
        if (path.find(needle_a) != std::string_view::npos && path.find(needle_b) != std::string_view::npos) {
            return std::string(path);
        }
    }
    return {};
}

std::int64_t populate_mappings(std::string_view needle_a, std::string_view needle_b) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    std::int64_t populated = 0;
    bool found = false;
    while (std::getline(maps, line)) {
        const auto path_start = line.find('/');
        if (path_start == std::string::npos) {
            continue;
        }
        const std::string_view path = std::string_view(line).substr(path_start);
        if (path.find(needle_a) == std::string_view::npos || path.find(needle_b) == std::string_view::npos) {
            continue;
        }
        // "start-end perms ...": only writable mappings can be populated for writing.
        const auto dash = line.find('-');
        const auto space = line.find(' ');
        if (dash == std::string::npos || space == std::string::npos || space + 2 >= line.size() ||
            line[space + 2] != 'w') {
            continue;
        }
        const std::uint64_t start = std::stoull(line.substr(0, dash), nullptr, 16);
        const std::uint64_t end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
        if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE) != 0) {
            return -1;
        }
        found = true;
        populated += static_cast<std::int64_t>(end - start);
    }
    return found ? populated : -1;
}

std::int64_t allocated_bytes(const std::string& path) {
    struct stat status {};
    if (path.empty() || ::stat(path.c_str(), &status) != 0) {
        return -1;
    }
    return static_cast<std::int64_t>(status.st_blocks) * 512;
}

} // namespace shmq_bench
