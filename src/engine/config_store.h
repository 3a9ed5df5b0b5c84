// A queue's configuration in its region: the JSON of attributes and tags in two buffers under
// the robust config mutex (a writer killed mid-write leaves the active buffer intact; the next
// locker gets EOWNERDEAD and marks the mutex consistent), mirrored into HotAttributes atomics
// for the hot path.
#pragma once

#include <functional>
#include <utility>

#include "region/region.h"
#include "sqs/queue_config.h"

namespace shmq::engine {

[[nodiscard]] Result<std::pair<sqs::QueueConfig, QueueTags>> read_config(region::Region& region);

// Read-modify-write under the mutex: change(config, tags) edits; on ok the result is stored,
// HotAttributes updated and config_version bumped.
[[nodiscard]] Status update_config(region::Region& region, std::int64_t now_ns,
                                   const std::function<Status(sqs::QueueConfig&, QueueTags&)>& change);

// The hot atomics of a config (for a region being created).
void fill_hot_attributes(const sqs::QueueConfig& config, layout::HotAttributes& hot) noexcept;

} // namespace shmq::engine
