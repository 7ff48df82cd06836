#include "least_request_lb.h"

#include <utility>

namespace gantry::upstream {

namespace {

constexpr uint32_t kDefaultChoices = 2;

}  // namespace

LeastRequestLb::LeastRequestLb(std::vector<uint32_t> weights, uint32_t choices, uint64_t seed)
    : weights_(std::move(weights))
    , choices_(choices == 0 ? kDefaultChoices : choices)
    , rng_(seed) {
    for (size_t i = 0; i < weights_.size(); ++i) {
        if (weights_[i] != 0) {
            pickable_.push_back(static_cast<uint32_t>(i));
        }
    }
    scratch_.reserve(pickable_.size());
}

int LeastRequestLb::pick(const LbContext& ctx) {
    std::span<uint32_t> pool(pickable_);
    if (!ctx.available.empty()) {
        scratch_.clear();
        for (uint32_t index : pickable_) {
            if (ctx.is_available(index)) {
                scratch_.push_back(index);
            }
        }
        pool = scratch_;
    }
    if (pool.empty()) {
        return -1;
    }
    if (choices_ >= pool.size()) {
        return scan_all(ctx, pool);
    }
    return draw_choices(ctx, pool);
}

bool LeastRequestLb::is_less_loaded(const LbContext& ctx, uint32_t a, uint32_t b) const {
    // Compares (active + 1) / weight by cross-multiplying: no floating point, and the products
    // fit in 64 bits. The +1 (Envoy's weight / (active + 1)) keeps weights meaningful when both
    // are idle; with equal weights it orders exactly by active requests.
    const uint64_t load_a = uint64_t{ctx.active(a)} + 1;
    const uint64_t load_b = uint64_t{ctx.active(b)} + 1;
    return load_a * weights_[b] < load_b * weights_[a];
}

int LeastRequestLb::scan_all(const LbContext& ctx, std::span<const uint32_t> pool) {
    // Starting at a random position lets ties land anywhere, as a random draw would.
    const size_t start = rng_.below(pool.size());
    uint32_t best = pool[start];
    for (size_t k = 1; k < pool.size(); ++k) {
        const uint32_t candidate = pool[(start + k) % pool.size()];
        if (is_less_loaded(ctx, candidate, best)) {
            best = candidate;
        }
    }
    return static_cast<int>(best);
}

int LeastRequestLb::draw_choices(const LbContext& ctx, std::span<uint32_t> pool) {
    // A partial Fisher-Yates shuffle gives `choices_` distinct endpoints in O(choices_).
    int best = -1;
    for (size_t j = 0; j < choices_; ++j) {
        const size_t r = j + rng_.below(pool.size() - j);
        std::swap(pool[j], pool[r]);
        // Strictly less loaded: ties stay with the first drawn.
        if (best < 0 || is_less_loaded(ctx, pool[j], static_cast<uint32_t>(best))) {
            best = static_cast<int>(pool[j]);
        }
    }
    return best;
}

}  // namespace gantry::upstream
