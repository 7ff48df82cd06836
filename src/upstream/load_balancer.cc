#include <string>
#include <utility>

#include <gantry/upstream/load_balancer.h>

#include "least_request_lb.h"
#include "maglev_lb.h"
#include "random_lb.h"
#include "ring_hash_lb.h"
#include "round_robin_lb.h"

namespace gantry::upstream {

uint64_t hash_key(std::string_view key) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : key) {
        h = (h ^ c) * 0x100000001b3ULL;
    }
    // FNV-1a alone spreads short keys that differ in the last byte poorly over the high bits;
    // the murmur3 finaliser fixes that.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

std::unique_ptr<LoadBalancer> make_load_balancer(const LbSettings& settings,
                                                 std::vector<uint32_t> weights,
                                                 const std::vector<std::string>& keys,
                                                 uint64_t seed) {
    switch (settings.policy) {
        case config::LbPolicy::LeastRequest:
            return std::make_unique<LeastRequestLb>(std::move(weights), settings.choices, seed);
        case config::LbPolicy::Random:
            return std::make_unique<RandomLb>(std::move(weights), seed);
        case config::LbPolicy::RingHash:
            return std::make_unique<RingHashLb>(weights, keys, settings.min_ring_size, seed);
        case config::LbPolicy::Maglev:
            return std::make_unique<MaglevLb>(weights, keys, seed);
        case config::LbPolicy::RoundRobin:
            break;
    }
    return std::make_unique<RoundRobinLb>(std::move(weights));
}

std::unique_ptr<LoadBalancer> make_load_balancer(config::LbPolicy policy,
                                                 std::vector<uint32_t> weights, uint32_t choices,
                                                 uint64_t seed) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < weights.size(); ++i) {
        keys.push_back(std::to_string(i));
    }
    LbSettings settings;
    settings.policy = policy;
    settings.choices = choices;
    return make_load_balancer(settings, std::move(weights), keys, seed);
}

}  // namespace gantry::upstream
