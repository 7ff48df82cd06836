#pragma once

// Generation: one config snapshot plus everything compiled from it once (route tables, resolved
// endpoints, the access-log format, filter factories). Built on the main thread at start-up and
// on each reload, then shared read-only with every worker as shared_ptr<const Generation>.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include <gantry/config.h>
#include <gantry/filter/header_mutation_filter.h>
#include <gantry/http/http1_parser.h>
#include <gantry/observability/access_log.h>
#include <gantry/router/route_table.h>
#include <gantry/tls/client_context.h>
#include <gantry/tls/server_context.h>
#include <gantry/tls/sni_table.h>
#include <gantry/upstream/cluster_shared.h>

namespace gantry::runtime {

struct ResolvedEndpoint {
    boost::asio::ip::tcp::endpoint endpoint;
    std::string text;  // "ip:port" for logs and $upstream_addr
    uint32_t weight = 1;
    std::string host;  // as configured (a name or an IP literal): what upstream TLS verifies
};

struct ResolvedCluster {
    const config::ClusterConfig* config = nullptr;
    std::vector<ResolvedEndpoint> endpoints;
    std::string fingerprint;  // equal fingerprints: a reload keeps the worker's cluster state
    // Process-wide state; the same object across reloads for a cluster of the same name.
    std::shared_ptr<upstream::ClusterShared> shared;
    std::shared_ptr<const tls::ClientContext> tls;  // null for plain TCP
};

struct ListenerRuntime {
    const config::ListenerConfig* config = nullptr;
    router::RouteTable routes;
    http::Http1Limits limits;
    std::vector<boost::asio::ip::tcp::endpoint> addresses;
    std::shared_ptr<const tls::ServerContext> tls;  // null for a plain-TCP listener
    tls::SniTable sni_routes;  // tls_passthrough: server name -> index in config->sni_routes
};

class Generation {
public:
    // Compiles `snapshot`. Returns null and fills `error` when something cannot be compiled
    // (an endpoint name that does not resolve, an invalid access-log format). `previous` (the
    // running generation on a reload, else null) lends its ClusterShared objects to clusters of
    // the same name.
    static std::shared_ptr<const Generation> build(
        std::shared_ptr<const config::ConfigSnapshot> snapshot, uint64_t number,
        const Generation* previous, std::string* error);

    uint64_t number() const { return number_; }

    const config::ConfigSnapshot& config() const { return *config_; }

    const std::vector<ListenerRuntime>& listeners() const { return listeners_; }

    const std::vector<ResolvedCluster>& clusters() const { return clusters_; }

    const ResolvedCluster* find_cluster(std::string_view name) const;
    const ListenerRuntime* find_listener(std::string_view name) const;

    // Null when access logging is off.
    const observability::AccessLogFormat* access_log_format() const { return log_format_.get(); }

    const filter::HeaderMutationFilterFactory& header_mutation() const { return header_mutation_; }

private:
    Generation() = default;
    uint64_t number_ = 0;
    std::shared_ptr<const config::ConfigSnapshot> config_;
    std::vector<ListenerRuntime> listeners_;
    std::vector<ResolvedCluster> clusters_;
    std::unordered_map<std::string_view, size_t> cluster_index_;
    std::unique_ptr<observability::AccessLogFormat> log_format_;
    filter::HeaderMutationFilterFactory header_mutation_;
};

// Resolves "host:port" (IP literal or name, blocking getaddrinfo; main thread only).
bool resolve_host_port(const config::HostPort& address,
                       std::vector<boost::asio::ip::tcp::endpoint>& out, std::string* error);

}  // namespace gantry::runtime
