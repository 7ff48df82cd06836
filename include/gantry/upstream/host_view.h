#pragma once

// HostView: which endpoints of a cluster a worker may pick right now, and with what share of
// the traffic, from their health and their priority levels and zones. Built by a worker's
// Cluster when the published health changes (rarely); pure, so the arithmetic is unit-tested.
//
// Envoy's rules, in this order:
// - Priority levels: a level's health is min(100, 1.4 x its healthy percent) (overprovisioning
//   factor 1.4). Level 0 takes its health as its share of the traffic, level 1 the next part of
//   what is left, and so on; when the healths add up to less than 100 they are scaled up to 100.
// - Panic: unless the levels together reach 100, a level with fewer than 50% healthy endpoints
//   uses all of its endpoints, healthy or not. When no endpoint is healthy at all every level is
//   in panic and levels share the traffic by endpoint count.
// - Zone-aware routing (level 0 only, when enabled, the local zone is known, the level is not
//   in panic and has at least min_cluster_size endpoints): with a `fleet` (gantry instances per
//   zone), traffic stays local while the local zone's share of healthy endpoints is at least its
//   share of the fleet; otherwise the local zone takes what it can and the residual goes to the
//   other zones in proportion to their spare capacity (Envoy's algorithm). Without a fleet (or
//   with one that does not name the local zone) the
//   local zone acts like a priority level of its own: it keeps min(100, 1.4 x its healthy
//   percent) and the rest spills to the other zones in proportion to their healthy endpoints.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace gantry::upstream {

struct HostInfo {
    bool usable = true;  // neither failed a health check nor ejected
    uint32_t priority = 0;
    const std::string* zone = nullptr;  // null or empty: no zone
};

struct ZoneAwareSettings {
    bool enabled = false;
    uint32_t min_cluster_size = 6;
    std::string local_zone;
    const std::map<std::string, uint32_t>* fleet = nullptr;  // null or empty: not given
};

class HostView {
public:
    static constexpr uint32_t kScale = 10000;  // shares are in 1/10000

    struct Subset {
        uint32_t share = 0;          // of kScale
        std::vector<uint8_t> mask;   // 1 = may be picked; one entry per endpoint
        bool is_everything = false;  // every endpoint is in it (balancers skip the mask)
    };

    static HostView build(std::span<const HostInfo> hosts, const ZoneAwareSettings& zones);

    // The subset for a draw in [0, kScale); null when there are no endpoints at all.
    const Subset* choose(uint32_t draw) const;

    const std::vector<Subset>& subsets() const { return subsets_; }

    // True when the traffic is split (a draw is needed).
    bool is_split() const { return subsets_.size() > 1; }

private:
    std::vector<Subset> subsets_;  // shares add up to kScale
};

}  // namespace gantry::upstream
