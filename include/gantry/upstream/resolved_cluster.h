#pragma once

// ResolvedCluster: a configured cluster with its endpoints resolved to addresses, as one config
// generation compiled it (config::Generation::build, main thread). Read-only afterwards and
// shared by every worker's upstream::Cluster and by the health service; the process-wide state
// that outlives a generation (ClusterShared, EndpointState) is held by shared_ptr.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include <gantry/config.h>
#include <gantry/tls/client_context.h>
#include <gantry/upstream/cluster_shared.h>

namespace gantry::upstream {

struct ResolvedEndpoint {
    boost::asio::ip::tcp::endpoint endpoint;
    std::string text;  // "ip:port" for logs and $upstream_addr
    uint32_t weight = 1;
    uint32_t metric_id = 0;  // endpoint id in the MetricRegistry
    std::string zone;
    uint32_t priority = 0;
    std::string
        host;  // as configured (name or IP): the health check's Host, what upstream TLS verifies
    // Process-wide health and counters; the same object across reloads for the same address.
    std::shared_ptr<EndpointState> state;
};

struct ResolvedCluster {
    const config::ClusterConfig* config = nullptr;
    std::vector<ResolvedEndpoint> endpoints;
    std::string fingerprint;  // equal fingerprints: a reload keeps the worker's cluster state
    // Process-wide state; the same object across reloads for a cluster of the same name.
    std::shared_ptr<ClusterShared> shared;
    uint32_t metric_id = 0;                         // cluster id in the MetricRegistry
    std::shared_ptr<const tls::ClientContext> tls;  // null for plain TCP
    // The zone this gantry runs in (node.zone), which zone-aware routing prefers.
    std::string local_zone;
};

}  // namespace gantry::upstream
