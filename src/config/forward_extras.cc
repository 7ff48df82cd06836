// The traffic-management parts of `forward`: weighted clusters, regex rewrite, retries and
// mirroring. Defaults follow Envoy's route retry_policy and request_mirror_policies.

#include <algorithm>
#include <array>

#include <re2/re2.h>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

constexpr uint64_t kMaxWeight = 1000000;
constexpr uint64_t kMaxAttempts = 10;
constexpr uint64_t kMaxBodyBuffer = uint64_t{64} << 20;

struct RetryOnName {
    std::string_view word;
    uint32_t bit;
};

constexpr std::array<RetryOnName, 5> kRetryOnNames = {{{"5xx", kRetryOn5xx},
                                                       {"gateway-error", kRetryOnGatewayError},
                                                       {"connect-failure", kRetryOnConnectFailure},
                                                       {"reset", kRetryOnReset},
                                                       {"retriable-4xx", kRetryOnRetriable4xx}}};

void add_reference(LoadContext& ctx, const YAML::Node& node, const std::string& name,
                   Draft& draft) {
    draft.cluster_references.push_back(Reference{name, ctx.mark(node)});
}

void parse_weighted_item(LoadContext& ctx, const YAML::Node& node, ForwardAction& out,
                         Draft& draft) {
    Fields fields(ctx, node, "weighted cluster", {"cluster", "weight"});
    if (!fields.is_mapping()) {
        return;
    }
    WeightedCluster item;
    const YAML::Node* cluster = fields.require("cluster");
    auto name = fields.read("cluster", read_identifier);
    auto weight = fields.read("weight", uint_in(0, kMaxWeight));
    if (fields.get("weight") == nullptr) {
        fields.require("weight");
    }
    if (!name || !weight || cluster == nullptr) {
        return;
    }
    bool is_duplicate = std::any_of(out.weighted.begin(), out.weighted.end(),
                                    [&](const WeightedCluster& w) { return w.cluster == *name; });
    if (is_duplicate) {
        ctx.error(*cluster, "cluster `" + *name + "` is listed twice in `weighted`");
        return;
    }
    add_reference(ctx, *cluster, *name, draft);
    item.cluster = *name;
    item.weight = static_cast<uint32_t>(*weight);
    out.total_weight += item.weight;
    out.weighted.push_back(std::move(item));
}

void parse_retry_on(const Fields& fields, RetryPolicy& out) {
    LoadContext& ctx = fields.context();
    fields.for_each("on", [&](const YAML::Node& item) {
        auto word = read_name(ctx, item);
        if (!word) {
            return;
        }
        auto it = std::find_if(kRetryOnNames.begin(), kRetryOnNames.end(),
                               [&](const RetryOnName& n) { return n.word == *word; });
        if (it == kRetryOnNames.end()) {
            std::vector<std::string_view> expected;
            for (const auto& n : kRetryOnNames) {
                expected.push_back(n.word);
            }
            report_bad_choice(ctx, item, *word, expected, {});
            return;
        }
        out.on |= it->bit;
    });
}

void parse_backoff(LoadContext& ctx, const YAML::Node& node, RetryPolicy& out) {
    Fields fields(ctx, node, "backoff", {"base", "max"});
    auto base = fields.read("base", read_positive_duration);
    auto max = fields.read("max", read_positive_duration);
    out.backoff_base = base.value_or(out.backoff_base);
    out.backoff_max = max.value_or(out.backoff_base * 10);
    if (max && out.backoff_max < out.backoff_base) {
        ctx.error(*fields.get("max"), "max: must not be less than `base`");
    }
}

void parse_budget(LoadContext& ctx, const YAML::Node& node, RetryPolicy& out) {
    Fields fields(ctx, node, "budget", {"percent", "min_concurrency"});
    RetryBudget budget;
    budget.percent =
        static_cast<uint32_t>(fields.read("percent", uint_in(0, 100)).value_or(budget.percent));
    budget.min_concurrency = static_cast<uint32_t>(
        fields.read("min_concurrency", uint_in(0, 1000000)).value_or(budget.min_concurrency));
    out.budget = budget;
}

void parse_retry_methods(const Fields& fields, RetryPolicy& out) {
    if (fields.get("methods") == nullptr) {
        return;
    }
    LoadContext& ctx = fields.context();
    out.methods.clear();
    fields.for_each("methods", [&](const YAML::Node& item) {
        auto text = read_name(ctx, item);
        if (text && !is_http_token(*text)) {
            ctx.error(item, "invalid method `" + *text + "`");
        } else if (text) {
            out.methods.push_back(to_upper(*text));
        }
    });
}

}  // namespace

void parse_weighted(LoadContext& ctx, const YAML::Node& node, ForwardAction& out, Draft& draft) {
    bool is_list = for_each_item(
        ctx, node, [&](const YAML::Node& item) { parse_weighted_item(ctx, item, out, draft); });
    if (!is_list) {
        return;
    }
    if (node.size() == 0) {
        ctx.error(node, "`weighted` needs at least one cluster");
    } else if (out.total_weight == 0 && out.weighted.size() == node.size()) {
        ctx.error(node, "the weights add up to 0, so no request could be forwarded");
    }
}

void parse_rewrite_regex(LoadContext& ctx, const YAML::Node& node, ForwardAction& out) {
    Fields fields(ctx, node, "rewrite_regex", {"pattern", "substitution"});
    if (!fields.is_mapping()) {
        return;
    }
    const YAML::Node* pattern_node = fields.require("pattern");
    fields.require("substitution");
    auto pattern = fields.read("pattern", read_name);
    auto substitution = fields.read("substitution", read_string);
    if (!pattern || !substitution || pattern_node == nullptr) {
        return;
    }
    RegexRewrite rewrite;
    rewrite.pattern = compile_regex(ctx, *pattern_node, *pattern);
    if (!rewrite.pattern) {
        return;
    }
    std::string why;
    if (!rewrite.pattern->CheckRewriteString(*substitution, &why)) {
        ctx.error(*fields.get("substitution"), "substitution: " + why);
        return;
    }
    if (!is_header_value(*substitution)) {
        ctx.error(*fields.get("substitution"), "substitution: must not contain CR, LF or NUL");
        return;
    }
    rewrite.substitution = *substitution;
    out.rewrite_regex = std::move(rewrite);
}

void parse_retries(LoadContext& ctx, const YAML::Node& node, ForwardAction& out) {
    Fields fields(
        ctx, node, "retries",
        {"attempts", "on", "retriable_status", "backoff", "budget", "methods", "body_buffer"});
    if (!fields.is_mapping()) {
        return;
    }
    RetryPolicy policy;
    policy.attempts = static_cast<uint32_t>(
        fields.read("attempts", uint_in(0, kMaxAttempts)).value_or(policy.attempts));
    parse_retry_on(fields, policy);
    fields.for_each("retriable_status", [&](const YAML::Node& item) {
        if (auto status = read_uint(ctx, item, 100, 599)) {
            policy.retriable_status.push_back(static_cast<int>(*status));
        }
    });
    if (const YAML::Node* backoff = fields.get("backoff")) {
        parse_backoff(ctx, *backoff, policy);
    }
    if (const YAML::Node* budget = fields.get("budget")) {
        parse_budget(ctx, *budget, policy);
    }
    parse_retry_methods(fields, policy);
    policy.body_buffer = fields.read("body_buffer", read_size).value_or(policy.body_buffer);
    if (policy.body_buffer > kMaxBodyBuffer) {
        ctx.error(*fields.get("body_buffer"), "body_buffer: at most 64MiB");
    }
    if (fields.get("on") == nullptr && fields.get("retriable_status") == nullptr) {
        ctx.error(node, "retries need `on` or `retriable_status`; otherwise nothing is retried");
    }
    out.retries = std::move(policy);
}

void parse_mirror(LoadContext& ctx, const YAML::Node& node, ForwardAction& out, Draft& draft) {
    Fields fields(ctx, node, "mirror", {"cluster", "percent"});
    if (!fields.is_mapping()) {
        return;
    }
    MirrorPolicy mirror;
    const YAML::Node* cluster = fields.require("cluster");
    auto name = fields.read("cluster", read_identifier);
    mirror.percent =
        static_cast<uint32_t>(fields.read("percent", uint_in(0, 100)).value_or(mirror.percent));
    if (!name || cluster == nullptr) {
        return;
    }
    add_reference(ctx, *cluster, *name, draft);
    mirror.cluster = *name;
    out.mirror = std::move(mirror);
}

}  // namespace gantry::config
