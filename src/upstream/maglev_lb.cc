#include "maglev_lb.h"

#include <algorithm>

namespace gantry::upstream {

namespace {

constexpr uint32_t kEmpty = UINT32_MAX;

struct Permutation {
    uint64_t offset;
    uint64_t skip;
    uint64_t next = 0;  // how far along its permutation this endpoint is
    uint64_t credit = 0;
};

}  // namespace

MaglevLb::MaglevLb(const std::vector<uint32_t>& weights, const std::vector<std::string>& keys,
                   uint64_t seed)
    : rng_(seed) {
    fill(weights, keys);
}

void MaglevLb::fill(const std::vector<uint32_t>& weights, const std::vector<std::string>& keys) {
    const uint32_t max_weight =
        weights.empty() ? 0 : *std::max_element(weights.begin(), weights.end());
    if (max_weight == 0) {
        return;
    }
    std::vector<Permutation> perms;
    for (const auto& key : keys) {
        perms.push_back(
            {hash_key(key) % kTableSize, hash_key(key + "#skip") % (kTableSize - 1) + 1});
    }
    table_.assign(kTableSize, kEmpty);
    uint32_t filled = 0;
    // Each turn every endpoint earns its weight in credit and claims one slot per max_weight of
    // credit, so slot counts follow the weights and the heaviest endpoint claims one per turn.
    while (filled < kTableSize) {
        for (size_t i = 0; i < perms.size() && filled < kTableSize; ++i) {
            Permutation& perm = perms[i];
            perm.credit += weights[i];
            while (perm.credit >= max_weight && filled < kTableSize) {
                perm.credit -= max_weight;
                uint64_t slot = (perm.offset + perm.next * perm.skip) % kTableSize;
                while (table_[slot] != kEmpty) {
                    ++perm.next;
                    slot = (perm.offset + perm.next * perm.skip) % kTableSize;
                }
                table_[slot] = static_cast<uint32_t>(i);
                ++perm.next;
                ++filled;
            }
        }
    }
}

int MaglevLb::pick(const LbContext& ctx) {
    if (table_.empty()) {
        return -1;
    }
    const uint64_t hash = ctx.has_hash ? ctx.hash : rng_.next();
    const size_t at = hash % kTableSize;
    for (size_t step = 0; step < kTableSize; ++step) {
        const uint32_t index = table_[(at + step) % kTableSize];
        if (ctx.is_available(index)) {
            return static_cast<int>(index);
        }
    }
    return -1;
}

}  // namespace gantry::upstream
