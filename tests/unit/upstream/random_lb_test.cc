#include <array>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/upstream/load_balancer.h>

using gantry::config::LbPolicy;
using gantry::upstream::LbContext;
using gantry::upstream::make_load_balancer;

namespace {

template <size_t N>
std::array<int, N> count_picks(std::vector<uint32_t> weights, const LbContext& ctx, int n,
                               uint64_t seed = 2024) {
    auto lb = make_load_balancer(LbPolicy::Random, std::move(weights), 2, seed);
    std::array<int, N> counts{};
    int out_of_range = 0;
    for (int i = 0; i < n; ++i) {
        const int index = lb->pick(ctx);
        if (index < 0 || static_cast<size_t>(index) >= N) {
            ++out_of_range;
            continue;
        }
        ++counts[static_cast<size_t>(index)];
    }
    REQUIRE(out_of_range == 0);
    return counts;
}

// True when `count` is within 3% of `expected`.
bool near(int count, double expected) {
    return count >= expected * 0.97 && count <= expected * 1.03;
}

}  // namespace

TEST_CASE("random follows the weights within 3% over 100k picks", "[upstream][lb]") {
    constexpr int kPicks = 100000;
    const auto counts = count_picks<3>({5, 1, 1}, {}, kPicks);
    CHECK(near(counts[0], kPicks * 5.0 / 7));
    CHECK(near(counts[1], kPicks * 1.0 / 7));
    CHECK(near(counts[2], kPicks * 1.0 / 7));
}

TEST_CASE("random with equal weights is uniform within 3% over 100k picks", "[upstream][lb]") {
    constexpr int kPicks = 100000;
    for (int count : count_picks<4>({3, 3, 3, 3}, {}, kPicks)) {
        CHECK(near(count, kPicks / 4.0));
    }
}

TEST_CASE("random follows the weights of the available endpoints only", "[upstream][lb]") {
    constexpr int kPicks = 100000;
    const std::array<uint8_t, 4> mask{1, 0, 1, 1};
    LbContext ctx;
    ctx.available = mask;
    const auto counts = count_picks<4>({2, 9, 1, 1}, ctx, kPicks);
    CHECK(counts[1] == 0);
    CHECK(near(counts[0], kPicks / 2.0));
    CHECK(near(counts[2], kPicks / 4.0));
    CHECK(near(counts[3], kPicks / 4.0));
}

TEST_CASE("random never picks an endpoint of weight zero", "[upstream][lb]") {
    const auto counts = count_picks<3>({0, 1, 0}, {}, 100);
    CHECK(counts == std::array<int, 3>{0, 100, 0});
    const std::array<uint8_t, 3> mask{1, 1, 1};
    LbContext ctx;
    ctx.available = mask;
    CHECK(count_picks<3>({1, 0, 0}, ctx, 100) == std::array<int, 3>{100, 0, 0});
}

TEST_CASE("random returns -1 when nothing is available", "[upstream][lb]") {
    auto lb = make_load_balancer(LbPolicy::Random, {1, 1}, 2, 1);
    const std::array<uint8_t, 2> none{0, 0};
    LbContext ctx;
    ctx.available = none;
    CHECK(lb->pick(ctx) == -1);
    CHECK(make_load_balancer(LbPolicy::Random, {}, 2, 1)->pick({}) == -1);
    CHECK(make_load_balancer(LbPolicy::Random, {0, 0}, 2, 1)->pick({}) == -1);
    const std::array<uint8_t, 2> zero_weight_only{1, 0};
    ctx.available = zero_weight_only;
    CHECK(make_load_balancer(LbPolicy::Random, {0, 1}, 2, 1)->pick(ctx) == -1);
}

TEST_CASE("random with a single endpoint always picks it", "[upstream][lb]") {
    CHECK(count_picks<1>({7}, {}, 50) == std::array<int, 1>{50});
}

TEST_CASE("random balancers with the same seed pick the same sequence", "[upstream][lb]") {
    auto a = make_load_balancer(LbPolicy::Random, {1, 2, 3}, 2, 77);
    auto b = make_load_balancer(LbPolicy::Random, {1, 2, 3}, 2, 77);
    for (int i = 0; i < 100; ++i) {
        CHECK(a->pick({}) == b->pick({}));
    }
}
