#include <gantry/admin/admin_endpoints.h>
#include <gantry/admin/config_dump.h>
#include <gantry/admin/health_metrics.h>
#include <gantry/health/cluster_stats.h>
#include <gantry/observability/metrics_exposition.h>

namespace gantry::admin {

namespace {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

AdminResponse text(int status, std::string body) {
    AdminResponse response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

AdminResponse metrics_page(const AdminState& state) {
    auto generation = state.running_generation();
    AdminResponse response;
    response.content_type = kMetricsContentType;
    if (!generation) {
        return response;
    }
    auto families = observability::collect_metrics(generation->metric_registry(),
                                                   state.worker_metrics(), state.process_metrics());
    for (auto& health : health_metric_families(health::snapshot_clusters(generation->clusters()))) {
        families.push_back(std::move(health));
    }
    response.body = observability::serialize_metrics(families);
    return response;
}

AdminResponse config_page(const AdminState& state) {
    auto generation = state.running_generation();
    if (!generation) {
        return text(503, "no configuration loaded\n");
    }
    AdminResponse response;
    response.content_type = "application/yaml";
    response.body = dump_config(generation->config());
    return response;
}

AdminResponse clusters_page(const AdminState& state) {
    auto generation = state.running_generation();
    if (!generation) {
        return text(503, "no configuration loaded\n");
    }
    return text(200, clusters_text(*generation, state.worker_metrics()));
}

// Envoy's spelling: "healthy", else the failing checks joined by '/'.
std::string health_flags(const upstream::EndpointSnapshot& state) {
    if (state.healthy) {
        return "healthy";
    }
    std::string flags;
    if (state.failed_health_check) {
        flags += "/failed_active_hc";
    }
    if (state.ejected) {
        flags += "/failed_outlier_check";
    }
    return flags;
}

}  // namespace

std::string clusters_text(const config::Generation& generation,
                          const std::vector<const observability::WorkerMetrics*>& workers) {
    using observability::EndpointSlots;
    auto sum = [&](uint32_t id, size_t slot) {
        uint64_t total = 0;
        for (const auto* worker : workers) {
            total += worker->endpoint(id, slot);
        }
        return total;
    };
    // Same order as generation.clusters() and their endpoints.
    std::vector<health::ClusterStats> health = health::snapshot_clusters(generation.clusters());
    std::string out;
    for (size_t c = 0; c < generation.clusters().size(); ++c) {
        const upstream::ResolvedCluster& cluster = generation.clusters()[c];
        const std::string& name = cluster.config->name;
        uint64_t ejections = 0;
        size_t healthy = 0;
        for (size_t e = 0; e < cluster.endpoints.size(); ++e) {
            const upstream::ResolvedEndpoint& endpoint = cluster.endpoints[e];
            const upstream::EndpointSnapshot& state = health[c].endpoints[e].state;
            uint64_t finished = sum(endpoint.metric_id, EndpointSlots::kFinished);
            uint64_t started = sum(endpoint.metric_id, EndpointSlots::kStarted);
            uint64_t failures = sum(endpoint.metric_id, EndpointSlots::kFailures);
            std::string prefix = name + "::" + endpoint.text + "::";
            out += prefix + "weight::" + std::to_string(endpoint.weight) + "\n";
            out += prefix + "zone::" + endpoint.zone + "\n";
            out += prefix + "priority::" + std::to_string(endpoint.priority) + "\n";
            out += prefix + "health_flags::" + health_flags(state) + "\n";
            out += prefix + "active_requests::" +
                   std::to_string(started >= finished ? started - finished : 0) + "\n";
            out += prefix + "requests::" + std::to_string(finished) + "\n";
            out += prefix + "failures::" + std::to_string(failures) + "\n";
            out += prefix + "ejections::" + std::to_string(state.ejections) + "\n";
            out += prefix +
                   "health_check_failures::" + std::to_string(state.health_check_failures) + "\n";
            ejections += state.ejections;
            healthy += state.healthy ? 1 : 0;
        }
        out += name + "::healthy_endpoints::" + std::to_string(healthy) + "\n";
        out += name + "::outlier_ejections_total::" + std::to_string(ejections) + "\n";
    }
    return out;
}

AdminResponse handle_admin_request(const AdminState& state, std::string_view method,
                                   std::string_view path) {
    bool is_known = path == "/metrics" || path == "/ready" || path == "/healthz" ||
                    path == "/config" || path == "/clusters";
    if (!is_known) {
        AdminResponse response = text(404, "not found\n");
        response.error = "no-route";
        return response;
    }
    if (method != "GET") {
        AdminResponse response = text(405, "method not allowed\n");
        response.error = "method-not-allowed";
        response.allow = "GET";
        return response;
    }
    if (path == "/metrics") {
        return metrics_page(state);
    }
    if (path == "/ready") {
        return state.is_ready() ? text(200, "ready\n") : text(503, "not ready\n");
    }
    if (path == "/healthz") {
        return text(200, "ok\n");
    }
    if (path == "/config") {
        return config_page(state);
    }
    return clusters_page(state);
}

}  // namespace gantry::admin
