#include <array>
#include <cstdint>
#include <limits>

#include <catch2/catch.hpp>

#include <gantry/runtime/random.h>

using gantry::runtime::Random;

TEST_CASE("Random is xoshiro256** seeded through splitmix64", "[upstream][random]") {
    // Reference values computed independently from the published algorithms.
    Random zero(0);
    CHECK(zero.next() == 0x99ec5f36cb75f2b4ULL);
    CHECK(zero.next() == 0xbf6e1f784956452aULL);
    CHECK(zero.next() == 0x1a5f849d4933e6e0ULL);

    Random answer(42);
    CHECK(answer.next() == 0x15780b2e0c2ec716ULL);
    CHECK(answer.next() == 0x6104d9866d113a7eULL);
    CHECK(answer.next() == 0xae17533239e499a1ULL);
}

TEST_CASE("Random gives the same stream for the same seed and another for another seed",
          "[upstream][random]") {
    Random a(7);
    Random b(7);
    Random c(8);
    bool differs = false;
    for (int i = 0; i < 16; ++i) {
        const uint64_t value = a.next();
        CHECK(value == b.next());
        differs = differs || value != c.next();
    }
    CHECK(differs);
}

TEST_CASE("Random::below stays inside its bound", "[upstream][random]") {
    Random rng(1);
    for (int i = 0; i < 1000; ++i) {
        CHECK(rng.below(1) == 0);
        CHECK(rng.below(3) < 3);
        CHECK(rng.below(1000003) < 1000003);
    }
    // A bound just above 2^63 rejects almost half of the raw draws; it must still terminate and
    // stay in range.
    const uint64_t huge = (uint64_t{1} << 63) + 1;
    for (int i = 0; i < 1000; ++i) {
        CHECK(rng.below(huge) < huge);
    }
    CHECK(rng.below(std::numeric_limits<uint64_t>::max()) < std::numeric_limits<uint64_t>::max());
}

TEST_CASE("Random::below is uniform over a small bound", "[upstream][random]") {
    Random rng(12345);
    std::array<int, 6> counts{};
    constexpr int kDraws = 60000;
    for (int i = 0; i < kDraws; ++i) {
        ++counts[rng.below(counts.size())];
    }
    for (int count : counts) {
        CHECK(count > 9700);
        CHECK(count < 10300);
    }
}

TEST_CASE("Random::below reaches both ends of its range", "[upstream][random]") {
    Random rng(99);
    bool saw_zero = false;
    bool saw_top = false;
    for (int i = 0; i < 1000 && !(saw_zero && saw_top); ++i) {
        const uint64_t value = rng.below(5);
        saw_zero = saw_zero || value == 0;
        saw_top = saw_top || value == 4;
    }
    CHECK(saw_zero);
    CHECK(saw_top);
}
