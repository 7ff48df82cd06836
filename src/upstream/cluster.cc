#include <gantry/upstream/cluster.h>

namespace gantry::upstream {

Cluster::Cluster(std::shared_ptr<const runtime::Generation> generation,
                 const runtime::ResolvedCluster& resolved, uint64_t seed)
    : generation_(std::move(generation))
    , resolved_(&resolved) {
    std::vector<uint32_t> weights;
    for (const auto& endpoint : resolved.endpoints) {
        weights.push_back(endpoint.weight);
        pools_.emplace_back(resolved.config->pool.max_idle_per_endpoint,
                            resolved.config->pool.idle_timeout);
    }
    active_requests_.assign(resolved.endpoints.size(), 0);
    lb_ = make_load_balancer(resolved.config->lb, std::move(weights),
                             resolved.config->least_request_choices, seed);
}

void Cluster::adopt(std::shared_ptr<const runtime::Generation> generation,
                    const runtime::ResolvedCluster& resolved) {
    generation_ = std::move(generation);
    resolved_ = &resolved;
}

int Cluster::pick() {
    if (resolved_->endpoints.empty()) {
        return -1;
    }
    if (resolved_->endpoints.size() == 1) {
        return 0;
    }
    LbContext ctx;
    ctx.active_requests = active_requests_;
    return lb_->pick(ctx);
}

void Cluster::sweep(std::chrono::steady_clock::time_point now) {
    for (auto& pool : pools_) {
        pool.sweep(now);
    }
}

void Cluster::close_idle() {
    for (auto& pool : pools_) {
        pool.clear();
    }
}

}  // namespace gantry::upstream
