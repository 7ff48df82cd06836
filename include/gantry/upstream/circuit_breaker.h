#pragma once

// CircuitBreaker: one cluster's circuit-breaker counts (connections, pending requests, requests
// and retries in flight), shared by every worker so that a limit holds for the whole process, as
// Envoy's do. Lives in the cluster's process-wide ClusterShared; the limits come from the current
// config and are passed in by the caller, so a reload that changes them needs no new object.
//
// shared: each count is an atomic on its own cache line, touched by every worker's requests to
// this cluster; exact cross-worker limits are what the feature demands.

#include <atomic>
#include <cstdint>

namespace gantry::upstream {

class CircuitBreaker {
public:
    enum class Resource : uint8_t { Connections, Pending, Requests, Retries };

    // Takes one unit of `resource` when fewer than `limit` are in use; false (nothing taken)
    // when the limit is reached.
    bool try_acquire(Resource resource, uint32_t limit) {
        std::atomic<uint64_t>& count = slot(resource).value;
        uint64_t current = count.load(std::memory_order_relaxed);
        while (current < limit) {
            if (count.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) {
                return true;
            }
        }
        return false;
    }

    void release(Resource resource) {
        slot(resource).value.fetch_sub(1, std::memory_order_relaxed);
    }

    uint64_t in_use(Resource resource) const {
        return slots_[static_cast<size_t>(resource)].value.load(std::memory_order_relaxed);
    }

private:
    struct alignas(64) Slot {
        std::atomic<uint64_t> value{0};
    };

    Slot& slot(Resource resource) { return slots_[static_cast<size_t>(resource)]; }

    Slot slots_[4];
};

}  // namespace gantry::upstream
