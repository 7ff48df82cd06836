#pragma once

// LoadBalancer: picks an endpoint index of one cluster. One instance per cluster per worker, so
// its state (cursors, current weights, RNG) needs no lock. Not thread-safe by design.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <gantry/config.h>

namespace gantry::upstream {

// What pick() may look at: the live per-worker view of the cluster's endpoints.
struct LbContext {
    // Requests in flight from this worker to each endpoint (same order as the weights).
    std::span<const uint32_t> active_requests;
    // 1 when the endpoint may be picked, 0 when not (unhealthy, ejected, or already tried);
    // empty means every endpoint is available.
    std::span<const uint8_t> available;
    // Hash of the request key for hash balancers (later issue); 0 when unused.
    uint64_t hash = 0;

    // True when endpoint `i` may be picked; an index past a non-empty mask is not available.
    bool is_available(size_t i) const {
        return available.empty() || (i < available.size() && available[i] != 0);
    }

    // Requests in flight to endpoint `i`; 0 when the span does not cover it.
    uint32_t active(size_t i) const { return i < active_requests.size() ? active_requests[i] : 0; }
};

class LoadBalancer {
public:
    virtual ~LoadBalancer() = default;

    // Returns the index of the chosen endpoint, or -1 when none is available.
    virtual int pick(const LbContext& ctx) = 0;
};

// Small fast PRNG (xoshiro256** style) used by balancers; seeded per worker.
class Random {
public:
    explicit Random(uint64_t seed);
    uint64_t next();
    // Uniform in [0, bound); bound > 0.
    uint64_t below(uint64_t bound);

private:
    uint64_t s_[4];
};

// Builds the balancer for a cluster's policy. `weights` has one entry per endpoint (>= 1).
// round_robin is smooth weighted round robin (nginx's algorithm); least_request is the power of
// `choices` random choices, comparing active_requests / weight; random is weighted random.
// RingHash and Maglev are not built yet: callers get round robin for them (load_config rejects
// them until the health issue lands).
std::unique_ptr<LoadBalancer> make_load_balancer(config::LbPolicy policy,
                                                 std::vector<uint32_t> weights, uint32_t choices,
                                                 uint64_t seed);

}  // namespace gantry::upstream
