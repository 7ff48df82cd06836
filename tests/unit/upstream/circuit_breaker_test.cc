#include <catch2/catch.hpp>

#include <gantry/upstream/circuit_breaker.h>

using gantry::upstream::CircuitBreaker;
using Resource = CircuitBreaker::Resource;

TEST_CASE("a circuit breaker admits up to its limit and frees on release", "[circuit_breaker]") {
    CircuitBreaker breaker;
    CHECK(breaker.try_acquire(Resource::Requests, 2));
    CHECK(breaker.try_acquire(Resource::Requests, 2));
    CHECK_FALSE(breaker.try_acquire(Resource::Requests, 2));
    CHECK(breaker.in_use(Resource::Requests) == 2);
    // Each resource counts on its own.
    CHECK(breaker.try_acquire(Resource::Retries, 1));
    CHECK_FALSE(breaker.try_acquire(Resource::Retries, 1));
    breaker.release(Resource::Requests);
    CHECK(breaker.try_acquire(Resource::Requests, 2));
    CHECK_FALSE(breaker.try_acquire(Resource::Pending, 0));
    CHECK(breaker.in_use(Resource::Pending) == 0);
}
