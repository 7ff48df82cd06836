#include <array>
#include <cstdint>

#include <catch2/catch.hpp>

#include <gantry/upstream/load_balancer.h>

using gantry::config::LbPolicy;
using gantry::upstream::LbContext;
using gantry::upstream::make_load_balancer;

TEST_CASE("make_load_balancer builds smooth weighted round robin by default", "[upstream][lb]") {
    auto lb = make_load_balancer(LbPolicy::RoundRobin, {5, 1, 1}, 2, 1);
    REQUIRE(lb != nullptr);
    std::array<int, 7> order{};
    for (int& index : order) {
        index = lb->pick({});
    }
    CHECK(order == std::array<int, 7>{0, 0, 1, 0, 2, 0, 0});
}

TEST_CASE("make_load_balancer builds least_request and random for their policies",
          "[upstream][lb]") {
    // least_request with every host scanned always picks the idle one; round robin would not.
    auto least = make_load_balancer(LbPolicy::LeastRequest, {1, 1}, 2, 1);
    const std::array<uint32_t, 2> active{5, 0};
    LbContext ctx;
    ctx.active_requests = active;
    for (int i = 0; i < 10; ++i) {
        CHECK(least->pick(ctx) == 1);
    }

    // Random draws do not follow the strict a, b, a, b alternation of round robin for long.
    auto random = make_load_balancer(LbPolicy::Random, {1, 1}, 2, 1);
    bool repeated = false;
    int previous = random->pick({});
    for (int i = 0; i < 64 && !repeated; ++i) {
        const int index = random->pick({});
        repeated = index == previous;
        previous = index;
    }
    CHECK(repeated);
}

TEST_CASE("LbContext reads short spans safely", "[upstream][lb]") {
    const std::array<uint8_t, 2> mask{1, 0};
    const std::array<uint32_t, 1> active{3};
    LbContext ctx;
    ctx.available = mask;
    ctx.active_requests = active;
    CHECK(ctx.is_available(0));
    CHECK_FALSE(ctx.is_available(1));
    CHECK_FALSE(ctx.is_available(2));
    CHECK(ctx.active(0) == 3);
    CHECK(ctx.active(1) == 0);
    CHECK(LbContext{}.is_available(5));
}
