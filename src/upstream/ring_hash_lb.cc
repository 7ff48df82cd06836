#include "ring_hash_lb.h"

#include <algorithm>
#include <cmath>

namespace gantry::upstream {

namespace {

// Envoy's maximum_ring_size default: a bound on memory whatever the weights are.
constexpr double kMaxRingSize = 8 * 1024 * 1024;

}  // namespace

RingHashLb::RingHashLb(const std::vector<uint32_t>& weights, const std::vector<std::string>& keys,
                       uint32_t min_ring_size, uint64_t seed)
    : rng_(seed) {
    double total = 0;
    uint32_t min_weight = 0;
    for (uint32_t weight : weights) {
        total += weight;
        if (weight != 0 && (min_weight == 0 || weight < min_weight)) {
            min_weight = weight;
        }
    }
    if (total == 0) {
        return;
    }
    // The lightest endpoint gets ceil(its share x min_ring_size) points, rounded up to a power
    // of two, and the others as many per unit of weight. The rounding keeps an endpoint's points
    // the same when another endpoint comes or goes (otherwise every arc would shift a little and
    // move far more keys than the departed endpoint held).
    const double min_share = min_weight / total;
    uint64_t per_min_weight = 1;
    while (per_min_weight < std::ceil(min_share * min_ring_size)) {
        per_min_weight *= 2;
    }
    const double per_weight =
        std::min(static_cast<double>(per_min_weight) / min_weight, kMaxRingSize / total);
    std::string point_key;
    for (size_t i = 0; i < weights.size(); ++i) {
        const auto points = static_cast<uint64_t>(std::ceil(per_weight * weights[i]));
        for (uint64_t k = 0; k < points; ++k) {
            point_key = keys[i];
            point_key += '_';
            point_key += std::to_string(k);
            ring_.push_back({hash_key(point_key), static_cast<uint32_t>(i)});
        }
    }
    std::sort(ring_.begin(), ring_.end(),
              [](const Point& a, const Point& b) { return a.hash < b.hash; });
}

int RingHashLb::pick(const LbContext& ctx) {
    if (ring_.empty()) {
        return -1;
    }
    const uint64_t hash = ctx.has_hash ? ctx.hash : rng_.next();
    auto it = std::lower_bound(ring_.begin(), ring_.end(), hash,
                               [](const Point& p, uint64_t h) { return p.hash < h; });
    size_t at = it == ring_.end() ? 0 : static_cast<size_t>(it - ring_.begin());
    for (size_t step = 0; step < ring_.size(); ++step) {
        const Point& point = ring_[(at + step) % ring_.size()];
        if (ctx.is_available(point.index)) {
            return static_cast<int>(point.index);
        }
    }
    return -1;
}

}  // namespace gantry::upstream
