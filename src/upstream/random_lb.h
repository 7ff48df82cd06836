#pragma once

// RandomLb: weighted random choice among the available endpoints. One per cluster per worker;
// touched only by that worker's thread.

#include <cstdint>
#include <vector>

#include <gantry/runtime/random.h>
#include <gantry/upstream/load_balancer.h>

namespace gantry::upstream {

class RandomLb final : public LoadBalancer {
public:
    // `weights` has one entry per endpoint; an endpoint of weight 0 is never picked.
    RandomLb(std::vector<uint32_t> weights, uint64_t seed);

    int pick(const LbContext& ctx) override;

private:
    int pick_any();
    int pick_masked(const LbContext& ctx);

    std::vector<uint32_t> weights_;
    // cumulative_[i] = sum of weights_[0..i]; lets an unmasked pick binary-search.
    std::vector<uint64_t> cumulative_;
    bool equal_weights_ = true;  // all weights equal and non-zero: a single below(n) suffices
    runtime::Random rng_;
};

}  // namespace gantry::upstream
