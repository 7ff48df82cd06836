#pragma once

// Upstream health for the admin pages: the /metrics families (per endpoint: health state,
// ejections, failed probes; per cluster: ejections and healthy endpoints) built from
// health::snapshot_clusters(), which the scrape takes of the running generation. Main thread
// (the admin server), at scrape time.

#include <vector>

#include <prometheus/metric_family.h>

#include <gantry/health/cluster_stats.h>

namespace gantry::admin {

// The states an endpoint's gantry_upstream_endpoint_health_state series are labelled with.
// Exactly one of "healthy" and the other two is 1; both others may be 1 at once.
inline constexpr const char* kHealthStates[] = {"healthy", "failed_health_check", "ejected"};

std::vector<prometheus::MetricFamily> health_metric_families(
    const std::vector<health::ClusterStats>& clusters);

}  // namespace gantry::admin
