// One item of `clusters:`.

#include <algorithm>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

constexpr uint64_t kMaxWeight = 65535;
constexpr uint64_t kMaxChoices = 100;

void parse_endpoint(LoadContext& ctx, const YAML::Node& node, ClusterConfig& cluster) {
    Fields fields(ctx, node, "endpoint", {"address", "weight", "zone"});
    if (!fields.is_mapping()) {
        return;
    }
    EndpointConfig endpoint;
    const YAML::Node* address_node = fields.require("address");
    auto address = fields.read("address", read_host_port);
    endpoint.weight = static_cast<uint32_t>(
        fields.read("weight", uint_in(1, kMaxWeight)).value_or(endpoint.weight));
    endpoint.zone = fields.read("zone", read_string).value_or("");
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

void parse_balancing(const Fields& fields, ClusterConfig& cluster) {
    LoadContext& ctx = fields.context();
    auto read_lb = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<LbPolicy>(c, n,
                                     {{"round_robin", LbPolicy::RoundRobin},
                                      {"least_request", LbPolicy::LeastRequest},
                                      {"random", LbPolicy::Random}},
                                     {"ring_hash", "maglev"});
    };
    auto lb = fields.read("lb", read_lb);
    cluster.lb = lb.value_or(cluster.lb);
    bool is_lb_valid = lb || fields.get("lb") == nullptr;
    const YAML::Node* settings = fields.get("least_request");
    if (settings == nullptr) {
        return;
    }
    Fields least_request(ctx, *settings, "least_request", {"choices"});
    auto choices = least_request.read("choices", uint_in(2, kMaxChoices));
    cluster.least_request_choices = static_cast<uint32_t>(choices.value_or(2));
    if (is_lb_valid && cluster.lb != LbPolicy::LeastRequest) {
        ctx.error(*settings, "`least_request` settings need `lb: least_request`");
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

}  // namespace

void parse_cluster(LoadContext& ctx, const YAML::Node& node, Draft& draft) {
    Fields fields(
        ctx, node, "cluster",
        {"name", "endpoints", "lb", "least_request", "protocol", "connect_timeout", "pool", "tls"},
        {"circuit_breakers", "outlier_detection", "health_check", "dns_refresh", "hash_on",
         "zone_aware"});
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
        return read_choice<Protocol>(c, n, {{"http1", Protocol::Http1}}, {"http2"});
    };
    cluster.protocol = fields.read("protocol", read_protocol).value_or(cluster.protocol);
    cluster.connect_timeout =
        fields.read("connect_timeout", read_positive_duration).value_or(cluster.connect_timeout);
    if (const YAML::Node* pool = fields.get("pool")) {
        parse_pool(ctx, *pool, cluster.pool);
    }
    if (const YAML::Node* tls = fields.get("tls")) {
        cluster.tls = parse_cluster_tls(ctx, *tls);
    }
    draft.snapshot.clusters.push_back(std::move(cluster));
    draft.cluster_marks.push_back(std::move(name_mark));
}

}  // namespace gantry::config
