#pragma once

// LoadBalancer: picks an endpoint index of one cluster. One instance per cluster per worker, so
// its state (cursors, current weights, RNG) needs no lock. Not thread-safe by design.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
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
    // Hash of the request key (`hash_on`) for ring_hash and maglev; used when has_hash is set.
    // Without a key they pick like weighted random, as Envoy does.
    uint64_t hash = 0;
    bool has_hash = false;

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

// 64-bit hash of a key (FNV-1a with a strong final mix), stable across runs and builds so that
// every worker and every gantry instance places a key on the same endpoint.
uint64_t hash_key(std::string_view key);

struct LbSettings {
    config::LbPolicy policy = config::LbPolicy::RoundRobin;
    uint32_t choices = 2;           // least_request
    uint32_t min_ring_size = 1024;  // ring_hash
};

// Builds the balancer for a cluster's policy. `weights` has one entry per endpoint (>= 1);
// `keys` (same length) names each endpoint for the hash balancers, so an endpoint keeps its
// place on the ring or table when others come or go. round_robin is smooth weighted round robin
// (nginx's algorithm); least_request is the power of `choices` random choices, comparing
// active_requests / weight; random is weighted random; ring_hash is a consistent-hash ring with
// at least `min_ring_size` points; maglev a 65537-entry Maglev table.
std::unique_ptr<LoadBalancer> make_load_balancer(const LbSettings& settings,
                                                 std::vector<uint32_t> weights,
                                                 const std::vector<std::string>& keys,
                                                 uint64_t seed);

// Shorthand for tests and benches: endpoints keyed "0", "1", ...
std::unique_ptr<LoadBalancer> make_load_balancer(config::LbPolicy policy,
                                                 std::vector<uint32_t> weights, uint32_t choices,
                                                 uint64_t seed);

}  // namespace gantry::upstream
