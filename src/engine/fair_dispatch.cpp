// Fair queues: a MessageGroupId on a standard queue names a tenant, and a tenant holding a
// disproportionate share of the queue's messages is served after the quiet ones (see
// layout/tenant_layout.h for the shared parts and the rule). Queues whose messages never carry
// a tenant take none of these paths: tenants_seen() is one relaxed load of a line nobody writes.
#include <atomic>

#include "engine/queue_engine.h"
#include "sqs/fifo_ids.h"

namespace shmq::engine {

using layout::TenantTable;

bool QueueEngine::tenants_seen() const noexcept {
    return !fifo() && region_->tenants().seen.load(std::memory_order_relaxed) != 0;
}

void QueueEngine::tenant_remember(std::uint32_t slot, std::string_view group_id) noexcept {
    TenantTable& tenants = region_->tenants();
    const auto bucket = static_cast<std::uint16_t>(sqs::group_key(group_id).low & (layout::tenant_buckets - 1));
    if (tenants.seen.load(std::memory_order_relaxed) == 0) {
        tenants.seen.store(1, std::memory_order_relaxed); // published with the message's state
    }
    tenants.stored[bucket].fetch_add(1, std::memory_order_relaxed);
    tenants.stored_total.fetch_add(1, std::memory_order_relaxed);
    region_->tenant_of(slot) = static_cast<std::uint16_t>(bucket + 1);
}

void QueueEngine::tenant_forget(std::uint32_t slot) noexcept {
    if (fifo()) {
        return;
    }
    std::uint16_t& tenant = region_->tenant_of(slot);
    if (tenant == layout::tenant_none) {
        return;
    }
    TenantTable& tenants = region_->tenants();
    const auto bucket = static_cast<std::uint16_t>(tenant - 1u);
    tenant = layout::tenant_none; // first: a process killed next undercounts rather than twice
    tenants.stored[bucket].fetch_sub(1, std::memory_order_relaxed);
    tenants.stored_total.fetch_sub(1, std::memory_order_relaxed);
}

bool QueueEngine::tenant_noisy(std::uint16_t tenant) const noexcept {
    if (tenant == layout::tenant_none) {
        return false; // SQS: a message without a MessageGroupId is a tenant of its own
    }
    const TenantTable& tenants = region_->tenants();
    const std::int32_t own = tenants.stored[tenant - 1u].load(std::memory_order_relaxed);
    const std::int32_t total = tenants.stored_total.load(std::memory_order_relaxed);
    // Noisy only with someone to protect: a lone tenant's backlog delays nobody.
    return own >= layout::noisy_stored_min && own < total && own > total / layout::noisy_share_divisor;
}

void QueueEngine::inspect_tenants(QueueInspection& out) const {
    const TenantTable& tenants = region_->tenants();
    out.tenant_messages = tenants.stored_total.load(std::memory_order_relaxed);
    for (std::uint32_t bucket = 0; bucket < layout::tenant_buckets; ++bucket) {
        if (tenants.stored[bucket].load(std::memory_order_relaxed) != 0) {
            ++out.tenant_buckets_used;
            out.noisy_tenant_buckets += tenant_noisy(static_cast<std::uint16_t>(bucket + 1)) ? 1u : 0u;
        }
    }
    out.deferred_ring_head = region_->deferred_ring().head_hint();
    out.deferred_ring_tail = region_->deferred_ring().tail_hint();
}

std::uint32_t QueueEngine::fair_try_receive(std::uint32_t max, ReceiveBatch& batch) {
    // 1. Messages set aside earlier whose tenant is quiet now, oldest first (stops at the first
    //    one still noisy: the deferred ring keeps its order).
    (void)region_->deferred_ring().pop(
        max, [&](std::uint32_t value) { return claim_for_receive(value, batch, TenantFilter::stop_at_noisy); });
    // 2. The ready ring, setting noisy tenants' messages aside (a bounded number per call).
    if (batch.taken < max) {
        prefetch_slots_for_write(region_->ready_ring(), max - batch.taken);
        (void)region_->ready_ring().pop(max - batch.taken, [&](std::uint32_t value) {
            return claim_for_receive(value, batch, TenantFilter::defer_noisy);
        });
    }
    // 3. No quiet tenant has anything left: noisy tenants are served as usual, never dropped.
    if (batch.taken < max) {
        (void)region_->deferred_ring().pop(max - batch.taken, [&](std::uint32_t value) {
            return claim_for_receive(value, batch, TenantFilter::none);
        });
    }
    return batch.taken;
}

} // namespace shmq::engine
