#pragma once

// MetricRegistry: the label sets of every metric series the process has had, each with a small
// integer id that indexes the per-worker counters (metrics.h). Ids only ever get added, and a
// label set keeps its id across reloads, so a counter never goes backwards when a reload rebuilds
// the routes. One registry per process, shared by consecutive Generations (Generation::build
// takes it from the previous one); used on the main thread only: Generation::build adds ids, the
// admin scrape reads labels. Workers never touch it: they get plain ids inside the Generation.
//
// ListenerMetricIds: the ids one listener's requests count under, computed at Generation build
// so the request path maps its matched route to a series with one pointer-keyed lookup.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gantry/config.h>
#include <gantry/observability/metrics.h>

namespace gantry::observability {

struct RouteSeriesLabels {
    uint32_t listener = 0;     // listener id
    std::string virtual_host;  // empty: no virtual host or route matched
    std::string route;         // "<index> <match>", e.g. "0 prefix /api/"; empty: no route
    std::string cluster;       // the route's cluster; empty for respond / redirect routes
};

struct EndpointLabels {
    uint32_t cluster = 0;  // cluster id
    std::string address;   // "ip:port"
};

class MetricRegistry {
public:
    uint32_t listener_id(const std::string& name);
    uint32_t cluster_id(const std::string& name);
    uint32_t endpoint_id(uint32_t cluster, const std::string& address);
    uint32_t route_series_id(const RouteSeriesLabels& labels);

    const std::vector<std::string>& listeners() const { return listeners_; }

    const std::vector<std::string>& clusters() const { return clusters_; }

    const std::vector<EndpointLabels>& endpoints() const { return endpoints_; }

    const std::vector<RouteSeriesLabels>& route_series() const { return route_series_; }

    MetricSizes sizes() const;

private:
    using RouteKey = std::tuple<uint32_t, std::string, std::string, std::string>;

    std::vector<std::string> listeners_;
    std::map<std::string, uint32_t, std::less<>> listener_ids_;
    std::vector<std::string> clusters_;
    std::map<std::string, uint32_t, std::less<>> cluster_ids_;
    std::vector<EndpointLabels> endpoints_;
    std::map<std::pair<uint32_t, std::string>, uint32_t> endpoint_ids_;
    std::vector<RouteSeriesLabels> route_series_;
    std::map<RouteKey, uint32_t> route_series_ids_;
};

// The route label: the route's position in its virtual host and its path matcher.
std::string route_label(size_t index, const config::Route& route);

class ListenerMetricIds {
public:
    uint32_t listener = 0;
    uint32_t no_route_series = 0;  // requests no route matched, and those rejected before routing

    // Registers every (virtual host, route) the listener can reach.
    static ListenerMetricIds build(MetricRegistry& registry, const config::ConfigSnapshot& snapshot,
                                   const config::ListenerConfig& listener);

    // The series of a matched route (no_route_series for null or a route of another listener).
    // An open-addressing table keyed by the route's address, with multiplicative hashing: a
    // couple of instructions and no division on the request path.
    uint32_t series_for(const config::Route* route) const {
        if (route == nullptr || slots_.empty()) {
            return no_route_series;
        }
        size_t mask = slots_.size() - 1;
        for (size_t i = slot_of(route);; i = (i + 1) & mask) {
            const Slot& slot = slots_[i];
            if (slot.route == route) {
                return slot.series;
            }
            if (slot.route == nullptr) {
                return no_route_series;
            }
        }
    }

    size_t route_count() const { return count_; }

private:
    struct Slot {
        const config::Route* route = nullptr;
        uint32_t series = 0;
    };

    size_t slot_of(const config::Route* route) const {
        auto bits = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(route));
        return static_cast<size_t>((bits * 0x9E3779B97F4A7C15ULL) >> shift_);
    }

    void insert(const config::Route* route, uint32_t series);

    std::vector<Slot> slots_;  // a power of two, at most half full
    unsigned shift_ = 64;      // 64 - log2(slots_.size())
    size_t count_ = 0;
};

}  // namespace gantry::observability
