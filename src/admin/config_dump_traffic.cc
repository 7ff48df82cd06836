// The traffic-management keys of the /config dump: a forward's weighted clusters, regex
// rewrite, retry policy and mirror, and a cluster's circuit breakers. Every key is written
// explicitly (defaults included) so the dump loads back to the same snapshot.

#include <array>
#include <string_view>

#include <re2/re2.h>

#include "config_dump_parts.h"

namespace gantry::admin::dump {

namespace {

struct RetryOnWord {
    uint32_t bit;
    std::string_view word;
};

// The loader's words for RetryPolicy::on, in the order the docs list them.
constexpr std::array<RetryOnWord, 5> kRetryOnWords = {
    {{config::kRetryOn5xx, "5xx"},
     {config::kRetryOnGatewayError, "gateway-error"},
     {config::kRetryOnConnectFailure, "connect-failure"},
     {config::kRetryOnReset, "reset"},
     {config::kRetryOnRetriable4xx, "retriable-4xx"}}};

YAML::Node weighted_node(const std::vector<config::WeightedCluster>& weighted) {
    YAML::Node node(YAML::NodeType::Sequence);
    for (const auto& item : weighted) {
        YAML::Node out;
        out["cluster"] = item.cluster;
        out["weight"] = item.weight;
        node.push_back(out);
    }
    return node;
}

YAML::Node retries_node(const config::RetryPolicy& policy) {
    YAML::Node node;
    node["attempts"] = policy.attempts;
    node["on"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& word : kRetryOnWords) {
        if ((policy.on & word.bit) != 0) {
            node["on"].push_back(std::string(word.word));
        }
    }
    if (!policy.retriable_status.empty()) {
        node["retriable_status"] = policy.retriable_status;
    }
    node["backoff"]["base"] = duration_text(policy.backoff_base);
    node["backoff"]["max"] = duration_text(policy.backoff_max);
    if (policy.budget) {
        node["budget"]["percent"] = policy.budget->percent;
        node["budget"]["min_concurrency"] = policy.budget->min_concurrency;
    }
    node["methods"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& method : policy.methods) {
        node["methods"].push_back(method);
    }
    node["body_buffer"] = policy.body_buffer;
    return node;
}

}  // namespace

void add_forward_traffic_keys(const config::ForwardAction& forward, YAML::Node& node) {
    if (!forward.weighted.empty()) {
        node["weighted"] = weighted_node(forward.weighted);
    }
    if (forward.rewrite_regex && forward.rewrite_regex->pattern) {
        node["rewrite_regex"]["pattern"] = forward.rewrite_regex->pattern->pattern();
        node["rewrite_regex"]["substitution"] = forward.rewrite_regex->substitution;
    }
    if (forward.retries) {
        node["retries"] = retries_node(*forward.retries);
    }
    if (forward.mirror) {
        node["mirror"]["cluster"] = forward.mirror->cluster;
        node["mirror"]["percent"] = forward.mirror->percent;
    }
}

void add_cluster_traffic_keys(const config::ClusterConfig& cluster, YAML::Node& node) {
    const config::CircuitBreakerConfig& limits = cluster.circuit_breakers;
    YAML::Node out;
    out["max_connections"] = limits.max_connections;
    out["max_pending"] = limits.max_pending;
    out["max_requests"] = limits.max_requests;
    out["max_retries"] = limits.max_retries;
    node["circuit_breakers"] = out;
}

}  // namespace gantry::admin::dump
