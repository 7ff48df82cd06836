// diff_configs: every entity is flattened to (field, text) pairs, and two versions of it differ
// by the fields whose text differs. Routes are keyed by virtual host and match.

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

#include <re2/re2.h>

#include <gantry/config_diff.h>

namespace gantry::config {

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string duration(Duration d) {
    auto ms = d.count();
    if (ms == 0) {
        return "0";
    }
    if (ms % 3600000 == 0) {
        return std::to_string(ms / 3600000) + "h";
    }
    if (ms % 60000 == 0) {
        return std::to_string(ms / 60000) + "m";
    }
    if (ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return std::to_string(ms) + "ms";
}

std::string list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        out += (i > 0 ? ", " : "") + items[i];
    }
    return out + "]";
}

std::string quoted(const std::string& text) {
    constexpr size_t kMax = 40;
    std::string shown = text.size() > kMax ? text.substr(0, kMax) + "..." : text;
    std::string out = "\"";
    for (char c : shown) {
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out + "\"";
}

std::string protocols(const std::vector<Protocol>& list_of) {
    std::vector<std::string> names;
    for (Protocol p : list_of) {
        names.push_back(p == Protocol::Http1 ? "http1" : "http2");
    }
    return list(names);
}

std::string matchers(const std::vector<ValueMatcher>& values) {
    std::vector<std::string> items;
    for (const auto& value : values) {
        items.push_back(value.name + "=" +
                        (value.regex ? "~" + value.regex->pattern() : value.exact));
    }
    return list(items);
}

std::string match_text(const RouteMatch& match) {
    static constexpr const char* kKinds[] = {"prefix", "path", "regex"};
    std::string out = std::string(kKinds[static_cast<int>(match.kind)]) + " " + match.path;
    if (!match.methods.empty()) {
        out += " methods " + list(match.methods);
    }
    if (!match.headers.empty()) {
        out += " headers " + matchers(match.headers);
    }
    if (!match.query.empty()) {
        out += " query " + matchers(match.query);
    }
    return out;
}

void add_retry_fields(Fields& fields, const RetryPolicy& policy) {
    static constexpr std::pair<uint32_t, const char*> kOn[] = {
        {kRetryOn5xx, "5xx"},
        {kRetryOnGatewayError, "gateway-error"},
        {kRetryOnConnectFailure, "connect-failure"},
        {kRetryOnReset, "reset"},
        {kRetryOnRetriable4xx, "retriable-4xx"}};
    std::vector<std::string> on;
    for (const auto& [bit, word] : kOn) {
        if ((policy.on & bit) != 0) {
            on.emplace_back(word);
        }
    }
    std::vector<std::string> statuses;
    for (int status : policy.retriable_status) {
        statuses.push_back(std::to_string(status));
    }
    fields.emplace_back("forward.retries.attempts", std::to_string(policy.attempts));
    fields.emplace_back("forward.retries.on", list(on));
    fields.emplace_back("forward.retries.retriable_status", list(statuses));
    fields.emplace_back("forward.retries.backoff",
                        duration(policy.backoff_base) + ".." + duration(policy.backoff_max));
    fields.emplace_back("forward.retries.budget",
                        policy.budget ? std::to_string(policy.budget->percent) + "% min " +
                                            std::to_string(policy.budget->min_concurrency)
                                      : "none");
    fields.emplace_back("forward.retries.methods", list(policy.methods));
    fields.emplace_back("forward.retries.body_buffer", std::to_string(policy.body_buffer));
}

// The traffic-management fields of a forward: absent features add no fields, so turning one on
// or off reads "field: none -> value".
void add_forward_traffic_fields(Fields& fields, const ForwardAction& forward) {
    if (!forward.weighted.empty()) {
        std::vector<std::string> items;
        for (const auto& item : forward.weighted) {
            items.push_back(item.cluster + "=" + std::to_string(item.weight));
        }
        fields.emplace_back("forward.weighted", list(items));
    }
    if (forward.rewrite_regex && forward.rewrite_regex->pattern) {
        fields.emplace_back("forward.rewrite_regex.pattern",
                            quoted(forward.rewrite_regex->pattern->pattern()));
        fields.emplace_back("forward.rewrite_regex.substitution",
                            quoted(forward.rewrite_regex->substitution));
    }
    if (forward.retries) {
        add_retry_fields(fields, *forward.retries);
    }
    if (forward.mirror) {
        fields.emplace_back("forward.mirror.cluster", forward.mirror->cluster);
        fields.emplace_back("forward.mirror.percent", std::to_string(forward.mirror->percent));
    }
}

void add_action(Fields& fields, const RouteAction& action) {
    if (const auto* forward = std::get_if<ForwardAction>(&action)) {
        static constexpr const char* kHosts[] = {"keep", "upstream", ""};
        fields.emplace_back("forward.cluster", forward->cluster);
        fields.emplace_back("forward.rewrite_prefix",
                            forward->has_rewrite_prefix ? forward->rewrite_prefix : "none");
        fields.emplace_back(
            "forward.host_rewrite",
            kHosts[static_cast<int>(forward->host_rewrite)] + forward->host_literal);
        fields.emplace_back("forward.timeout", duration(forward->timeout));
        fields.emplace_back("forward.per_try_timeout", duration(forward->per_try_timeout));
        fields.emplace_back("forward.idle_timeout", duration(forward->idle_timeout));
        fields.emplace_back("forward.upgrades", list(forward->upgrades));
        add_forward_traffic_fields(fields, *forward);
    } else if (const auto* respond = std::get_if<RespondAction>(&action)) {
        fields.emplace_back("respond.status", std::to_string(respond->status));
        fields.emplace_back("respond.body", quoted(respond->body));
        fields.emplace_back("respond.content_type", respond->content_type);
    } else if (const auto* redirect = std::get_if<RedirectAction>(&action)) {
        fields.emplace_back("redirect.status", std::to_string(redirect->status));
        fields.emplace_back("redirect.scheme", redirect->scheme);
        fields.emplace_back("redirect.host", redirect->host);
        fields.emplace_back("redirect.port", std::to_string(redirect->port));
        fields.emplace_back("redirect.path", redirect->path);
        fields.emplace_back("redirect.strip_query", redirect->strip_query ? "true" : "false");
    }
}

std::string mutation_text(const HeaderMutation& mutation) {
    std::vector<std::string> parts;
    for (const auto& [name, value] : mutation.set) {
        parts.push_back("set " + name + "=" + quoted(value));
    }
    for (const auto& [name, value] : mutation.add) {
        parts.push_back("add " + name + "=" + quoted(value));
    }
    for (const auto& name : mutation.remove) {
        parts.push_back("remove " + name);
    }
    return list(parts);
}

void add_limits(Fields& fields, const std::string& prefix, const Limits& limits) {
    fields.emplace_back(prefix + "max_request_headers", std::to_string(limits.max_request_headers));
    fields.emplace_back(prefix + "max_headers", std::to_string(limits.max_headers));
    fields.emplace_back(prefix + "max_request_body", std::to_string(limits.max_request_body));
    fields.emplace_back(prefix + "header_timeout", duration(limits.header_timeout));
    fields.emplace_back(prefix + "idle_timeout", duration(limits.idle_timeout));
    fields.emplace_back(prefix + "drain_timeout", duration(limits.drain_timeout));
}

Fields settings_fields(const ConfigSnapshot& config) {
    static constexpr const char* kLevels[] = {"error", "warn", "info", "debug"};
    Fields fields = {
        {"node.name", config.node.name},
        {"node.zone", config.node.zone},
        {"workers", config.workers == 0 ? "auto" : std::to_string(config.workers)},
        {"admin.listen", config.admin.listen ? config.admin.listen->text : "none"},
        {"log.level", kLevels[static_cast<int>(config.log.level)]},
        {"log.error", config.log.error},
        {"log.access.path", config.log.access.path},
        {"log.access.format", config.log.access.format},
    };
    add_limits(fields, "limits.", config.limits);
    return fields;
}

// A listener's TLS and passthrough fields; a listener without `tls` has none of the tls.* ones.
void add_listener_tls_fields(Fields& fields, const ListenerConfig& listener) {
    bool is_passthrough = listener.mode == ListenerMode::TlsPassthrough;
    fields.emplace_back("mode", is_passthrough ? "tls_passthrough" : "http");
    if (is_passthrough) {
        std::vector<std::string> routes;
        for (const auto& route : listener.sni_routes) {
            routes.push_back(list(route.server_names) + "=" + route.cluster);
        }
        fields.emplace_back("sni_routes", list(routes));
        fields.emplace_back("default_cluster",
                            listener.default_cluster.empty() ? "none" : listener.default_cluster);
    }
    if (!listener.tls) {
        return;
    }
    static constexpr const char* kAuth[] = {"none", "optional", "required"};
    const ListenerTlsConfig& tls = *listener.tls;
    std::vector<std::string> certificates;
    for (const auto& certificate : tls.certificates) {
        certificates.push_back(certificate.cert + " key " + certificate.key);
    }
    fields.emplace_back("tls.certificates", list(certificates));
    fields.emplace_back("tls.min_version", tls.min_version == TlsVersion::Tls13 ? "1.3" : "1.2");
    fields.emplace_back("tls.alpn", tls.alpn.empty() ? "from protocols" : list(tls.alpn));
    fields.emplace_back("tls.client_ca", tls.client_ca.empty() ? "none" : tls.client_ca);
    fields.emplace_back("tls.client_auth", kAuth[static_cast<int>(tls.client_auth)]);
    fields.emplace_back("tls.handshake_timeout", duration(tls.handshake_timeout));
}

Fields listener_fields(const ListenerConfig& listener) {
    std::vector<std::string> addresses;
    for (const auto& address : listener.listen) {
        addresses.push_back(address.text);
    }
    Fields fields = {{"listen", list(addresses)},
                     {"protocols", protocols(listener.protocols)},
                     {"virtual_hosts", list(listener.virtual_hosts)}};
    add_limits(fields, "limits.", listener.limits);
    add_listener_tls_fields(fields, listener);
    return fields;
}

std::string hash_on_text(const HashOn& hash_on) {
    switch (hash_on.kind) {
        case HashOn::Kind::Header:
            return "header:" + hash_on.name;
        case HashOn::Kind::Cookie:
            return "cookie:" + hash_on.name;
        case HashOn::Kind::SourceIp:
            return "source_ip";
        case HashOn::Kind::Path:
            return "path";
        case HashOn::Kind::None:
            break;
    }
    return "none";
}

std::string endpoint_text(const EndpointConfig& endpoint) {
    std::string text = endpoint.address.text;
    if (endpoint.weight != 1) {
        text += " weight=" + std::to_string(endpoint.weight);
    }
    if (!endpoint.zone.empty()) {
        text += " zone=" + endpoint.zone;
    }
    if (endpoint.priority != 0) {
        text += " priority=" + std::to_string(endpoint.priority);
    }
    return text;
}

void add_zone_aware(Fields& fields, const ZoneAwareConfig& zone_aware) {
    fields.emplace_back("zone_aware.enabled", zone_aware.enabled ? "true" : "false");
    if (!zone_aware.enabled) {
        return;  // the other two only matter when it is on
    }
    fields.emplace_back("zone_aware.min_cluster_size", std::to_string(zone_aware.min_cluster_size));
    std::vector<std::string> fleet;
    for (const auto& [zone, count] : zone_aware.fleet) {
        fleet.push_back(zone + "=" + std::to_string(count));
    }
    fields.emplace_back("zone_aware.fleet", list(fleet));
}

// "none" when off, so that turning it on or off is one line; else one field per key.
void add_health_check(Fields& fields, const std::optional<HealthCheckConfig>& check) {
    if (!check) {
        fields.emplace_back("health_check", "none");
        return;
    }
    const bool is_http = check->kind == HealthCheckConfig::Kind::Http;
    fields.emplace_back("health_check.type", is_http ? "http" : "tcp");
    if (is_http) {
        fields.emplace_back("health_check.path", check->path);
        fields.emplace_back("health_check.host", check->host.empty() ? "default" : check->host);
        std::vector<std::string> statuses;
        for (const auto& [low, high] : check->expected_status) {
            statuses.push_back(low == high ? std::to_string(low)
                                           : std::to_string(low) + "-" + std::to_string(high));
        }
        fields.emplace_back("health_check.expected_status", list(statuses));
    }
    fields.emplace_back("health_check.interval", duration(check->interval));
    fields.emplace_back("health_check.interval_jitter", duration(check->interval_jitter));
    fields.emplace_back("health_check.timeout", duration(check->timeout));
    fields.emplace_back("health_check.healthy_threshold", std::to_string(check->healthy_threshold));
    fields.emplace_back("health_check.unhealthy_threshold",
                        std::to_string(check->unhealthy_threshold));
}

std::string number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

void add_outlier_detection(Fields& fields, const std::optional<OutlierDetectionConfig>& outlier) {
    if (!outlier) {
        fields.emplace_back("outlier_detection", "none");
        return;
    }
    const std::string p = "outlier_detection.";
    fields.emplace_back(p + "consecutive_5xx", std::to_string(outlier->consecutive_5xx));
    fields.emplace_back(p + "consecutive_gateway_errors",
                        std::to_string(outlier->consecutive_gateway_errors));
    fields.emplace_back(p + "interval", duration(outlier->interval));
    fields.emplace_back(p + "base_ejection_time", duration(outlier->base_ejection_time));
    fields.emplace_back(p + "max_ejection_time", duration(outlier->max_ejection_time));
    fields.emplace_back(p + "max_ejection_percent", std::to_string(outlier->max_ejection_percent));
    fields.emplace_back(p + "success_rate.enabled", outlier->success_rate ? "true" : "false");
    if (outlier->success_rate) {
        fields.emplace_back(p + "success_rate.min_hosts",
                            std::to_string(outlier->success_rate_min_hosts));
        fields.emplace_back(p + "success_rate.request_volume",
                            std::to_string(outlier->success_rate_request_volume));
        fields.emplace_back(p + "success_rate.stdev_factor",
                            number(outlier->success_rate_stdev_factor));
    }
    if (!outlier->failure_percentage) {
        fields.emplace_back(p + "failure_percentage", "none");
        return;
    }
    fields.emplace_back(p + "failure_percentage.threshold",
                        std::to_string(outlier->failure_percentage_threshold));
    fields.emplace_back(p + "failure_percentage.min_hosts",
                        std::to_string(outlier->failure_percentage_min_hosts));
    fields.emplace_back(p + "failure_percentage.request_volume",
                        std::to_string(outlier->failure_percentage_request_volume));
}

void add_cluster_traffic_fields(Fields& fields, const ClusterConfig& cluster) {
    const CircuitBreakerConfig& limits = cluster.circuit_breakers;
    fields.emplace_back("circuit_breakers.max_connections", std::to_string(limits.max_connections));
    fields.emplace_back("circuit_breakers.max_pending", std::to_string(limits.max_pending));
    fields.emplace_back("circuit_breakers.max_requests", std::to_string(limits.max_requests));
    fields.emplace_back("circuit_breakers.max_retries", std::to_string(limits.max_retries));
}

// A cluster without `tls` has no tls.* fields.
void add_cluster_tls_fields(Fields& fields, const ClusterConfig& cluster) {
    if (!cluster.tls) {
        return;
    }
    const ClusterTlsConfig& tls = *cluster.tls;
    fields.emplace_back("tls.sni", tls.sni.empty() ? "endpoint host" : tls.sni);
    fields.emplace_back("tls.ca", tls.ca.empty() ? "system" : tls.ca);
    fields.emplace_back("tls.verify", tls.verify ? "true" : "false");
    fields.emplace_back("tls.cert", tls.cert.empty() ? "none" : tls.cert);
    fields.emplace_back("tls.key", tls.key.empty() ? "none" : tls.key);
}

Fields cluster_fields(const ClusterConfig& cluster) {
    static constexpr const char* kLb[] = {"round_robin", "least_request", "random", "ring_hash",
                                          "maglev"};
    std::vector<std::string> endpoints;
    for (const auto& endpoint : cluster.endpoints) {
        endpoints.push_back(endpoint_text(endpoint));
    }
    Fields fields = {
        {"endpoints", list(endpoints)},
        {"lb", kLb[static_cast<int>(cluster.lb)]},
        {"least_request.choices", std::to_string(cluster.least_request_choices)},
        {"ring_hash.min_ring_size", std::to_string(cluster.ring_hash_min_ring_size)},
        {"hash_on", hash_on_text(cluster.hash_on)},
        {"dns_refresh", duration(cluster.dns_refresh)},
        {"protocol", cluster.protocol == Protocol::Http1 ? "http1" : "http2"},
        {"connect_timeout", duration(cluster.connect_timeout)},
        {"pool.max_idle_per_endpoint", std::to_string(cluster.pool.max_idle_per_endpoint)},
        {"pool.idle_timeout", duration(cluster.pool.idle_timeout)}};
    add_zone_aware(fields, cluster.zone_aware);
    add_health_check(fields, cluster.health_check);
    add_outlier_detection(fields, cluster.outlier_detection);
    add_cluster_traffic_fields(fields, cluster);
    add_cluster_tls_fields(fields, cluster);
    return fields;
}

// "field: old -> new" for each field whose text differs; a field only one side has is "none"
// on the other (a route whose action changes kind).
std::vector<std::string> changed_fields(const Fields& before, const Fields& after) {
    auto value_in = [](const Fields& fields, const std::string& name) -> std::string {
        for (const auto& [field, value] : fields) {
            if (field == name) {
                return value;
            }
        }
        return "none";
    };
    std::vector<std::string> details;
    for (const auto& [field, value] : after) {
        if (std::string old = value_in(before, field); old != value) {
            details.push_back(field + ": " + old + " -> " + value);
        }
    }
    for (const auto& [field, value] : before) {
        if (value_in(after, field) == "none" && value != "none") {
            details.push_back(field + ": " + value + " -> none");
        }
    }
    return details;
}

// The first `count` fields, for an added entity.
std::vector<std::string> summary(const Fields& fields, size_t count = 1) {
    std::vector<std::string> out;
    for (size_t i = 0; i < fields.size() && i < count; ++i) {
        out.push_back(fields[i].first + ": " + fields[i].second);
    }
    return out;
}

// Diffs two lists of named entities, in `next`'s order, then the removed ones.
template <typename T, typename Describe>
void diff_named(const std::vector<T>& running, const std::vector<T>& next, const char* what,
                Describe describe, std::vector<ConfigChange>& out) {
    auto find = [](const std::vector<T>& items, const std::string& name) -> const T* {
        for (const auto& item : items) {
            if (item.name == name) {
                return &item;
            }
        }
        return nullptr;
    };
    for (const auto& item : next) {
        const T* before = find(running, item.name);
        if (before == nullptr) {
            out.push_back({ConfigChange::Kind::Added, what, item.name, summary(describe(item))});
        } else if (auto details = changed_fields(describe(*before), describe(item));
                   !details.empty()) {
            out.push_back({ConfigChange::Kind::Changed, what, item.name, std::move(details)});
        }
    }
    for (const auto& item : running) {
        if (find(next, item.name) == nullptr) {
            out.push_back({ConfigChange::Kind::Removed, what, item.name, {}});
        }
    }
}

struct RouteEntry {
    std::string key;  // match text, with "#2" for a repeated match
    Fields fields;
};

std::vector<RouteEntry> route_entries(const VirtualHostConfig& host) {
    std::vector<RouteEntry> entries;
    std::map<std::string, int> seen;
    for (const auto& route : host.routes) {
        std::string key = match_text(route.match);
        if (int n = ++seen[key]; n > 1) {
            key += " #" + std::to_string(n);
        }
        Fields fields;
        add_action(fields, route.action);
        fields.emplace_back("request_headers", mutation_text(route.request_headers));
        fields.emplace_back("response_headers", mutation_text(route.response_headers));
        entries.push_back({key, std::move(fields)});
    }
    return entries;
}

// Appends the route changes to `out`; returns the order change of the routes both have, if any.
std::optional<std::string> diff_routes(const VirtualHostConfig& running,
                                       const VirtualHostConfig& next,
                                       std::vector<ConfigChange>& out) {
    std::vector<RouteEntry> before = route_entries(running);
    std::vector<RouteEntry> after = route_entries(next);
    auto find = [](const std::vector<RouteEntry>& entries, const std::string& key) {
        return std::find_if(entries.begin(), entries.end(),
                            [&](const RouteEntry& e) { return e.key == key; });
    };
    std::vector<std::string> kept_before, kept_after;
    for (const auto& entry : after) {
        std::string name = next.name + ": " + entry.key;
        auto old = find(before, entry.key);
        if (old == before.end()) {
            out.push_back({ConfigChange::Kind::Added, "route", name, summary(entry.fields)});
            continue;
        }
        kept_after.push_back(entry.key);
        if (auto details = changed_fields(old->fields, entry.fields); !details.empty()) {
            out.push_back({ConfigChange::Kind::Changed, "route", name, std::move(details)});
        }
    }
    for (const auto& entry : before) {
        if (find(after, entry.key) == after.end()) {
            out.push_back({ConfigChange::Kind::Removed, "route", next.name + ": " + entry.key, {}});
        } else {
            kept_before.push_back(entry.key);
        }
    }
    if (kept_before != kept_after) {
        return "route order: " + list(kept_before) + " -> " + list(kept_after);
    }
    return std::nullopt;
}

Fields host_fields(const VirtualHostConfig& host) {
    return {{"domains", list(host.domains)}, {"default", host.is_default ? "true" : "false"}};
}

}  // namespace

std::vector<ConfigChange> diff_configs(const ConfigSnapshot& running, const ConfigSnapshot& next) {
    std::vector<ConfigChange> out;
    for (const auto& detail : changed_fields(settings_fields(running), settings_fields(next))) {
        out.push_back({ConfigChange::Kind::Changed, "setting", detail, {}});
    }
    diff_named(running.listeners, next.listeners, "listener", listener_fields, out);
    for (const auto& host : next.virtual_hosts) {
        const VirtualHostConfig* before = running.find_virtual_host(host.name);
        if (before == nullptr) {
            out.push_back(
                {ConfigChange::Kind::Added, "virtual host", host.name, summary(host_fields(host))});
            continue;
        }
        std::vector<ConfigChange> routes;
        auto details = changed_fields(host_fields(*before), host_fields(host));
        if (auto order = diff_routes(*before, host, routes)) {
            details.push_back(*order);
        }
        if (!details.empty()) {
            out.push_back({ConfigChange::Kind::Changed, "virtual host", host.name, details});
        }
        out.insert(out.end(), routes.begin(), routes.end());
    }
    for (const auto& host : running.virtual_hosts) {
        if (next.find_virtual_host(host.name) == nullptr) {
            out.push_back({ConfigChange::Kind::Removed, "virtual host", host.name, {}});
        }
    }
    diff_named(running.clusters, next.clusters, "cluster", cluster_fields, out);
    return out;
}

std::string format_changes(const std::vector<ConfigChange>& changes) {
    if (changes.empty()) {
        return "no changes\n";
    }
    std::string out;
    for (const auto& change : changes) {
        char sign = change.kind == ConfigChange::Kind::Added     ? '+'
                    : change.kind == ConfigChange::Kind::Removed ? '-'
                                                                 : '~';
        out += std::string(1, sign) + " " + change.what + " " + change.name + "\n";
        for (const auto& detail : change.details) {
            if (!detail.empty()) {
                out += "    " + detail + "\n";
            }
        }
    }
    return out;
}

}  // namespace gantry::config
