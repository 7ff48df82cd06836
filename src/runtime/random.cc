// xoshiro256** (Blackman & Vigna) seeded through splitmix64, as its authors recommend, so that
// nearby seeds (worker 0, 1, 2...) still give unrelated streams.
#include <gantry/runtime/random.h>

namespace gantry::runtime {

namespace {

uint64_t splitmix64(uint64_t& state) {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

constexpr uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

}  // namespace

Random::Random(uint64_t seed) {
    // splitmix64 never yields four zero words in a row, so the state is never all-zero.
    for (uint64_t& word : s_) {
        word = splitmix64(seed);
    }
}

uint64_t Random::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

uint64_t Random::below(uint64_t bound) {
    if (bound == 0) {
        return 0;  // outside the contract; answer something harmless rather than divide by zero
    }
    // Lemire's multiply-and-reject: unbiased, and the division runs only on the rare reject path.
    unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
    auto low = static_cast<uint64_t>(product);
    if (low < bound) {
        const uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            product = static_cast<unsigned __int128>(next()) * bound;
            low = static_cast<uint64_t>(product);
        }
    }
    return static_cast<uint64_t>(product >> 64);
}

}  // namespace gantry::runtime
