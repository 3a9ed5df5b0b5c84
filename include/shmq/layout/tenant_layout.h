// Fair queues: on a standard queue a MessageGroupId names a tenant, and receives keep one noisy
// tenant from starving the others (SQS fair queues). Standard regions carry three parts for it:
//
//   TenantTable         messages stored (visible, delayed or in flight) per tenant bucket and
//                       in all: shared atomics touched only by messages that have a tenant
//   tenant_of[slots]    u16 per slot: the tenant bucket + 1 of the message in it, 0 for none;
//                       written while WRITING, read after acquiring READY, cleared while FREEING
//   deferred ring       READY messages of noisy tenants, set aside by receivers so that quiet
//                       tenants' messages behind them are delivered first
//
// A tenant is noisy while it holds more than a tenth of the queue's tenant messages and at least
// 30 of its own, and some other tenant has messages (SQS documents these thresholds for its
// in-flight share). shmq measures stored messages rather than in-flight ones: a local consumer
// typically deletes within microseconds, so in-flight shares rarely stand out, while a backlog
// is exactly what makes quiet tenants wait. Tenants are hashed into buckets, so two tenants
// sharing a bucket are judged together; SQS calls its own detection approximate too. A count is
// added while the sender owns the slot (WRITING) and removed while the slot is FREEING, so it is
// exact except for a process killed between the counter update and the tenant_of store.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

#include "shmq/layout/region_layout.h"

namespace shmq::layout {

inline constexpr std::uint32_t tenant_buckets = 1024; // power of two
inline constexpr std::uint16_t tenant_none = 0;
inline constexpr std::int32_t noisy_stored_min = 30;
inline constexpr std::int32_t noisy_share_divisor = 10; // more than a tenth of all tenant messages

struct TenantTable {
    alignas(cache_block) std::atomic<std::uint32_t> seen; // 1 once a message carried a tenant; never reset
    alignas(cache_block) std::atomic<std::int32_t> stored_total;
    alignas(cache_block) std::atomic<std::int32_t> stored[tenant_buckets];
};
static_assert(std::is_standard_layout_v<TenantTable>, "shared layouts must be standard layout");
static_assert(std::atomic<std::int32_t>::is_always_lock_free, "shared atomics must be lock-free");

} // namespace shmq::layout
