#include <gantry/health/cluster_stats.h>

namespace gantry::health {

std::vector<ClusterStats> snapshot_clusters(std::span<const upstream::ResolvedCluster> clusters) {
    std::vector<ClusterStats> out;
    for (const auto& cluster : clusters) {
        ClusterStats stats{cluster.config->name, {}};
        for (const auto& endpoint : cluster.endpoints) {
            upstream::EndpointSnapshot state;
            if (endpoint.state) {
                state = upstream::snapshot(*endpoint.state);
            } else {
                state.address = endpoint.text;
            }
            stats.endpoints.push_back(
                {std::move(state), endpoint.weight, endpoint.zone, endpoint.priority});
        }
        out.push_back(std::move(stats));
    }
    return out;
}

}  // namespace gantry::health
