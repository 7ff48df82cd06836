#include "random_lb.h"

#include <algorithm>
#include <utility>

namespace gantry::upstream {

RandomLb::RandomLb(std::vector<uint32_t> weights, uint64_t seed)
    : weights_(std::move(weights))
    , rng_(seed) {
    uint64_t sum = 0;
    for (uint32_t weight : weights_) {
        sum += weight;
        cumulative_.push_back(sum);
        if (weight == 0 || weight != weights_.front()) {
            equal_weights_ = false;
        }
    }
}

int RandomLb::pick(const LbContext& ctx) {
    return ctx.available.empty() ? pick_any() : pick_masked(ctx);
}

int RandomLb::pick_any() {
    if (cumulative_.empty() || cumulative_.back() == 0) {
        return -1;
    }
    if (equal_weights_) {
        return static_cast<int>(rng_.below(weights_.size()));
    }
    // The first endpoint whose cumulative weight exceeds r; weight-0 endpoints never qualify
    // because their cumulative value equals their predecessor's.
    const uint64_t r = rng_.below(cumulative_.back());
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
    return static_cast<int>(it - cumulative_.begin());
}

int RandomLb::pick_masked(const LbContext& ctx) {
    uint64_t total = 0;
    for (size_t i = 0; i < weights_.size(); ++i) {
        if (ctx.is_available(i)) {
            total += weights_[i];
        }
    }
    if (total == 0) {
        return -1;
    }
    uint64_t r = rng_.below(total);
    for (size_t i = 0; i < weights_.size(); ++i) {
        if (!ctx.is_available(i)) {
            continue;
        }
        if (r < weights_[i]) {
            return static_cast<int>(i);
        }
        r -= weights_[i];
    }
    return -1;  // unreachable: r < total
}

}  // namespace gantry::upstream
