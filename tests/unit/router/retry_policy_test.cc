#include <catch2/catch.hpp>

#include <gantry/config.h>
#include <gantry/router/retry_policy.h>
#include <gantry/runtime/random.h>
#include <gantry/upstream/load_balancer.h>

using namespace gantry;
using namespace std::chrono_literals;
using router::TryOutcome;

namespace {

config::RetryPolicy policy_on(uint32_t on) {
    config::RetryPolicy policy;
    policy.on = on;
    return policy;
}

}  // namespace

TEST_CASE("5xx retries every 5xx and every try without a response", "[router][retry]") {
    auto policy = policy_on(config::kRetryOn5xx);
    CHECK(router::is_retriable(policy, TryOutcome::Response, 500));
    CHECK(router::is_retriable(policy, TryOutcome::Response, 503));
    CHECK(router::is_retriable(policy, TryOutcome::Response, 599));
    CHECK_FALSE(router::is_retriable(policy, TryOutcome::Response, 200));
    CHECK_FALSE(router::is_retriable(policy, TryOutcome::Response, 409));
    CHECK(router::is_retriable(policy, TryOutcome::ConnectFailure, 0));
    CHECK(router::is_retriable(policy, TryOutcome::Reset, 0));
    CHECK(router::is_retriable(policy, TryOutcome::Timeout, 0));
}

TEST_CASE("gateway-error retries 502, 503 and 504 only", "[router][retry]") {
    auto policy = policy_on(config::kRetryOnGatewayError);
    CHECK(router::is_retriable(policy, TryOutcome::Response, 502));
    CHECK(router::is_retriable(policy, TryOutcome::Response, 503));
    CHECK(router::is_retriable(policy, TryOutcome::Response, 504));
    CHECK_FALSE(router::is_retriable(policy, TryOutcome::Response, 500));
    CHECK_FALSE(router::is_retriable(policy, TryOutcome::Response, 501));
    CHECK(router::is_retriable(policy, TryOutcome::Reset, 0));
}

TEST_CASE("connect-failure, reset and retriable-4xx retry only their own outcome",
          "[router][retry]") {
    auto connect = policy_on(config::kRetryOnConnectFailure);
    CHECK(router::is_retriable(connect, TryOutcome::ConnectFailure, 0));
    CHECK_FALSE(router::is_retriable(connect, TryOutcome::Reset, 0));
    CHECK_FALSE(router::is_retriable(connect, TryOutcome::Response, 503));
    auto reset = policy_on(config::kRetryOnReset);
    CHECK(router::is_retriable(reset, TryOutcome::Reset, 0));
    CHECK(router::is_retriable(reset, TryOutcome::Timeout, 0));
    CHECK_FALSE(router::is_retriable(reset, TryOutcome::ConnectFailure, 0));
    CHECK_FALSE(router::is_retriable(reset, TryOutcome::Response, 502));
    auto conflict = policy_on(config::kRetryOnRetriable4xx);
    CHECK(router::is_retriable(conflict, TryOutcome::Response, 409));
    CHECK_FALSE(router::is_retriable(conflict, TryOutcome::Response, 404));
    CHECK_FALSE(router::is_retriable(conflict, TryOutcome::Response, 503));
}

TEST_CASE("retriable_status adds statuses without any condition", "[router][retry]") {
    config::RetryPolicy policy;
    policy.retriable_status = {429, 503};
    CHECK(router::is_retriable(policy, TryOutcome::Response, 429));
    CHECK(router::is_retriable(policy, TryOutcome::Response, 503));
    CHECK_FALSE(router::is_retriable(policy, TryOutcome::Response, 502));
    CHECK_FALSE(router::is_retriable(policy, TryOutcome::Reset, 0));
}

TEST_CASE("only the listed methods are retried, idempotent ones by default", "[router][retry]") {
    config::RetryPolicy policy;
    CHECK(router::is_retriable_method(policy, "GET"));
    CHECK(router::is_retriable_method(policy, "PUT"));
    CHECK(router::is_retriable_method(policy, "DELETE"));
    CHECK_FALSE(router::is_retriable_method(policy, "POST"));
    CHECK_FALSE(router::is_retriable_method(policy, "PATCH"));
    policy.methods = {"POST"};
    CHECK(router::is_retriable_method(policy, "POST"));
    CHECK_FALSE(router::is_retriable_method(policy, "GET"));
}

TEST_CASE("back-off is full jitter under an exponential ceiling capped at max", "[router][retry]") {
    config::RetryPolicy policy;
    policy.backoff_base = 25ms;
    policy.backoff_max = 250ms;
    runtime::Random random(42);
    for (uint32_t retry = 1; retry <= 8; ++retry) {
        const int64_t ceiling = std::min<int64_t>(250, int64_t{25} << (retry - 1));
        int64_t low = ceiling;
        int64_t high = 0;
        for (int i = 0; i < 2000; ++i) {
            const int64_t delay = router::backoff_delay(policy, retry, random).count();
            REQUIRE(delay >= 0);
            REQUIRE(delay <= ceiling);
            low = std::min(low, delay);
            high = std::max(high, delay);
        }
        // Full jitter spreads over the whole range, not only near the ceiling.
        CHECK(low <= ceiling / 10);
        CHECK(high >= ceiling * 9 / 10);
    }
    // Huge retry numbers saturate instead of overflowing the shift.
    CHECK(router::backoff_delay(policy, 1000, random).count() <= 250);
}

TEST_CASE("the retry budget allows a percentage of active requests, at least the minimum",
          "[router][retry]") {
    config::RetryBudget budget;  // 20%, at least 3
    CHECK(router::budget_allows(budget, 1, 0));
    CHECK(router::budget_allows(budget, 1, 2));
    CHECK_FALSE(router::budget_allows(budget, 1, 3));
    CHECK(router::budget_allows(budget, 100, 19));
    CHECK_FALSE(router::budget_allows(budget, 100, 20));
    budget.min_concurrency = 0;
    budget.percent = 50;
    CHECK_FALSE(router::budget_allows(budget, 1, 0));
    CHECK(router::budget_allows(budget, 10, 4));
    CHECK_FALSE(router::budget_allows(budget, 10, 5));
}
