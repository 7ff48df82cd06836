#include <algorithm>

#include <gantry/upstream/host_view.h>

namespace gantry::upstream {

namespace {

constexpr uint64_t kScale = HostView::kScale;
constexpr uint64_t kOverprovisioning = 140;  // percent: Envoy's overprovisioning factor 1.4
constexpr uint64_t kPanicPercent = 50;       // Envoy's healthy_panic_threshold default

struct Level {
    uint32_t priority = 0;
    std::vector<size_t> members;
    size_t healthy = 0;
    uint64_t health = 0;  // of kScale
    uint64_t load = 0;    // of kScale
    bool panic = false;
};

uint64_t health_of(size_t healthy, size_t total) {
    return total == 0
               ? 0
               : std::min<uint64_t>(kScale, kOverprovisioning * kScale / 100 * healthy / total);
}

std::vector<Level> group_levels(std::span<const HostInfo> hosts) {
    std::map<uint32_t, Level> by_priority;
    for (size_t i = 0; i < hosts.size(); ++i) {
        Level& level = by_priority[hosts[i].priority];
        level.priority = hosts[i].priority;
        level.members.push_back(i);
        level.healthy += hosts[i].usable ? 1 : 0;
    }
    std::vector<Level> levels;
    for (auto& [priority, level] : by_priority) {
        level.health = health_of(level.healthy, level.members.size());
        levels.push_back(std::move(level));
    }
    return levels;
}

// Splits `total` in proportion to `parts`; the rounding remainder goes to the first non-zero one.
std::vector<uint64_t> split(uint64_t total, const std::vector<uint64_t>& parts) {
    uint64_t sum = 0;
    for (uint64_t part : parts) {
        sum += part;
    }
    std::vector<uint64_t> out(parts.size(), 0);
    if (sum == 0) {
        return out;
    }
    uint64_t given = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        out[i] = total * parts[i] / sum;
        given += out[i];
    }
    for (size_t i = 0; i < parts.size() && given < total; ++i) {
        if (parts[i] != 0) {
            out[i] += total - given;
            given = total;
        }
    }
    return out;
}

void assign_loads(std::vector<Level>& levels) {
    uint64_t sum = 0;
    for (const Level& level : levels) {
        sum += level.health;
    }
    if (sum == 0) {
        // Nothing healthy anywhere: every level in panic, shares by endpoint count.
        std::vector<uint64_t> counts;
        for (Level& level : levels) {
            level.panic = true;
            counts.push_back(level.members.size());
        }
        auto loads = split(kScale, counts);
        for (size_t i = 0; i < levels.size(); ++i) {
            levels[i].load = loads[i];
        }
        return;
    }
    if (sum >= kScale) {
        uint64_t remaining = kScale;
        for (Level& level : levels) {
            level.load = std::min(level.health, remaining);
            remaining -= level.load;
        }
    } else {
        std::vector<uint64_t> healths;
        for (const Level& level : levels) {
            healths.push_back(level.health);
        }
        auto loads = split(kScale, healths);
        for (size_t i = 0; i < levels.size(); ++i) {
            levels[i].load = loads[i];
        }
    }
    for (Level& level : levels) {
        level.panic = sum < kScale && level.healthy * 100 < kPanicPercent * level.members.size();
    }
}

bool in_zone(const HostInfo& host, const std::string& zone) {
    return host.zone != nullptr && *host.zone == zone;
}

struct Zone {
    std::vector<size_t> healthy;
    size_t total = 0;
};

// Shares of the level's load per zone (local first), per Envoy's zone-aware algorithm.
std::vector<uint64_t> zone_shares(const std::map<std::string, Zone>& zones,
                                  const std::vector<std::string>& order,
                                  const ZoneAwareSettings& settings, uint64_t load) {
    const Zone& local = zones.at(settings.local_zone);
    uint64_t healthy_total = 0;
    for (const auto& [name, zone] : zones) {
        healthy_total += zone.healthy.size();
    }
    uint64_t local_share = 0;  // of kScale
    std::vector<uint64_t> residual(order.size(), 0);
    if (settings.fleet != nullptr && settings.fleet->count(settings.local_zone) != 0) {
        uint64_t fleet_total = 0;
        for (const auto& [name, count] : *settings.fleet) {
            fleet_total += count;
        }
        auto fleet_of = [&](const std::string& zone) -> uint64_t {
            auto it = settings.fleet->find(zone);
            return it == settings.fleet->end() ? 0 : it->second;
        };
        // Percentages in 1/kScale: the local zone's part of the fleet and of healthy upstreams.
        const uint64_t local_fleet = fleet_of(settings.local_zone) * kScale / fleet_total;
        const uint64_t local_upstream = local.healthy.size() * kScale / healthy_total;
        local_share =
            local_upstream >= local_fleet ? kScale : local_upstream * kScale / local_fleet;
        for (size_t i = 1; i < order.size(); ++i) {
            const uint64_t upstream = zones.at(order[i]).healthy.size() * kScale / healthy_total;
            const uint64_t fleet = fleet_of(order[i]) * kScale / fleet_total;
            residual[i] = upstream > fleet ? upstream - fleet : 0;
        }
    } else {
        local_share = health_of(local.healthy.size(), local.total);
        for (size_t i = 1; i < order.size(); ++i) {
            residual[i] = zones.at(order[i]).healthy.size();
        }
    }
    bool has_residual = std::any_of(residual.begin(), residual.end(), [](uint64_t r) { return r; });
    if (!has_residual) {
        // Nowhere with spare capacity: spill by healthy endpoints, or stay local when alone.
        for (size_t i = 1; i < order.size(); ++i) {
            residual[i] = zones.at(order[i]).healthy.size();
        }
        has_residual = std::any_of(residual.begin(), residual.end(), [](uint64_t r) { return r; });
    }
    if (!has_residual) {
        local_share = kScale;
    }
    const uint64_t local_load = load * local_share / kScale;
    std::vector<uint64_t> shares = split(load - local_load, residual);
    shares[0] = local_load;
    return shares;
}

bool zone_aware_applies(std::span<const HostInfo> hosts, const Level& level,
                        const ZoneAwareSettings& settings) {
    if (!settings.enabled || settings.local_zone.empty() || level.priority != 0 || level.panic ||
        level.members.size() < settings.min_cluster_size || level.healthy == 0) {
        return false;
    }
    return std::any_of(level.members.begin(), level.members.end(),
                       [&](size_t i) { return in_zone(hosts[i], settings.local_zone); });
}

}  // namespace

HostView HostView::build(std::span<const HostInfo> hosts, const ZoneAwareSettings& settings) {
    HostView view;
    std::vector<Level> levels = group_levels(hosts);
    assign_loads(levels);
    auto add = [&](uint64_t share, auto&& members) {
        if (share == 0) {
            return;
        }
        Subset subset{static_cast<uint32_t>(share), std::vector<uint8_t>(hosts.size(), 0),
                      members.size() == hosts.size()};
        for (size_t i : members) {
            subset.mask[i] = 1;
        }
        view.subsets_.push_back(std::move(subset));
    };
    for (const Level& level : levels) {
        std::vector<size_t> usable;
        for (size_t i : level.members) {
            if (level.panic || hosts[i].usable) {
                usable.push_back(i);
            }
        }
        if (!zone_aware_applies(hosts, level, settings)) {
            add(level.load, usable);
            continue;
        }
        std::map<std::string, Zone> zones;
        for (size_t i : level.members) {
            Zone& zone = zones[hosts[i].zone ? *hosts[i].zone : std::string()];
            ++zone.total;
            if (hosts[i].usable) {
                zone.healthy.push_back(i);
            }
        }
        std::vector<std::string> order{settings.local_zone};
        for (const auto& [name, zone] : zones) {
            if (name != settings.local_zone) {
                order.push_back(name);
            }
        }
        std::vector<uint64_t> shares = zone_shares(zones, order, settings, level.load);
        for (size_t z = 0; z < order.size(); ++z) {
            add(shares[z], zones.at(order[z]).healthy);
        }
    }
    return view;
}

const HostView::Subset* HostView::choose(uint32_t draw) const {
    for (const Subset& subset : subsets_) {
        if (draw < subset.share) {
            return &subset;
        }
        draw -= subset.share;
    }
    return subsets_.empty() ? nullptr : &subsets_.back();
}

}  // namespace gantry::upstream
