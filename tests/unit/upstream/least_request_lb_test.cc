#include <array>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/upstream/load_balancer.h>

using gantry::config::LbPolicy;
using gantry::upstream::LbContext;
using gantry::upstream::make_load_balancer;

namespace {

std::unique_ptr<gantry::upstream::LoadBalancer> least_request(std::vector<uint32_t> weights,
                                                              uint32_t choices = 2,
                                                              uint64_t seed = 1) {
    return make_load_balancer(LbPolicy::LeastRequest, std::move(weights), choices, seed);
}

template <size_t N>
std::array<int, N> count_picks(gantry::upstream::LoadBalancer& lb, const LbContext& ctx, int n) {
    std::array<int, N> counts{};
    int out_of_range = 0;
    for (int i = 0; i < n; ++i) {
        const int index = lb.pick(ctx);
        if (index < 0 || static_cast<size_t>(index) >= N) {
            ++out_of_range;
            continue;
        }
        ++counts[static_cast<size_t>(index)];
    }
    REQUIRE(out_of_range == 0);
    return counts;
}

}  // namespace

TEST_CASE("least_request prefers the less busy host", "[upstream][lb]") {
    auto lb = least_request({1, 1});
    const std::array<uint32_t, 2> active{10, 3};
    LbContext ctx;
    ctx.active_requests = active;
    CHECK(count_picks<2>(*lb, ctx, 100) == std::array<int, 2>{0, 100});
}

TEST_CASE("least_request never sends to the busiest host with two distinct choices",
          "[upstream][lb]") {
    // Drawing with replacement could draw host 2 twice; distinct draws never pick it.
    auto lb = least_request({1, 1, 1});
    const std::array<uint32_t, 3> active{0, 0, 9};
    LbContext ctx;
    ctx.active_requests = active;
    const auto counts = count_picks<3>(*lb, ctx, 3000);
    CHECK(counts[2] == 0);
    // Ties go to the first drawn, which is uniform, so hosts 0 and 1 share the picks.
    CHECK(counts[0] > 1350);
    CHECK(counts[1] > 1350);
}

TEST_CASE("least_request picks the idlest of two draws in proportion", "[upstream][lb]") {
    // Host 0 wins whenever it is one of the two draws: 1 - C(4,2)/C(5,2) = 40% of picks.
    auto lb = least_request({1, 1, 1, 1, 1});
    const std::array<uint32_t, 5> active{0, 1, 2, 3, 4};
    LbContext ctx;
    ctx.active_requests = active;
    const auto counts = count_picks<5>(*lb, ctx, 10000);
    CHECK(counts[0] > 3800);
    CHECK(counts[0] < 4200);
    CHECK(counts[0] > counts[1]);
    CHECK(counts[1] > counts[2]);
    CHECK(counts[2] > counts[3]);
    CHECK(counts[4] == 0);
}

TEST_CASE("least_request with equal load spreads evenly", "[upstream][lb]") {
    auto lb = least_request({1, 1, 1, 1});
    const std::array<uint32_t, 4> active{2, 2, 2, 2};
    LbContext ctx;
    ctx.active_requests = active;
    for (int count : count_picks<4>(*lb, ctx, 40000)) {
        CHECK(count > 9600);
        CHECK(count < 10400);
    }
}

TEST_CASE("least_request balances in-flight requests as they accumulate", "[upstream][lb]") {
    auto lb = least_request({1, 1, 1, 1}, 2, 3);
    std::array<uint32_t, 4> active{};
    LbContext ctx;
    ctx.active_requests = active;
    for (int i = 0; i < 400; ++i) {
        ++active[static_cast<size_t>(lb->pick(ctx))];
    }
    for (uint32_t count : active) {
        CHECK(count >= 95);
        CHECK(count <= 105);
    }
}

TEST_CASE("least_request scans every available host when choices cover them all",
          "[upstream][lb]") {
    auto lb = least_request({1, 1, 1}, 5);
    const std::array<uint32_t, 3> active{4, 1, 3};
    LbContext ctx;
    ctx.active_requests = active;
    CHECK(count_picks<3>(*lb, ctx, 50) == std::array<int, 3>{0, 50, 0});
}

TEST_CASE("least_request scans ties in a spread-out order", "[upstream][lb]") {
    auto lb = least_request({1, 1, 1}, 3);
    const std::array<uint32_t, 3> active{0, 0, 0};
    LbContext ctx;
    ctx.active_requests = active;
    for (int count : count_picks<3>(*lb, ctx, 3000)) {
        CHECK(count > 900);
    }
}

TEST_CASE("least_request compares load relative to weight", "[upstream][lb]") {
    auto lb = least_request({4, 1}, 2);
    LbContext ctx;
    // (4 + 1) / 4 is above (0 + 1) / 1: the light host is less loaded.
    const std::array<uint32_t, 2> heavy_busy{4, 0};
    ctx.active_requests = heavy_busy;
    CHECK(count_picks<2>(*lb, ctx, 20) == std::array<int, 2>{0, 20});
    // (2 + 1) / 4 < (0 + 1) / 1: the heavy host still wins with more requests in flight.
    const std::array<uint32_t, 2> heavy_ahead{2, 0};
    ctx.active_requests = heavy_ahead;
    CHECK(count_picks<2>(*lb, ctx, 20) == std::array<int, 2>{20, 0});
    // Both idle: weight decides.
    ctx.active_requests = {};
    CHECK(count_picks<2>(*lb, ctx, 20) == std::array<int, 2>{20, 0});
}

TEST_CASE("least_request respects the availability mask", "[upstream][lb]") {
    auto lb = least_request({1, 1, 1, 1, 1});
    const std::array<uint32_t, 5> active{0, 5, 0, 7, 9};
    const std::array<uint8_t, 5> mask{0, 1, 0, 1, 1};
    LbContext ctx;
    ctx.active_requests = active;
    ctx.available = mask;
    const auto counts = count_picks<5>(*lb, ctx, 3000);
    CHECK(counts[0] == 0);
    CHECK(counts[2] == 0);
    CHECK(counts[4] == 0);  // the busiest of three available with two distinct draws
    CHECK(counts[1] > counts[3]);

    // Only two available and two choices: always the less busy of them.
    const std::array<uint8_t, 5> two{0, 0, 0, 1, 1};
    ctx.available = two;
    CHECK(count_picks<5>(*lb, ctx, 30) == std::array<int, 5>{0, 0, 0, 30, 0});
}

TEST_CASE("least_request returns -1 when nothing is available", "[upstream][lb]") {
    auto lb = least_request({1, 1, 1});
    const std::array<uint8_t, 3> none{0, 0, 0};
    LbContext ctx;
    ctx.available = none;
    CHECK(lb->pick(ctx) == -1);
    CHECK(least_request({})->pick({}) == -1);
    CHECK(least_request({0, 0})->pick({}) == -1);
}

TEST_CASE("least_request with a single endpoint always picks it", "[upstream][lb]") {
    auto lb = least_request({2});
    const std::array<uint32_t, 1> active{100};
    LbContext ctx;
    ctx.active_requests = active;
    CHECK(count_picks<1>(*lb, ctx, 10) == std::array<int, 1>{10});
}

TEST_CASE("least_request never picks an endpoint of weight zero", "[upstream][lb]") {
    auto lb = least_request({0, 1, 1, 0});
    const auto counts = count_picks<4>(*lb, {}, 200);
    CHECK(counts[0] == 0);
    CHECK(counts[3] == 0);
    CHECK(counts[1] + counts[2] == 200);
}
