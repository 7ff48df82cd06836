#include <algorithm>
#include <charconv>

#include <re2/re2.h>

#include <gantry/admin/config_dump.h>

#include "config_dump_parts.h"

namespace gantry::admin {

namespace dump {

std::string duration_text(config::Duration duration) {
    auto ms = duration.count();
    if (ms != 0 && ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return ms == 0 ? "0" : std::to_string(ms) + "ms";
}

}  // namespace dump

namespace {

using dump::duration_text;

const char* protocol_text(config::Protocol protocol) {
    return protocol == config::Protocol::Http2 ? "http2" : "http1";
}

const char* log_level_text(config::LogLevel level) {
    switch (level) {
        case config::LogLevel::Error:
            return "error";
        case config::LogLevel::Warn:
            return "warn";
        case config::LogLevel::Info:
            return "info";
        case config::LogLevel::Debug:
            return "debug";
    }
    return "info";
}

const char* lb_text(config::LbPolicy lb) {
    switch (lb) {
        case config::LbPolicy::RoundRobin:
            return "round_robin";
        case config::LbPolicy::LeastRequest:
            return "least_request";
        case config::LbPolicy::Random:
            return "random";
        case config::LbPolicy::RingHash:
            return "ring_hash";
        case config::LbPolicy::Maglev:
            return "maglev";
    }
    return "round_robin";
}

YAML::Node limits_node(const config::Limits& limits) {
    YAML::Node node;
    node["max_request_headers"] = limits.max_request_headers;
    node["max_headers"] = limits.max_headers;
    node["max_request_body"] = limits.max_request_body;
    node["header_timeout"] = duration_text(limits.header_timeout);
    node["idle_timeout"] = duration_text(limits.idle_timeout);
    node["drain_timeout"] = duration_text(limits.drain_timeout);
    return node;
}

YAML::Node matchers_node(const std::vector<config::ValueMatcher>& matchers) {
    YAML::Node node(YAML::NodeType::Map);
    for (const auto& matcher : matchers) {
        node[matcher.name] = matcher.regex ? "~" + matcher.regex->pattern() : matcher.exact;
    }
    return node;
}

YAML::Node match_node(const config::RouteMatch& match) {
    YAML::Node node;
    switch (match.kind) {
        case config::PathMatchKind::Prefix:
            node["prefix"] = match.path;
            break;
        case config::PathMatchKind::Exact:
            node["path"] = match.path;
            break;
        case config::PathMatchKind::Regex:
            node["regex"] = match.path;
            break;
    }
    if (!match.methods.empty()) {
        node["methods"] = match.methods;
    }
    if (!match.headers.empty()) {
        node["headers"] = matchers_node(match.headers);
    }
    if (!match.query.empty()) {
        node["query"] = matchers_node(match.query);
    }
    return node;
}

YAML::Node pairs_node(const std::vector<std::pair<std::string, std::string>>& pairs) {
    YAML::Node node(YAML::NodeType::Map);
    for (const auto& [name, value] : pairs) {
        node[name] = value;
    }
    return node;
}

YAML::Node mutation_node(const config::HeaderMutation& mutation) {
    YAML::Node node;
    node["set"] = pairs_node(mutation.set);
    node["add"] = pairs_node(mutation.add);
    node["remove"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& name : mutation.remove) {
        node["remove"].push_back(name);
    }
    return node;
}

YAML::Node forward_node(const config::ForwardAction& forward) {
    YAML::Node node;
    if (!forward.cluster.empty()) {  // empty when `weighted` names the clusters
        node["cluster"] = forward.cluster;
    }
    dump::add_forward_traffic_keys(forward, node);
    if (forward.has_rewrite_prefix) {
        node["rewrite_prefix"] = forward.rewrite_prefix;
    }
    switch (forward.host_rewrite) {
        case config::HostRewriteKind::Keep:
            node["host_rewrite"] = "keep";
            break;
        case config::HostRewriteKind::Upstream:
            node["host_rewrite"] = "upstream";
            break;
        case config::HostRewriteKind::Literal:
            node["host_rewrite"] = forward.host_literal;
            break;
    }
    node["timeout"] = duration_text(forward.timeout);
    node["per_try_timeout"] = duration_text(forward.per_try_timeout);
    node["idle_timeout"] = duration_text(forward.idle_timeout);
    if (!forward.upgrades.empty()) {
        node["upgrades"] = forward.upgrades;
    }
    return node;
}

YAML::Node route_node(const config::Route& route) {
    YAML::Node node;
    node["match"] = match_node(route.match);
    if (const auto* forward = std::get_if<config::ForwardAction>(&route.action)) {
        node["forward"] = forward_node(*forward);
    } else if (const auto* respond = std::get_if<config::RespondAction>(&route.action)) {
        node["respond"]["status"] = respond->status;
        node["respond"]["body"] = respond->body;
        node["respond"]["content_type"] = respond->content_type;
    } else if (const auto* redirect = std::get_if<config::RedirectAction>(&route.action)) {
        YAML::Node out;
        if (!redirect->scheme.empty()) {
            out["scheme"] = redirect->scheme;
        }
        if (!redirect->host.empty()) {
            out["host"] = redirect->host;
        }
        if (redirect->port != 0) {
            out["port"] = redirect->port;
        }
        if (!redirect->path.empty()) {
            out["path"] = redirect->path;
        }
        out["strip_query"] = redirect->strip_query;
        out["status"] = redirect->status;
        node["redirect"] = out;
    }
    if (!route.request_headers.empty()) {
        node["request_headers"] = mutation_node(route.request_headers);
    }
    if (!route.response_headers.empty()) {
        node["response_headers"] = mutation_node(route.response_headers);
    }
    return node;
}

YAML::Node listener_node(const config::ListenerConfig& listener) {
    YAML::Node node;
    node["name"] = listener.name;
    for (const auto& address : listener.listen) {
        node["listen"].push_back(address.text);
    }
    dump::add_listener_passthrough_keys(listener, node);
    if (listener.mode == config::ListenerMode::Http) {
        for (auto protocol : listener.protocols) {
            node["protocols"].push_back(protocol_text(protocol));
        }
        node["virtual_hosts"] = listener.virtual_hosts;
        dump::add_listener_tls_keys(listener, node);
    }
    node["limits"] = limits_node(listener.limits);
    return node;
}

YAML::Node virtual_host_node(const config::VirtualHostConfig& host) {
    YAML::Node node;
    node["name"] = host.name;
    node["domains"] = host.domains;
    node["default"] = host.is_default;
    node["routes"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& route : host.routes) {
        node["routes"].push_back(route_node(route));
    }
    return node;
}

// The shortest text that reads back as the same double ("1.9", not "1.8999999999999999").
std::string number_text(double value) {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string hash_on_text(const config::HashOn& hash_on) {
    using Kind = config::HashOn::Kind;
    switch (hash_on.kind) {
        case Kind::Header:
            return "header:" + hash_on.name;
        case Kind::Cookie:
            return "cookie:" + hash_on.name;
        case Kind::SourceIp:
            return "source_ip";
        case Kind::Path:
            return "path";
        case Kind::None:
            break;
    }
    return "";
}

YAML::Node health_check_node(const config::HealthCheckConfig& check) {
    YAML::Node node;
    const bool is_http = check.kind == config::HealthCheckConfig::Kind::Http;
    node["type"] = is_http ? "http" : "tcp";
    if (is_http) {
        node["path"] = check.path;
        if (!check.host.empty()) {
            node["host"] = check.host;
        }
        node["expected_status"] = YAML::Node(YAML::NodeType::Sequence);
        for (const auto& [low, high] : check.expected_status) {
            node["expected_status"].push_back(low == high ? std::to_string(low)
                                                          : std::to_string(low) + "-" +
                                                                std::to_string(high));
        }
    }
    node["interval"] = duration_text(check.interval);
    node["interval_jitter"] = duration_text(check.interval_jitter);
    node["timeout"] = duration_text(check.timeout);
    node["healthy_threshold"] = check.healthy_threshold;
    node["unhealthy_threshold"] = check.unhealthy_threshold;
    return node;
}

YAML::Node outlier_detection_node(const config::OutlierDetectionConfig& outlier) {
    YAML::Node node;
    node["consecutive_5xx"] = outlier.consecutive_5xx;
    if (outlier.consecutive_gateway_errors != 0) {  // absent is off
        node["consecutive_gateway_errors"] = outlier.consecutive_gateway_errors;
    }
    node["interval"] = duration_text(outlier.interval);
    node["base_ejection_time"] = duration_text(outlier.base_ejection_time);
    node["max_ejection_time"] = duration_text(outlier.max_ejection_time);
    node["max_ejection_percent"] = outlier.max_ejection_percent;
    node["success_rate"]["enabled"] = outlier.success_rate;
    node["success_rate"]["min_hosts"] = outlier.success_rate_min_hosts;
    node["success_rate"]["request_volume"] = outlier.success_rate_request_volume;
    node["success_rate"]["stdev_factor"] = number_text(outlier.success_rate_stdev_factor);
    if (outlier.failure_percentage) {  // the section's presence turns it on
        node["failure_percentage"]["threshold"] = outlier.failure_percentage_threshold;
        node["failure_percentage"]["min_hosts"] = outlier.failure_percentage_min_hosts;
        node["failure_percentage"]["request_volume"] = outlier.failure_percentage_request_volume;
    }
    return node;
}

void add_balancer(YAML::Node& node, const config::ClusterConfig& cluster) {
    node["lb"] = lb_text(cluster.lb);
    if (cluster.lb == config::LbPolicy::LeastRequest) {
        node["least_request"]["choices"] = cluster.least_request_choices;
    }
    if (cluster.lb == config::LbPolicy::RingHash) {
        node["ring_hash"]["min_ring_size"] = cluster.ring_hash_min_ring_size;
    }
    if (cluster.hash_on.kind != config::HashOn::Kind::None) {
        node["hash_on"] = hash_on_text(cluster.hash_on);
    }
    if (cluster.zone_aware.enabled) {
        node["zone_aware"]["enabled"] = true;
        node["zone_aware"]["min_cluster_size"] = cluster.zone_aware.min_cluster_size;
        for (const auto& [zone, count] : cluster.zone_aware.fleet) {
            node["zone_aware"]["fleet"][zone] = count;
        }
    }
}

YAML::Node cluster_node(const config::ClusterConfig& cluster) {
    YAML::Node node;
    node["name"] = cluster.name;
    for (const auto& endpoint : cluster.endpoints) {
        YAML::Node out;
        out["address"] = endpoint.address.text;
        out["weight"] = endpoint.weight;
        if (!endpoint.zone.empty()) {
            out["zone"] = endpoint.zone;
        }
        out["priority"] = endpoint.priority;
        node["endpoints"].push_back(out);
    }
    add_balancer(node, cluster);
    node["dns_refresh"] = duration_text(cluster.dns_refresh);
    if (cluster.health_check) {
        node["health_check"] = health_check_node(*cluster.health_check);
    }
    if (cluster.outlier_detection) {
        node["outlier_detection"] = outlier_detection_node(*cluster.outlier_detection);
    }
    node["protocol"] = protocol_text(cluster.protocol);
    node["connect_timeout"] = duration_text(cluster.connect_timeout);
    node["pool"]["max_idle_per_endpoint"] = cluster.pool.max_idle_per_endpoint;
    node["pool"]["idle_timeout"] = duration_text(cluster.pool.idle_timeout);
    dump::add_cluster_traffic_keys(cluster, node);
    dump::add_cluster_tls_keys(cluster, node);
    return node;
}

YAML::Node config_node(const config::ConfigSnapshot& config) {
    YAML::Node root;
    if (!config.node.name.empty() || !config.node.zone.empty()) {
        root["node"]["name"] = config.node.name;
        root["node"]["zone"] = config.node.zone;
    }
    if (config.workers == 0) {
        root["workers"] = "auto";
    } else {
        root["workers"] = config.workers;
    }
    if (config.admin.listen) {
        root["admin"]["listen"] = config.admin.listen->text;
    }
    root["log"]["level"] = log_level_text(config.log.level);
    root["log"]["access"]["path"] = config.log.access.path;
    root["log"]["access"]["format"] = config.log.access.format;
    root["limits"] = limits_node(config.limits);
    root["listeners"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& listener : config.listeners) {
        root["listeners"].push_back(listener_node(listener));
    }
    root["virtual_hosts"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& host : config.virtual_hosts) {
        root["virtual_hosts"].push_back(virtual_host_node(host));
    }
    root["clusters"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& cluster : config.clusters) {
        root["clusters"].push_back(cluster_node(cluster));
    }
    return root;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// A key whose file-path value may stay (TLS `key: /etc/...`).
bool is_key_file_key(std::string_view key) {
    return key == "key" || key.ends_with("_key") || key.ends_with("-key");
}

bool looks_like_path(const std::string& value) {
    bool is_path = value.starts_with('/') || value.starts_with("./") || value.starts_with("../");
    return is_path && value.find_first_of(" \t\r\n") == std::string::npos;
}

bool is_private_key_text(const std::string& value) {
    return contains(value, "-----BEGIN") && contains(value, "PRIVATE KEY");
}

}  // namespace

bool is_secret_key(std::string_view key) {
    std::string name = lower(key);
    static constexpr std::string_view kParts[] = {"password",   "passwd",  "secret", "token",
                                                  "credential", "private", "cookie", "apikey",
                                                  "api_key",    "api-key"};
    for (std::string_view part : kParts) {
        if (contains(name, part)) {
            return true;
        }
    }
    return name == "authorization" || name == "proxy-authorization" || is_key_file_key(name);
}

void redact_secrets(YAML::Node& node) {
    if (node.IsScalar()) {
        if (is_private_key_text(node.Scalar())) {
            node = kRedacted;
        }
        return;
    }
    if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i) {
            YAML::Node item = node[i];
            redact_secrets(item);
        }
        return;
    }
    if (!node.IsMap()) {
        return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
        YAML::Node value = it->second;
        if (is_secret_key(key) && !value.IsMap() && !value.IsSequence()) {
            bool keep =
                value.IsScalar() && is_key_file_key(lower(key)) && looks_like_path(value.Scalar());
            if (!keep && !value.IsNull()) {
                value = kRedacted;
            }
            continue;
        }
        redact_secrets(value);
    }
}

std::string dump_config(const config::ConfigSnapshot& config) {
    YAML::Node root = config_node(config);
    redact_secrets(root);
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
}

}  // namespace gantry::admin
