#pragma once

// Generation: one config snapshot plus everything compiled from it once (route tables, resolved
// endpoints, the access-log format, filter factories). Built on the main thread at start-up and
// on each reload, then shared read-only with every worker as shared_ptr<const Generation>.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include <gantry/config.h>
#include <gantry/filter/header_mutation_filter.h>
#include <gantry/http/http1_parser.h>
#include <gantry/observability/access_log.h>
#include <gantry/observability/metrics_registry.h>
#include <gantry/router/route_table.h>
#include <gantry/tls/client_context.h>
#include <gantry/tls/server_context.h>
#include <gantry/tls/sni_table.h>
#include <gantry/upstream/resolved_cluster.h>

namespace gantry::config {

struct ListenerRuntime {
    const config::ListenerConfig* config = nullptr;
    router::RouteTable routes;
    http::Http1Limits limits;
    std::vector<boost::asio::ip::tcp::endpoint> addresses;
    observability::ListenerMetricIds metrics;
    std::shared_ptr<const tls::ServerContext> tls;  // null for a plain-TCP listener
    tls::SniTable sni_routes;  // tls_passthrough: server name -> index in config->sni_routes
};

class Generation {
public:
    // What each endpoint host name resolved to when the generation was built.
    using NameResolutions = std::map<std::string, std::vector<boost::asio::ip::address>>;

    // Compiles `snapshot`. Returns null and fills `error` when something cannot be compiled
    // (an endpoint name that does not resolve, an invalid access-log format). `previous` (the
    // running generation on a reload, else null) lends its ClusterShared objects to clusters of
    // the same name.
    //
    // Endpoint names are resolved through default_resolver() (blocking: main thread only),
    // except those found in `names` (the DNS refresher's answers). A name stands for all of its
    // addresses, each an endpoint with the configured weight, zone and priority.
    static std::shared_ptr<const Generation> build(
        std::shared_ptr<const config::ConfigSnapshot> snapshot, uint64_t number,
        const Generation* previous, std::string* error, const NameResolutions* names = nullptr);

    uint64_t number() const { return number_; }

    const config::ConfigSnapshot& config() const { return *config_; }

    const std::shared_ptr<const config::ConfigSnapshot>& snapshot() const { return config_; }

    const NameResolutions& resolved_names() const { return resolved_names_; }

    const std::vector<ListenerRuntime>& listeners() const { return listeners_; }

    const std::vector<upstream::ResolvedCluster>& clusters() const { return clusters_; }

    const upstream::ResolvedCluster* find_cluster(std::string_view name) const;
    const ListenerRuntime* find_listener(std::string_view name) const;

    // Null when access logging is off.
    const observability::AccessLogFormat* access_log_format() const { return log_format_.get(); }

    const filter::HeaderMutationFilterFactory& header_mutation() const { return header_mutation_; }

    // The process's metric label registry (main thread only, see metrics_registry.h) and how
    // many ids of each kind it held when this generation was built (any thread).
    observability::MetricRegistry& metric_registry() const { return *metric_registry_; }

    const observability::MetricSizes& metric_sizes() const { return metric_sizes_; }

private:
    Generation() = default;
    bool resolve_endpoint(const config::HostPort& address, const NameResolutions* names,
                          std::vector<boost::asio::ip::tcp::endpoint>& out, std::string* error);
    uint64_t number_ = 0;
    std::shared_ptr<const config::ConfigSnapshot> config_;
    std::vector<ListenerRuntime> listeners_;
    std::vector<upstream::ResolvedCluster> clusters_;
    NameResolutions resolved_names_;
    std::unordered_map<std::string_view, size_t> cluster_index_;
    std::unique_ptr<observability::AccessLogFormat> log_format_;
    filter::HeaderMutationFilterFactory header_mutation_;
    std::shared_ptr<observability::MetricRegistry> metric_registry_;
    observability::MetricSizes metric_sizes_;
};

// An owning handle to a part of `generation` (a cluster, a listener): it keeps the whole
// generation alive, so code below this layer can hold what it needs without knowing Generation.
template <class Part>
std::shared_ptr<const Part> share_part(const std::shared_ptr<const Generation>& generation,
                                       const Part& part) {
    return std::shared_ptr<const Part>(generation, &part);
}

// Resolves "host:port" (IP literal or name, blocking getaddrinfo; main thread only).
bool resolve_host_port(const config::HostPort& address,
                       std::vector<boost::asio::ip::tcp::endpoint>& out, std::string* error);

}  // namespace gantry::config
