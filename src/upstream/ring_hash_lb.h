#pragma once

// RingHashLb: consistent hashing on a ring (Ketama style, as Envoy's ring_hash). Each endpoint
// owns points on a 64-bit ring in proportion to its weight, at least `min_ring_size` points in
// all (the count per unit of weight is rounded up to a power of two, so that it rarely changes
// when endpoints come or go); a request goes to the owner of the first point at or after its hash.
// An unavailable owner passes the request to the next available point clockwise, so only its own
// keys move. Points are placed by hashing the endpoint's key, so adding or removing an endpoint
// moves only the keys that land on its arcs. One per cluster per worker; touched only by that
// worker's thread.

#include <cstdint>
#include <string>
#include <vector>

#include <gantry/runtime/random.h>
#include <gantry/upstream/load_balancer.h>

namespace gantry::upstream {

class RingHashLb final : public LoadBalancer {
public:
    // `weights` and `keys` have one entry per endpoint; weight 0 = never picked.
    RingHashLb(const std::vector<uint32_t>& weights, const std::vector<std::string>& keys,
               uint32_t min_ring_size, uint64_t seed);

    int pick(const LbContext& ctx) override;

    size_t ring_size() const { return ring_.size(); }

private:
    struct Point {
        uint64_t hash;
        uint32_t index;
    };

    std::vector<Point> ring_;  // sorted by hash
    runtime::Random rng_;      // stands in for the hash when a request has no key
};

}  // namespace gantry::upstream
