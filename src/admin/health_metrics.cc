#include <gantry/admin/health_metrics.h>

namespace gantry::admin {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(const char* name, const char* help, MetricType type) {
    MetricFamily out;
    out.name = name;
    out.help = help;
    out.type = type;
    return out;
}

void add(MetricFamily& family, std::vector<ClientMetric::Label> labels, uint64_t value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    if (family.type == MetricType::Counter) {
        metric.counter.value = static_cast<double>(value);
    } else {
        metric.gauge.value = static_cast<double>(value);
    }
    family.metric.push_back(std::move(metric));
}

}  // namespace

std::vector<MetricFamily> health_metric_families(
    const std::vector<health::ClusterStats>& clusters) {
    auto state = family("gantry_upstream_endpoint_health_state",
                        "1 for each state the endpoint is in: healthy, or failing its active "
                        "health check and/or ejected by outlier detection",
                        MetricType::Gauge);
    auto ejections = family("gantry_upstream_endpoint_ejections_total",
                            "Times outlier detection ejected the endpoint", MetricType::Counter);
    auto probes = family("gantry_upstream_endpoint_health_check_failures_total",
                         "Active health check probes the endpoint failed", MetricType::Counter);
    auto cluster_ejections =
        family("gantry_upstream_cluster_ejections_total",
               "Outlier ejections of the cluster's current endpoints", MetricType::Counter);
    auto healthy =
        family("gantry_upstream_cluster_healthy_endpoints",
               "Endpoints neither failing their health check nor ejected", MetricType::Gauge);
    auto total =
        family("gantry_upstream_cluster_endpoints", "Endpoints of the cluster", MetricType::Gauge);
    for (const auto& cluster : clusters) {
        uint64_t cluster_ejected = 0;
        uint64_t healthy_count = 0;
        for (const auto& endpoint : cluster.endpoints) {
            const upstream::EndpointSnapshot& s = endpoint.state;
            const bool in_state[] = {s.healthy, s.failed_health_check, s.ejected};
            for (size_t i = 0; i < std::size(kHealthStates); ++i) {
                add(state,
                    {{"cluster", cluster.name},
                     {"endpoint", s.address},
                     {"state", kHealthStates[i]}},
                    in_state[i] ? 1 : 0);
            }
            add(ejections, {{"cluster", cluster.name}, {"endpoint", s.address}}, s.ejections);
            add(probes, {{"cluster", cluster.name}, {"endpoint", s.address}},
                s.health_check_failures);
            cluster_ejected += s.ejections;
            healthy_count += s.healthy ? 1 : 0;
        }
        add(cluster_ejections, {{"cluster", cluster.name}}, cluster_ejected);
        add(healthy, {{"cluster", cluster.name}}, healthy_count);
        add(total, {{"cluster", cluster.name}}, cluster.endpoints.size());
    }
    return {std::move(state),   std::move(ejections),
            std::move(probes),  std::move(cluster_ejections),
            std::move(healthy), std::move(total)};
}

}  // namespace gantry::admin
