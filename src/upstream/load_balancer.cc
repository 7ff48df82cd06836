#include <utility>

#include <gantry/upstream/load_balancer.h>

#include "least_request_lb.h"
#include "random_lb.h"
#include "round_robin_lb.h"

namespace gantry::upstream {

std::unique_ptr<LoadBalancer> make_load_balancer(config::LbPolicy policy,
                                                 std::vector<uint32_t> weights, uint32_t choices,
                                                 uint64_t seed) {
    switch (policy) {
        case config::LbPolicy::LeastRequest:
            return std::make_unique<LeastRequestLb>(std::move(weights), choices, seed);
        case config::LbPolicy::Random:
            return std::make_unique<RandomLb>(std::move(weights), seed);
        case config::LbPolicy::RoundRobin:
        case config::LbPolicy::RingHash:  // not built yet; load_config rejects it meanwhile
        case config::LbPolicy::Maglev:
            break;
    }
    return std::make_unique<RoundRobinLb>(std::move(weights));
}

}  // namespace gantry::upstream
