#include <algorithm>

#include <gantry/upstream/cluster.h>
#include <gantry/upstream/request_hash.h>

namespace gantry::upstream {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// Counts one more consecutive failure; the worker that reaches the threshold flags it for the
// main thread's next sweep.
void count_consecutive(EndpointState& state, std::atomic<uint32_t>& counter, uint32_t threshold,
                       uint8_t bit) {
    if (threshold == 0) {
        return;
    }
    if (counter.fetch_add(1, kRelaxed) + 1 == threshold) {
        state.tripped.fetch_or(bit, kRelaxed);
    }
}

void reset(std::atomic<uint32_t>& counter) {
    // Read first: a healthy endpoint's line is then only read, not written, by every success.
    if (counter.load(kRelaxed) != 0) {
        counter.store(0, kRelaxed);
    }
}

LbSettings lb_settings(const config::ClusterConfig& config) {
    LbSettings settings;
    settings.policy = config.lb;
    settings.choices = config.least_request_choices;
    settings.min_ring_size = config.ring_hash_min_ring_size;
    return settings;
}

}  // namespace

Cluster::Cluster(std::shared_ptr<const ResolvedCluster> resolved_handle, uint64_t seed)
    : resolved_(std::move(resolved_handle))
    , rng_(seed ^ 0x5bd1e995) {
    const ResolvedCluster& resolved = *resolved_;
    std::vector<uint32_t> weights;
    std::vector<std::string> keys;
    for (const auto& endpoint : resolved.endpoints) {
        weights.push_back(endpoint.weight);
        keys.push_back(endpoint.text);
        pools_.emplace_back(resolved.config->pool.max_idle_per_endpoint,
                            resolved.config->pool.idle_timeout);
    }
    active_requests_.assign(resolved.endpoints.size(), 0);
    scratch_mask_.reserve(resolved.endpoints.size());
    lb_ = make_load_balancer(lb_settings(*resolved.config), std::move(weights), keys, seed);
}

void Cluster::adopt(std::shared_ptr<const ResolvedCluster> resolved) {
    resolved_ = std::move(resolved);
    view_version_ = 0;  // zone-aware settings or the node's zone may have changed
}

void Cluster::refresh_view(uint64_t version) {
    std::vector<HostInfo> hosts;
    hosts.reserve(resolved_->endpoints.size());
    for (const auto& endpoint : resolved_->endpoints) {
        hosts.push_back({endpoint.state == nullptr || endpoint.state->is_usable(),
                         endpoint.priority, &endpoint.zone});
    }
    const config::ZoneAwareConfig& zone_aware = config().zone_aware;
    ZoneAwareSettings zones{zone_aware.enabled, zone_aware.min_cluster_size, resolved_->local_zone,
                            &zone_aware.fleet};
    view_ = HostView::build(hosts, zones);
    view_version_ = version;
}

uint32_t Cluster::draw(const std::optional<uint64_t>& hash) {
    // A hashed request takes its level and zone from its hash too, so it keeps its endpoint.
    if (hash) {
        return static_cast<uint32_t>(((*hash * 0x9e3779b97f4a7c15ULL) >> 32) % HostView::kScale);
    }
    return static_cast<uint32_t>(rng_.below(HostView::kScale));
}

int Cluster::pick(const PickInput& input) {
    const size_t count = resolved_->endpoints.size();
    if (count <= 1) {
        return count == 0 ? -1 : 0;  // a lone endpoint is used even when down (panic)
    }
    const uint64_t version = resolved_->shared->health.version.load(std::memory_order_acquire);
    if (version != view_version_) {
        refresh_view(version);
    }
    std::optional<uint64_t> hash;
    if (input.request != nullptr && config().hash_on.kind != config::HashOn::Kind::None) {
        hash = request_hash(config().hash_on, *input.request, input.client_ip);
    }
    const HostView::Subset* subset = view_.choose(view_.is_split() ? draw(hash) : 0);
    if (subset == nullptr) {
        return -1;
    }
    LbContext ctx;
    ctx.active_requests = active_requests_;
    if (!subset->is_everything) {
        ctx.available = subset->mask;
    }
    if (hash) {
        ctx.hash = *hash;
        ctx.has_hash = true;
    }
    return input.avoid.empty() ? lb_->pick(ctx) : pick_avoiding(ctx, input.avoid);
}

int Cluster::pick_avoiding(LbContext& ctx, std::span<const uint32_t> avoid) {
    scratch_mask_.assign(resolved_->endpoints.size(), 1);
    if (!ctx.available.empty()) {
        std::copy(ctx.available.begin(), ctx.available.end(), scratch_mask_.begin());
    }
    for (uint32_t index : avoid) {
        if (index < scratch_mask_.size()) {
            scratch_mask_[index] = 0;
        }
    }
    const bool any_left =
        std::any_of(scratch_mask_.begin(), scratch_mask_.end(), [](uint8_t b) { return b; });
    if (!any_left) {
        return lb_->pick(ctx);  // every candidate was tried: a repeat beats no answer
    }
    std::span<const uint8_t> original = ctx.available;
    ctx.available = scratch_mask_;
    int index = lb_->pick(ctx);
    if (index < 0) {
        ctx.available = original;
        index = lb_->pick(ctx);
    }
    return index;
}

void Cluster::on_response(size_t index, int status) {
    EndpointState& state = *resolved_->endpoints[index].state;
    state.requests.fetch_add(1, kRelaxed);
    if (status < 500) {
        reset(state.consecutive_5xx);
        reset(state.consecutive_gateway);
        return;
    }
    state.failures.fetch_add(1, kRelaxed);
    const auto& outlier = config().outlier_detection;
    if (!outlier) {
        return;
    }
    count_consecutive(state, state.consecutive_5xx, outlier->consecutive_5xx,
                      EndpointState::kTripped5xx);
    if (status >= 502 && status <= 504) {
        count_consecutive(state, state.consecutive_gateway, outlier->consecutive_gateway_errors,
                          EndpointState::kTrippedGateway);
    } else {
        reset(state.consecutive_gateway);
    }
}

void Cluster::on_local_failure(size_t index) {
    EndpointState& state = *resolved_->endpoints[index].state;
    state.requests.fetch_add(1, kRelaxed);
    state.failures.fetch_add(1, kRelaxed);
    const auto& outlier = config().outlier_detection;
    if (!outlier) {
        return;
    }
    // As Envoy without split_external_local_origin_errors: a local failure counts as a 5xx and
    // as a gateway error.
    count_consecutive(state, state.consecutive_5xx, outlier->consecutive_5xx,
                      EndpointState::kTripped5xx);
    count_consecutive(state, state.consecutive_gateway, outlier->consecutive_gateway_errors,
                      EndpointState::kTrippedGateway);
}

void Cluster::sweep(std::chrono::steady_clock::time_point now) {
    for (auto& pool : pools_) {
        pool.sweep(now);
    }
}

void Cluster::take_idle_connections(Cluster& older) {
    for (size_t i = 0; i < endpoint_count(); ++i) {
        for (size_t j = 0; j < older.endpoint_count(); ++j) {
            if (older.endpoint(j).text == endpoint(i).text) {
                pools_[i].take_from(older.pools_[j]);
                break;
            }
        }
    }
}

void Cluster::close_idle() {
    for (auto& pool : pools_) {
        pool.clear();
    }
}

}  // namespace gantry::upstream
