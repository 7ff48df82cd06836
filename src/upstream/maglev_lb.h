#pragma once

// MaglevLb: Maglev consistent hashing (Eisenbud et al., NSDI 2016) as Envoy's maglev balancer:
// a lookup table of 65537 (a prime) entries filled from each endpoint's own permutation of the
// slots, in turns proportional to weight. A request takes table[hash % 65537]; an unavailable
// endpoint's slot passes the request to the next slots, whose owners are spread like the table
// itself, so only that endpoint's keys move. One per cluster per worker; touched only by that
// worker's thread.

#include <cstdint>
#include <string>
#include <vector>

#include <gantry/runtime/random.h>
#include <gantry/upstream/load_balancer.h>

namespace gantry::upstream {

class MaglevLb final : public LoadBalancer {
public:
    static constexpr uint32_t kTableSize = 65537;

    // `weights` and `keys` have one entry per endpoint; weight 0 = never picked.
    MaglevLb(const std::vector<uint32_t>& weights, const std::vector<std::string>& keys,
             uint64_t seed);

    int pick(const LbContext& ctx) override;

private:
    void fill(const std::vector<uint32_t>& weights, const std::vector<std::string>& keys);

    std::vector<uint32_t> table_;  // endpoint index per slot; empty when no endpoint has weight
    runtime::Random rng_;          // stands in for the hash when a request has no key
};

}  // namespace gantry::upstream
