// Configuration in the region (see config_store.h).
#include "engine/config_store.h"

#include <cerrno>
#include <cstring>

namespace shmq::engine {
namespace {

class ConfigLock {
  public:
    explicit ConfigLock(layout::RegionHeader& header) : mutex_(header.config_mutex) {
        const int rc = pthread_mutex_lock(&mutex_);
        if (rc == EOWNERDEAD) {
            // The previous holder died. The double buffer means there is nothing to repair.
            pthread_mutex_consistent(&mutex_);
        } else if (rc != 0) {
            error_ = rc;
        }
    }
    ~ConfigLock() {
        if (error_ == 0) {
            pthread_mutex_unlock(&mutex_);
        }
    }
    ConfigLock(const ConfigLock&) = delete;
    ConfigLock& operator=(const ConfigLock&) = delete;
    [[nodiscard]] int error() const noexcept { return error_; }

  private:
    pthread_mutex_t& mutex_;
    int error_ = 0;
};

std::string_view active_text(const layout::RegionHeader& h) {
    const std::uint32_t active = h.config_active.load(std::memory_order_acquire) & 1u;
    const std::uint32_t length = std::min<std::uint32_t>(h.config_length[active], layout::config_buffer_bytes);
    return {h.config[active], length};
}

} // namespace

void fill_hot_attributes(const sqs::QueueConfig& config, layout::HotAttributes& hot) noexcept {
    hot.visibility_timeout_s.store(config.visibility_timeout_s, std::memory_order_relaxed);
    hot.delay_s.store(config.delay_s, std::memory_order_relaxed);
    hot.retention_s.store(config.retention_s, std::memory_order_relaxed);
    hot.maximum_message_size.store(config.maximum_message_size, std::memory_order_relaxed);
    hot.receive_wait_time_s.store(config.receive_wait_time_s, std::memory_order_relaxed);
    hot.max_receive_count.store(config.dead_letter_target_name.empty() ? 0 : config.max_receive_count,
                                std::memory_order_relaxed);
    hot.fifo_flags.store((config.content_based_deduplication ? layout::fifo_content_based_deduplication : 0u) |
                             (config.deduplication_scope == "messageGroup" ? layout::fifo_deduplication_per_group : 0u),
                         std::memory_order_relaxed);
    hot.durability.store(config.durability == "sync"    ? layout::durability_sync
                         : config.durability == "async" ? layout::durability_async
                                                         : layout::durability_memory,
                         std::memory_order_relaxed);
}

Result<std::pair<sqs::QueueConfig, QueueTags>> read_config(region::Region& region) {
    layout::RegionHeader& h = region.header();
    ConfigLock lock(h);
    if (lock.error() != 0) {
        return Error{Errc::system_error, std::string("config mutex: ") + std::strerror(lock.error())};
    }
    return sqs::parse_config(active_text(h));
}

Status update_config(region::Region& region, std::int64_t now_ns,
                     const std::function<Status(sqs::QueueConfig&, QueueTags&)>& change) {
    layout::RegionHeader& h = region.header();
    ConfigLock lock(h);
    if (lock.error() != 0) {
        return {Errc::system_error, std::string("config mutex: ") + std::strerror(lock.error())};
    }
    auto current = sqs::parse_config(active_text(h));
    if (!current) {
        return current.error();
    }
    auto& [config, tags] = current.value();
    if (Status status = change(config, tags); !status) {
        return status;
    }
    const std::string text = sqs::serialize_config(config, tags);
    if (text.size() > layout::config_buffer_bytes) {
        return {Errc::invalid_parameter_value, "queue configuration too large"};
    }
    const std::uint32_t inactive = (h.config_active.load(std::memory_order_relaxed) & 1u) ^ 1u;
    std::memcpy(h.config[inactive], text.data(), text.size());
    h.config_length[inactive] = static_cast<std::uint32_t>(text.size());
    h.config_active.store(inactive, std::memory_order_release);
    fill_hot_attributes(config, h.hot);
    h.last_modified_ns.store(now_ns, std::memory_order_relaxed);
    h.hot.config_version.fetch_add(1, std::memory_order_acq_rel);
    // Retention or timing may have shrunk: have the next call sweep.
    h.next_due_ns.store(now_ns, std::memory_order_release);
    h.slot_due_ns.store(now_ns, std::memory_order_release);
    return {};
}

} // namespace shmq::engine
