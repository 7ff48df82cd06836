#include <algorithm>
#include <cstring>
#include <netdb.h>
#include <sstream>

#include <gantry/config/generation.h>
#include <gantry/runtime/resolver.h>

namespace gantry::config {

namespace {

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
    std::ostringstream out;
    if (endpoint.address().is_v6()) {
        out << '[' << endpoint.address().to_string() << "]:" << endpoint.port();
    } else {
        out << endpoint.address().to_string() << ':' << endpoint.port();
    }
    return out.str();
}

// Everything about a cluster that its per-worker state depends on.
std::string cluster_fingerprint(const config::ClusterConfig& cluster,
                                const std::vector<upstream::ResolvedEndpoint>& endpoints) {
    std::ostringstream out;
    out << cluster.name << '|' << static_cast<int>(cluster.lb) << '|'
        << cluster.least_request_choices << '|' << static_cast<int>(cluster.protocol) << '|'
        << cluster.connect_timeout.count() << '|' << cluster.pool.max_idle_per_endpoint << '|'
        << cluster.pool.idle_timeout.count() << '|' << cluster.ring_hash_min_ring_size << '|'
        << static_cast<int>(cluster.hash_on.kind) << cluster.hash_on.name;
    // Pooled connections speak what the cluster's TLS settings made them speak.
    if (cluster.tls) {
        out << "|tls:" << cluster.tls->sni << '|' << cluster.tls->ca << '|' << cluster.tls->verify
            << '|' << cluster.tls->cert << '|' << cluster.tls->key;
    }
    for (const auto& endpoint : endpoints) {
        out << '|' << endpoint.text << '*' << endpoint.weight << '@' << endpoint.zone << '^'
            << endpoint.priority;
    }
    return out.str();
}

http::Http1Limits parser_limits(const config::Limits& limits) {
    http::Http1Limits out;
    out.max_header_bytes = limits.max_request_headers;
    out.max_headers = limits.max_headers;
    out.max_body = limits.max_request_body;
    return out;
}

}  // namespace

bool resolve_host_port(const config::HostPort& address,
                       std::vector<boost::asio::ip::tcp::endpoint>& out, std::string* error) {
    boost::system::error_code ec;
    auto ip = boost::asio::ip::make_address(address.host, ec);
    if (!ec) {
        out.emplace_back(ip, address.port);
        return true;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    int rc = ::getaddrinfo(address.host.c_str(), nullptr, &hints, &result);
    if (rc != 0) {
        *error = "cannot resolve `" + address.host + "`: " + ::gai_strerror(rc);
        return false;
    }
    for (addrinfo* entry = result; entry != nullptr; entry = entry->ai_next) {
        boost::asio::ip::tcp::endpoint endpoint;
        std::memcpy(endpoint.data(), entry->ai_addr, entry->ai_addrlen);
        endpoint.port(address.port);
        out.push_back(endpoint);
        break;  // one address per endpoint until DNS endpoints land (health issue)
    }
    ::freeaddrinfo(result);
    return true;
}

bool Generation::resolve_endpoint(const config::HostPort& address, const NameResolutions* names,
                                  std::vector<boost::asio::ip::tcp::endpoint>& out,
                                  std::string* error) {
    boost::system::error_code ec;
    auto ip = boost::asio::ip::make_address(address.host, ec);
    if (!ec) {
        out.emplace_back(ip, address.port);
        return true;
    }
    std::vector<boost::asio::ip::address>& known = resolved_names_[address.host];
    if (known.empty()) {
        auto given = names ? names->find(address.host) : NameResolutions::const_iterator();
        if (names && given != names->end() && !given->second.empty()) {
            known = given->second;
        } else if (!runtime::default_resolver().resolve(address.host, known, error)) {
            return false;
        }
    }
    for (const auto& each : known) {
        out.emplace_back(each, address.port);
    }
    return true;
}

std::shared_ptr<const Generation> Generation::build(
    std::shared_ptr<const config::ConfigSnapshot> snapshot, uint64_t number,
    const Generation* previous, std::string* error, const NameResolutions* names) {
    std::shared_ptr<Generation> generation(new Generation());
    generation->number_ = number;
    generation->config_ = snapshot;
    const config::ConfigSnapshot& cfg = *snapshot;
    generation->metric_registry_ =
        previous ? previous->metric_registry_ : std::make_shared<observability::MetricRegistry>();
    observability::MetricRegistry& registry = *generation->metric_registry_;
    for (const auto& cluster : cfg.clusters) {
        upstream::ResolvedCluster resolved;
        resolved.config = &cluster;
        resolved.metric_id = registry.cluster_id(cluster.name);
        resolved.local_zone = snapshot->node.zone;
        for (const auto& endpoint : cluster.endpoints) {
            std::vector<boost::asio::ip::tcp::endpoint> addresses;
            if (!generation->resolve_endpoint(endpoint.address, names, addresses, error)) {
                *error = "cluster `" + cluster.name + "`: " + *error;
                return nullptr;
            }
            for (const auto& address : addresses) {
                std::string text = endpoint_text(address);
                bool is_known = std::any_of(
                    resolved.endpoints.begin(), resolved.endpoints.end(),
                    [&](const upstream::ResolvedEndpoint& other) { return other.text == text; });
                if (is_known) {
                    continue;  // a name that also resolves to an address listed before
                }
                uint32_t metric_id = registry.endpoint_id(resolved.metric_id, text);
                resolved.endpoints.push_back({address, std::move(text), endpoint.weight, metric_id,
                                              endpoint.zone, endpoint.priority,
                                              endpoint.address.host, nullptr});
            }
        }
        if (cluster.tls) {
            resolved.tls = tls::ClientContext::build(*cluster.tls, error);
            if (!resolved.tls) {
                *error = "cluster `" + cluster.name + "`: " + *error;
                return nullptr;
            }
        }
        resolved.fingerprint = cluster_fingerprint(cluster, resolved.endpoints);
        const upstream::ResolvedCluster* before =
            previous ? previous->find_cluster(cluster.name) : nullptr;
        resolved.shared = before ? before->shared : std::make_shared<upstream::ClusterShared>();
        for (auto& endpoint : resolved.endpoints) {
            endpoint.state = resolved.shared->health.find_or_create(endpoint.text);
        }
        generation->clusters_.push_back(std::move(resolved));
    }
    for (size_t i = 0; i < generation->clusters_.size(); ++i) {
        generation->cluster_index_.emplace(generation->clusters_[i].config->name, i);
    }
    for (const auto& listener : cfg.listeners) {
        ListenerRuntime runtime{&listener,
                                router::RouteTable(cfg, listener),
                                parser_limits(listener.limits),
                                {},
                                observability::ListenerMetricIds::build(registry, cfg, listener),
                                {},
                                {}};
        for (size_t i = 0; i < listener.sni_routes.size(); ++i) {
            for (const auto& name : listener.sni_routes[i].server_names) {
                runtime.sni_routes.add(name, i);
            }
        }
        for (const auto& address : listener.listen) {
            if (!resolve_host_port(address, runtime.addresses, error)) {
                *error = "listener `" + listener.name + "`: " + *error;
                return nullptr;
            }
        }
        if (listener.tls) {
            // ALPN offers only what the listener serves.
            auto serves = [&](config::Protocol protocol) {
                return std::find(listener.protocols.begin(), listener.protocols.end(), protocol) !=
                       listener.protocols.end();
            };
            runtime.tls = tls::ServerContext::build(listener.name, *listener.tls,
                                                    serves(config::Protocol::Http2),
                                                    serves(config::Protocol::Http1), error);
            if (!runtime.tls) {
                *error = "listener `" + listener.name + "`: " + *error;
                return nullptr;
            }
        }
        generation->listeners_.push_back(std::move(runtime));
    }
    if (!cfg.log.access.is_off()) {
        generation->log_format_ =
            observability::AccessLogFormat::compile(cfg.log.access.format, error);
        if (!generation->log_format_) {
            *error = "log.access.format: " + *error;
            return nullptr;
        }
    }
    generation->metric_sizes_ = registry.sizes();
    return generation;
}

const upstream::ResolvedCluster* Generation::find_cluster(std::string_view name) const {
    auto it = cluster_index_.find(name);
    return it == cluster_index_.end() ? nullptr : &clusters_[it->second];
}

const ListenerRuntime* Generation::find_listener(std::string_view name) const {
    for (const auto& listener : listeners_) {
        if (listener.config->name == name) {
            return &listener;
        }
    }
    return nullptr;
}

}  // namespace gantry::config
