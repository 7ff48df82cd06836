#include <bit>

#include <gantry/observability/metrics_registry.h>

namespace gantry::observability {

namespace {

template <typename Map, typename Key, typename Vector, typename Value>
uint32_t intern(Map& ids, Key key, Vector& values, Value value) {
    auto it = ids.find(key);
    if (it != ids.end()) {
        return it->second;
    }
    auto id = static_cast<uint32_t>(values.size());
    values.push_back(std::move(value));
    ids.emplace(std::move(key), id);
    return id;
}

const char* match_kind(config::PathMatchKind kind) {
    switch (kind) {
        case config::PathMatchKind::Prefix:
            return "prefix";
        case config::PathMatchKind::Exact:
            return "path";
        case config::PathMatchKind::Regex:
            return "regex";
    }
    return "prefix";
}

}  // namespace

uint32_t MetricRegistry::listener_id(const std::string& name) {
    return intern(listener_ids_, name, listeners_, name);
}

uint32_t MetricRegistry::cluster_id(const std::string& name) {
    return intern(cluster_ids_, name, clusters_, name);
}

uint32_t MetricRegistry::endpoint_id(uint32_t cluster, const std::string& address) {
    return intern(endpoint_ids_, std::make_pair(cluster, address), endpoints_,
                  EndpointLabels{cluster, address});
}

uint32_t MetricRegistry::route_series_id(const RouteSeriesLabels& labels) {
    return intern(route_series_ids_,
                  RouteKey{labels.listener, labels.virtual_host, labels.route, labels.cluster},
                  route_series_, labels);
}

MetricSizes MetricRegistry::sizes() const {
    return {static_cast<uint32_t>(route_series_.size()), static_cast<uint32_t>(listeners_.size()),
            static_cast<uint32_t>(clusters_.size()), static_cast<uint32_t>(endpoints_.size())};
}

std::string route_label(size_t index, const config::Route& route) {
    return std::to_string(index) + " " + match_kind(route.match.kind) + " " + route.match.path;
}

ListenerMetricIds ListenerMetricIds::build(MetricRegistry& registry,
                                           const config::ConfigSnapshot& snapshot,
                                           const config::ListenerConfig& listener) {
    ListenerMetricIds ids;
    ids.listener = registry.listener_id(listener.name);
    ids.no_route_series = registry.route_series_id({ids.listener, {}, {}, {}});
    size_t routes = 0;
    for (const auto& host_name : listener.virtual_hosts) {
        if (const config::VirtualHostConfig* host = snapshot.find_virtual_host(host_name)) {
            routes += host->routes.size();
        }
    }
    size_t slots = 2;
    while (slots < routes * 2) {
        slots *= 2;
    }
    ids.slots_.resize(slots);
    ids.shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots));
    for (const auto& host_name : listener.virtual_hosts) {
        const config::VirtualHostConfig* host = snapshot.find_virtual_host(host_name);
        if (host == nullptr) {
            continue;
        }
        for (size_t i = 0; i < host->routes.size(); ++i) {
            const config::Route& route = host->routes[i];
            std::string cluster;
            if (const auto* forward = std::get_if<config::ForwardAction>(&route.action)) {
                cluster = forward->cluster;
            }
            uint32_t id = registry.route_series_id(
                {ids.listener, host->name, route_label(i, route), std::move(cluster)});
            ids.insert(&route, id);
        }
    }
    return ids;
}

void ListenerMetricIds::insert(const config::Route* route, uint32_t series) {
    size_t mask = slots_.size() - 1;
    for (size_t i = slot_of(route);; i = (i + 1) & mask) {
        Slot& slot = slots_[i];
        if (slot.route == route) {
            return;  // a virtual host listed twice: its first position counts
        }
        if (slot.route == nullptr) {
            slot = {route, series};
            ++count_;
            return;
        }
    }
}

}  // namespace gantry::observability
