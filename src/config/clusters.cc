// One item of `clusters:`.

#include <algorithm>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

constexpr uint64_t kMaxWeight = 65535;
constexpr uint64_t kMaxChoices = 100;
constexpr uint64_t kMaxPriority = 127;
constexpr uint64_t kMaxFleet = 1000000;
constexpr uint64_t kMaxRingSize = 8 * 1024 * 1024;  // Envoy's maximum_ring_size default

void parse_endpoint(LoadContext& ctx, const YAML::Node& node, ClusterConfig& cluster) {
    Fields fields(ctx, node, "endpoint", {"address", "weight", "zone", "priority"});
    if (!fields.is_mapping()) {
        return;
    }
    EndpointConfig endpoint;
    const YAML::Node* address_node = fields.require("address");
    auto address = fields.read("address", read_host_port);
    endpoint.weight = static_cast<uint32_t>(
        fields.read("weight", uint_in(1, kMaxWeight)).value_or(endpoint.weight));
    endpoint.zone = fields.read("zone", read_string).value_or("");
    endpoint.priority = static_cast<uint32_t>(
        fields.read("priority", uint_in(0, kMaxPriority)).value_or(endpoint.priority));
    if (!address) {
        return;
    }
    std::string key = address_key(*address);
    bool is_duplicate =
        std::any_of(cluster.endpoints.begin(), cluster.endpoints.end(),
                    [&](const EndpointConfig& other) { return address_key(other.address) == key; });
    if (is_duplicate) {
        ctx.error(*address_node, "address `" + address->text + "` is listed twice in this cluster");
        return;
    }
    endpoint.address = std::move(*address);
    cluster.endpoints.push_back(std::move(endpoint));
}

// "header:NAME", "cookie:NAME", "source_ip" or "path".
std::optional<HashOn> read_hash_on(LoadContext& ctx, const YAML::Node& node) {
    auto text = read_string(ctx, node);
    if (!text) {
        return std::nullopt;
    }
    HashOn out;
    if (*text == "source_ip" || *text == "path") {
        out.kind = *text == "path" ? HashOn::Kind::Path : HashOn::Kind::SourceIp;
        return out;
    }
    const size_t colon = text->find(':');
    const std::string prefix = text->substr(0, colon);
    out.name = colon == std::string::npos ? "" : text->substr(colon + 1);
    if (prefix == "header" && is_http_token(out.name)) {
        out.kind = HashOn::Kind::Header;
        out.name = to_lower(out.name);
        return out;
    }
    if (prefix == "cookie" && is_http_token(out.name)) {
        out.kind = HashOn::Kind::Cookie;
        return out;
    }
    ctx.error(node,
              "expected `header:NAME`, `cookie:NAME`, `source_ip` or `path`, got `" + *text + "`");
    return std::nullopt;
}

void parse_balancing(const Fields& fields, ClusterConfig& cluster) {
    LoadContext& ctx = fields.context();
    auto read_lb = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<LbPolicy>(c, n,
                                     {{"round_robin", LbPolicy::RoundRobin},
                                      {"least_request", LbPolicy::LeastRequest},
                                      {"random", LbPolicy::Random},
                                      {"ring_hash", LbPolicy::RingHash},
                                      {"maglev", LbPolicy::Maglev}});
    };
    auto lb = fields.read("lb", read_lb);
    cluster.lb = lb.value_or(cluster.lb);
    bool is_lb_valid = lb || fields.get("lb") == nullptr;
    if (const YAML::Node* settings = fields.get("least_request")) {
        Fields least_request(ctx, *settings, "least_request", {"choices"});
        auto choices = least_request.read("choices", uint_in(2, kMaxChoices));
        cluster.least_request_choices = static_cast<uint32_t>(choices.value_or(2));
        if (is_lb_valid && cluster.lb != LbPolicy::LeastRequest) {
            ctx.error(*settings, "`least_request` settings need `lb: least_request`");
        }
    }
    if (const YAML::Node* settings = fields.get("ring_hash")) {
        Fields ring_hash(ctx, *settings, "ring_hash", {"min_ring_size"});
        auto size = ring_hash.read("min_ring_size", uint_in(1, kMaxRingSize));
        cluster.ring_hash_min_ring_size =
            static_cast<uint32_t>(size.value_or(cluster.ring_hash_min_ring_size));
        if (is_lb_valid && cluster.lb != LbPolicy::RingHash) {
            ctx.error(*settings, "`ring_hash` settings need `lb: ring_hash`");
        }
    }
    if (const YAML::Node* hash_on = fields.get("hash_on")) {
        cluster.hash_on = read_hash_on(ctx, *hash_on).value_or(cluster.hash_on);
        bool is_hash_lb = cluster.lb == LbPolicy::RingHash || cluster.lb == LbPolicy::Maglev;
        if (is_lb_valid && !is_hash_lb) {
            ctx.error(*hash_on, "`hash_on` needs `lb: ring_hash` or `lb: maglev`");
        }
    }
}

void parse_zone_aware(LoadContext& ctx, const YAML::Node& node, ZoneAwareConfig& out) {
    Fields fields(ctx, node, "zone_aware", {"enabled", "min_cluster_size", "fleet"});
    out.enabled = fields.read("enabled", read_bool).value_or(true);
    out.min_cluster_size = static_cast<uint32_t>(
        fields.read("min_cluster_size", uint_in(0, 1 << 20)).value_or(out.min_cluster_size));
    if (const YAML::Node* fleet = fields.get("fleet")) {
        for_each_entry(ctx, *fleet, [&](const YAML::Node& key, const YAML::Node& value) {
            if (auto count = read_uint(ctx, value, 1, kMaxFleet)) {
                out.fleet[key.Scalar()] = static_cast<uint32_t>(*count);
            }
        });
    }
}

void parse_pool(LoadContext& ctx, const YAML::Node& node, PoolConfig& pool) {
    Fields fields(ctx, node, "pool", {"max_idle_per_endpoint", "idle_timeout"});
    auto max_idle = fields.read("max_idle_per_endpoint", uint_in(0, 1 << 20));
    pool.max_idle_per_endpoint =
        static_cast<uint32_t>(max_idle.value_or(pool.max_idle_per_endpoint));
    pool.idle_timeout =
        fields.read("idle_timeout", read_positive_duration).value_or(pool.idle_timeout);
}

void parse_circuit_breakers(LoadContext& ctx, const YAML::Node& node, CircuitBreakerConfig& out) {
    Fields fields(ctx, node, "circuit_breakers",
                  {"max_connections", "max_pending", "max_requests", "max_retries"});
    auto read_limit = [&](std::string_view key, uint32_t fallback) {
        return static_cast<uint32_t>(fields.read(key, uint_in(0, 1u << 30)).value_or(fallback));
    };
    out.max_connections = read_limit("max_connections", out.max_connections);
    out.max_pending = read_limit("max_pending", out.max_pending);
    out.max_requests = read_limit("max_requests", out.max_requests);
    out.max_retries = read_limit("max_retries", out.max_retries);
}

}  // namespace

void parse_cluster(LoadContext& ctx, const YAML::Node& node, Draft& draft) {
    Fields fields(ctx, node, "cluster",
                  {"name", "endpoints", "lb", "least_request", "ring_hash", "hash_on", "protocol",
                   "connect_timeout", "pool", "zone_aware", "health_check", "outlier_detection",
                   "dns_refresh", "circuit_breakers", "tls"},
                  {});
    if (!fields.is_mapping()) {
        return;
    }
    ClusterConfig cluster;
    Mark name_mark = ctx.mark(node);
    if (const YAML::Node* name = fields.require("name")) {
        name_mark = ctx.mark(*name);
        cluster.name = fields.read("name", read_identifier).value_or("");
    }
    fields.require("endpoints");
    bool is_list = fields.for_each_section(
        "endpoints", [&](const YAML::Node& item) { parse_endpoint(ctx, item, cluster); });
    if (is_list && fields.get("endpoints")->size() == 0) {
        ctx.error(*fields.get("endpoints"), "cluster has no endpoints");
    }
    parse_balancing(fields, cluster);
    auto read_protocol = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<Protocol>(c, n,
                                     {{"http1", Protocol::Http1}, {"http2", Protocol::Http2}});
    };
    cluster.protocol = fields.read("protocol", read_protocol).value_or(cluster.protocol);
    cluster.connect_timeout =
        fields.read("connect_timeout", read_positive_duration).value_or(cluster.connect_timeout);
    cluster.dns_refresh =
        fields.read("dns_refresh", read_positive_duration).value_or(cluster.dns_refresh);
    if (const YAML::Node* pool = fields.get("pool")) {
        parse_pool(ctx, *pool, cluster.pool);
    }
    if (const YAML::Node* zone_aware = fields.get("zone_aware")) {
        parse_zone_aware(ctx, *zone_aware, cluster.zone_aware);
    }
    if (const YAML::Node* health_check = fields.get("health_check")) {
        parse_health_check(ctx, *health_check, cluster.health_check.emplace());
    }
    if (const YAML::Node* outlier = fields.get("outlier_detection")) {
        parse_outlier_detection(ctx, *outlier, cluster.outlier_detection.emplace());
    }
    if (const YAML::Node* breakers = fields.get("circuit_breakers")) {
        parse_circuit_breakers(ctx, *breakers, cluster.circuit_breakers);
    }
    if (const YAML::Node* tls = fields.get("tls")) {
        cluster.tls = parse_cluster_tls(ctx, *tls);
    }
    draft.snapshot.clusters.push_back(std::move(cluster));
    draft.cluster_marks.push_back(std::move(name_mark));
}

}  // namespace gantry::config
