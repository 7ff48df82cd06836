// The cost of picking an endpoint: every balancer at 10 and 1,000 endpoints, with every
// endpoint usable (no mask) and with one in ten excluded (the worker's view after health
// changes). Run: build/bench/micro/gantry_micro_bench [--benchmark_filter=...].

#include <benchmark/benchmark.h>
#include <string>
#include <vector>

#include <gantry/upstream/load_balancer.h>

namespace {

using gantry::config::LbPolicy;
using gantry::upstream::LbContext;
using gantry::upstream::LbSettings;

struct Setup {
    std::vector<uint32_t> weights;
    std::vector<std::string> keys;
    std::vector<uint32_t> active;
    std::vector<uint8_t> mask;
};

Setup make_setup(size_t n) {
    Setup setup;
    for (size_t i = 0; i < n; ++i) {
        setup.weights.push_back(1 + static_cast<uint32_t>(i % 3));
        setup.keys.push_back("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) +
                             ":8080");
        setup.active.push_back(static_cast<uint32_t>(i % 7));
        setup.mask.push_back(i % 10 == 3 ? 0 : 1);
    }
    return setup;
}

void pick(benchmark::State& state, LbPolicy policy, bool masked) {
    const auto n = static_cast<size_t>(state.range(0));
    Setup setup = make_setup(n);
    LbSettings settings;
    settings.policy = policy;
    auto lb = gantry::upstream::make_load_balancer(settings, setup.weights, setup.keys, 42);
    LbContext ctx;
    ctx.active_requests = setup.active;
    if (masked) {
        ctx.available = setup.mask;
    }
    const bool hashed = policy == LbPolicy::RingHash || policy == LbPolicy::Maglev;
    uint64_t key = 0x9e3779b97f4a7c15ULL;
    for (auto _ : state) {
        if (hashed) {
            key = key * 6364136223846793005ULL + 1442695040888963407ULL;  // a new key each time
            ctx.hash = key;
            ctx.has_hash = true;
        }
        benchmark::DoNotOptimize(lb->pick(ctx));
    }
}

void register_all() {
    const std::pair<const char*, LbPolicy> policies[] = {{"round_robin", LbPolicy::RoundRobin},
                                                         {"least_request", LbPolicy::LeastRequest},
                                                         {"random", LbPolicy::Random},
                                                         {"ring_hash", LbPolicy::RingHash},
                                                         {"maglev", LbPolicy::Maglev}};
    for (const auto& [name, policy] : policies) {
        for (bool masked : {false, true}) {
            const std::string label = std::string("pick/") + name + (masked ? "/masked" : "");
            benchmark::RegisterBenchmark(label.c_str(), pick, policy, masked)->Arg(10)->Arg(1000);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
