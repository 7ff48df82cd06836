#pragma once

// Random: a small fast PRNG (xoshiro256**), one per worker (load balancers, retry jitter,
// request ids) and one per health task. Not for secrets: tokens and keys use OpenSSL's RAND.

#include <cstdint>

namespace gantry::runtime {

class Random {
public:
    explicit Random(uint64_t seed);
    uint64_t next();
    // Uniform in [0, bound); bound > 0.
    uint64_t below(uint64_t bound);

private:
    uint64_t s_[4];
};

}  // namespace gantry::runtime
