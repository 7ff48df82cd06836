#pragma once

// Cluster: one worker's runtime state for one configured cluster: its load balancer, per-endpoint
// active-request counts, connection pools and its view of which endpoints are usable. Owned by
// the Worker, touched only by its thread. A reload that leaves the cluster's fingerprint
// unchanged keeps this object (and so its pools and LB position); otherwise a new one is made
// and the old one closes its idle connections.
//
// Health is decided by the main thread and published through the endpoints' EndpointState
// flags and the cluster's HealthRegistry version; pick() reads the version (one atomic load) and
// rebuilds its HostView only when it moved.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <gantry/http/message.h>
#include <gantry/runtime/random.h>
#include <gantry/upstream/connection_pool.h>
#include <gantry/upstream/host_view.h>
#include <gantry/upstream/load_balancer.h>
#include <gantry/upstream/resolved_cluster.h>

namespace gantry::upstream {

// What pick() may use of the request: the key for hash balancers and endpoints to avoid.
struct PickInput {
    const http::RequestHead* request = nullptr;  // for `hash_on` header, cookie and path
    std::string_view client_ip;                  // for `hash_on: source_ip`
    // Endpoints already tried (a retry): avoided while another one is usable.
    std::span<const uint32_t> avoid;
};

class Cluster {
public:
    // `resolved` is usually an aliasing handle that keeps its whole config generation alive.
    Cluster(std::shared_ptr<const ResolvedCluster> resolved, uint64_t seed);

    const config::ClusterConfig& config() const { return *resolved_->config; }

    const std::string& fingerprint() const { return resolved_->fingerprint; }

    // Index of this cluster's counters in the worker's observability::WorkerMetrics.
    uint32_t metric_id() const { return resolved_->metric_id; }

    // The cluster's process-wide state (circuit breakers, ...), shared by every worker.
    ClusterShared& shared() const { return *resolved_->shared; }

    // The same, for work that may outlive this generation (mirrored requests).
    std::shared_ptr<ClusterShared> shared_handle() const { return resolved_->shared; }

    size_t endpoint_count() const { return resolved_->endpoints.size(); }

    const ResolvedEndpoint& endpoint(size_t index) const { return resolved_->endpoints[index]; }

    // Moves to an equal cluster of a newer generation (same fingerprint).
    void adopt(std::shared_ptr<const ResolvedCluster> resolved);

    // Index of the endpoint for the next request, or -1 when none can be used.
    int pick(const PickInput& input = {});

    ConnectionPool& pool(size_t index) { return pools_[index]; }

    // The cluster's upstream TLS context; null for plain TCP.
    const tls::ClientContext* tls() const { return resolved_->tls.get(); }

    void on_request_start(size_t index) { ++active_requests_[index]; }

    void on_request_end(size_t index) { --active_requests_[index]; }

    // Outcome reports for outlier detection and the per-endpoint counters: a response with
    // `status` came back, or the endpoint failed locally (connect failure, reset, timeout).
    void on_response(size_t index, int status);
    void on_local_failure(size_t index);

    void sweep(std::chrono::steady_clock::time_point now);
    void close_idle();

    // Takes the idle connections of `older` (the cluster of the same name this one replaces)
    // for every endpoint address both have.
    void take_idle_connections(Cluster& older);

private:
    void refresh_view(uint64_t version);
    uint32_t draw(const std::optional<uint64_t>& hash);
    int pick_avoiding(LbContext& ctx, std::span<const uint32_t> avoid);

    std::shared_ptr<const ResolvedCluster> resolved_;
    std::unique_ptr<LoadBalancer> lb_;
    std::vector<uint32_t> active_requests_;
    std::vector<ConnectionPool> pools_;
    HostView view_;
    uint64_t view_version_ = 0;          // HealthRegistry::version the view was built from
    runtime::Random rng_;                // draws between priority levels and zones
    std::vector<uint8_t> scratch_mask_;  // a subset's mask minus avoided endpoints
};

}  // namespace gantry::upstream
