#pragma once

// LeastRequestLb: the power of `choices` random choices. It draws that many distinct available
// endpoints and keeps the one with the fewest requests in flight relative to its weight; when
// there are no more available endpoints than choices it looks at all of them. One per cluster per
// worker; touched only by that worker's thread.

#include <cstdint>
#include <span>
#include <vector>

#include <gantry/runtime/random.h>
#include <gantry/upstream/load_balancer.h>

namespace gantry::upstream {

class LeastRequestLb final : public LoadBalancer {
public:
    // `weights` has one entry per endpoint (weight 0 = never picked); `choices` of 0 means the
    // default of 2.
    LeastRequestLb(std::vector<uint32_t> weights, uint32_t choices, uint64_t seed);

    int pick(const LbContext& ctx) override;

private:
    // True when endpoint `a` is less loaded than `b`.
    bool is_less_loaded(const LbContext& ctx, uint32_t a, uint32_t b) const;
    int scan_all(const LbContext& ctx, std::span<const uint32_t> pool);
    int draw_choices(const LbContext& ctx, std::span<uint32_t> pool);

    std::vector<uint32_t> weights_;
    uint32_t choices_;
    runtime::Random rng_;
    // Every pickable index; draws shuffle it in place, which any order of it tolerates.
    std::vector<uint32_t> pickable_;
    // The available subset when the context carries a mask; its capacity is reserved up front so
    // filling it never allocates.
    std::vector<uint32_t> scratch_;
};

}  // namespace gantry::upstream
