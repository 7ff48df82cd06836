#pragma once

// RoundRobinLb: nginx's smooth weighted round robin. Each pick adds every available endpoint's
// weight to its current weight, takes the largest and lowers it by the total, which spreads a
// heavy endpoint's turns out instead of sending them in a burst (5:1:1 gives a a b a c a a).
// One per cluster per worker; touched only by that worker's thread.

#include <cstdint>
#include <vector>

#include <gantry/upstream/load_balancer.h>

namespace gantry::upstream {

class RoundRobinLb final : public LoadBalancer {
public:
    // `weights` has one entry per endpoint; an endpoint of weight 0 is never picked.
    explicit RoundRobinLb(std::vector<uint32_t> weights);

    int pick(const LbContext& ctx) override;

private:
    std::vector<uint32_t> weights_;
    // Signed and 64-bit: a value stays within +-(sum of weights), which may exceed 2^31.
    std::vector<int64_t> current_;
};

}  // namespace gantry::upstream
