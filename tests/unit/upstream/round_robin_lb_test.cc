#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/upstream/load_balancer.h>

using gantry::config::LbPolicy;
using gantry::upstream::LbContext;
using gantry::upstream::make_load_balancer;

namespace {

std::unique_ptr<gantry::upstream::LoadBalancer> round_robin(std::vector<uint32_t> weights) {
    return make_load_balancer(LbPolicy::RoundRobin, std::move(weights), 2, 1);
}

// Picks `n` times and spells the result with one letter per endpoint ('a' = 0), '-' for -1.
std::string picks(gantry::upstream::LoadBalancer& lb, int n, const LbContext& ctx = {}) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        const int index = lb.pick(ctx);
        out += index < 0 ? '-' : static_cast<char>('a' + index);
    }
    return out;
}

}  // namespace

TEST_CASE("round_robin interleaves 5:1:1 as nginx documents", "[upstream][lb]") {
    auto lb = round_robin({5, 1, 1});
    CHECK(picks(*lb, 7) == "aabacaa");
    CHECK(picks(*lb, 7) == "aabacaa");
}

TEST_CASE("round_robin gives exactly 5000/1000/1000 for weights 5:1:1 over 7000 picks",
          "[upstream][lb]") {
    auto lb = round_robin({5, 1, 1});
    std::array<int, 3> counts{};
    for (int i = 0; i < 7000; ++i) {
        ++counts.at(static_cast<size_t>(lb->pick({})));
    }
    CHECK(counts == std::array<int, 3>{5000, 1000, 1000});
}

TEST_CASE("round_robin with equal weights cycles in order", "[upstream][lb]") {
    auto lb = round_robin({1, 1, 1});
    CHECK(picks(*lb, 7) == "abcabca");
}

TEST_CASE("round_robin with a single endpoint always picks it", "[upstream][lb]") {
    auto lb = round_robin({3});
    CHECK(picks(*lb, 4) == "aaaa");
}

TEST_CASE("round_robin skips endpoints the availability mask excludes", "[upstream][lb]") {
    auto lb = round_robin({1, 1, 1});
    const std::array<uint8_t, 3> mask{1, 0, 1};
    LbContext ctx;
    ctx.available = mask;
    CHECK(picks(*lb, 6, ctx) == "acacac");
}

TEST_CASE("round_robin keeps the weight ratio among the available endpoints", "[upstream][lb]") {
    auto lb = round_robin({5, 1, 1});
    const std::array<uint8_t, 3> mask{0, 1, 1};
    LbContext ctx;
    ctx.available = mask;
    CHECK(picks(*lb, 4, ctx) == "bcbc");

    const std::array<uint8_t, 3> no_c{1, 1, 0};
    ctx.available = no_c;
    std::array<int, 3> counts{};
    for (int i = 0; i < 600; ++i) {
        ++counts.at(static_cast<size_t>(lb->pick(ctx)));
    }
    CHECK(counts == std::array<int, 3>{500, 100, 0});
}

TEST_CASE("round_robin returns -1 when nothing is available", "[upstream][lb]") {
    auto lb = round_robin({1, 2});
    const std::array<uint8_t, 2> none{0, 0};
    LbContext ctx;
    ctx.available = none;
    CHECK(lb->pick(ctx) == -1);
    // The endpoints come back once the mask allows them.
    CHECK(lb->pick({}) >= 0);

    auto empty = round_robin({});
    CHECK(empty->pick({}) == -1);
}

TEST_CASE("round_robin treats endpoints past a short mask as unavailable", "[upstream][lb]") {
    auto lb = round_robin({1, 1, 1});
    const std::array<uint8_t, 1> mask{1};
    LbContext ctx;
    ctx.available = mask;
    CHECK(picks(*lb, 3, ctx) == "aaa");
}

TEST_CASE("round_robin never picks an endpoint of weight zero", "[upstream][lb]") {
    auto lb = round_robin({0, 2, 0, 1});
    CHECK(picks(*lb, 6) == "bdbbdb");
    auto drained = round_robin({0, 0});
    CHECK(drained->pick({}) == -1);
}
