#pragma once

// Cluster: one worker's runtime state for one configured cluster: its load balancer, per-endpoint
// active-request counts and connection pools. Owned by the Worker, touched only by its thread.
// A reload that leaves the cluster's fingerprint unchanged keeps this object (and so its pools
// and LB position); otherwise a new one is made and the old one closes its idle connections.

#include <cstdint>
#include <memory>
#include <vector>

#include <gantry/runtime/generation.h>
#include <gantry/upstream/connection_pool.h>
#include <gantry/upstream/load_balancer.h>

namespace gantry::upstream {

class Cluster {
public:
    Cluster(std::shared_ptr<const runtime::Generation> generation,
            const runtime::ResolvedCluster& resolved, uint64_t seed);

    const config::ClusterConfig& config() const { return *resolved_->config; }

    const std::string& fingerprint() const { return resolved_->fingerprint; }

    size_t endpoint_count() const { return resolved_->endpoints.size(); }

    const runtime::ResolvedEndpoint& endpoint(size_t index) const {
        return resolved_->endpoints[index];
    }

    // Moves to an equal cluster of a newer generation (same fingerprint).
    void adopt(std::shared_ptr<const runtime::Generation> generation,
               const runtime::ResolvedCluster& resolved);

    // Index of the endpoint for the next request, or -1 when none can be used.
    int pick();

    ConnectionPool& pool(size_t index) { return pools_[index]; }

    // The cluster's upstream TLS context; null for plain TCP.
    const tls::ClientContext* tls() const { return resolved_->tls.get(); }

    void on_request_start(size_t index) { ++active_requests_[index]; }

    void on_request_end(size_t index) { --active_requests_[index]; }

    void sweep(std::chrono::steady_clock::time_point now);
    void close_idle();

private:
    std::shared_ptr<const runtime::Generation> generation_;  // keeps resolved_ alive
    const runtime::ResolvedCluster* resolved_;
    std::unique_ptr<LoadBalancer> lb_;
    std::vector<uint32_t> active_requests_;
    std::vector<ConnectionPool> pools_;
};

}  // namespace gantry::upstream
