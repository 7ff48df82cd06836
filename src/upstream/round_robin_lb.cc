#include "round_robin_lb.h"

#include <utility>

namespace gantry::upstream {

RoundRobinLb::RoundRobinLb(std::vector<uint32_t> weights)
    : weights_(std::move(weights))
    , current_(weights_.size(), 0) {}

int RoundRobinLb::pick(const LbContext& ctx) {
    int best = -1;
    int64_t total = 0;
    for (size_t i = 0; i < weights_.size(); ++i) {
        // An unavailable endpoint keeps its current weight untouched, as nginx does for a peer
        // that is down, so it rejoins the rotation where it left off.
        if (weights_[i] == 0 || !ctx.is_available(i)) {
            continue;
        }
        current_[i] += weights_[i];
        total += weights_[i];
        // Strictly greater: ties go to the earlier endpoint, which gives nginx's order.
        if (best < 0 || current_[i] > current_[static_cast<size_t>(best)]) {
            best = static_cast<int>(i);
        }
    }
    if (best >= 0) {
        current_[static_cast<size_t>(best)] -= total;
    }
    return best;
}

}  // namespace gantry::upstream
