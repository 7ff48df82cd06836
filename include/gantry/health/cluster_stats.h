#pragma once

// The read side of upstream health for the admin endpoints (/clusters, /metrics): one call that
// snapshots every endpoint of every cluster of a generation, with its counters (requests,
// failures, ejections, failed health checks), its state and its configured weight, zone and
// priority. Reads relaxed atomics only, so it may run on any thread while workers serve
// traffic; the figures of one endpoint are each exact but not taken at one instant.

#include <span>
#include <string>
#include <vector>

#include <gantry/upstream/endpoint_health.h>
#include <gantry/upstream/resolved_cluster.h>

namespace gantry::health {

struct EndpointStats {
    upstream::EndpointSnapshot state;  // address, counters, flags
    uint32_t weight = 1;
    std::string zone;
    uint32_t priority = 0;
};

struct ClusterStats {
    std::string name;
    std::vector<EndpointStats> endpoints;  // in the generation's endpoint order
};

std::vector<ClusterStats> snapshot_clusters(std::span<const upstream::ResolvedCluster> clusters);

}  // namespace gantry::health
