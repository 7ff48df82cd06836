#pragma once

// Pure retry decisions for a forwarded request: which outcomes a route's RetryPolicy retries,
// which methods may be retried, how long to back off (exponential with full jitter) and whether
// the retry budget allows one more retry. No state and no I/O, so every rule is unit-tested on
// its own; the UpstreamRequest calls these on its worker thread.

#include <chrono>
#include <cstdint>
#include <string_view>

#include <gantry/config.h>

namespace gantry::runtime {
class Random;
}

namespace gantry::router {

// How one try ended, as far as the retry conditions care.
enum class TryOutcome : uint8_t {
    Response,        // a response head arrived (its status decides)
    ConnectFailure,  // refused, unreachable or connect timeout
    Reset,           // the connection closed or reset before a response head
    Timeout,         // the per-try timeout expired before a response head
};

// Whether `policy.on` / `retriable_status` ask for a retry of this outcome. `status` is read for
// TryOutcome::Response only. Following Envoy: 5xx and gateway-error also cover every try that
// got no response at all; reset covers resets and per-try timeouts; connect-failure only failed
// connects; retriable-4xx is 409.
bool is_retriable(const config::RetryPolicy& policy, TryOutcome outcome, int status);

// Whether the request method may be retried under `policy.methods`.
bool is_retriable_method(const config::RetryPolicy& policy, std::string_view method);

// The wait before retry number `retry` (1 for the first retry): a uniform random duration in
// [0, min(max, base * 2^(retry-1))] (AWS's "full jitter", as Envoy does).
std::chrono::milliseconds backoff_delay(const config::RetryPolicy& policy, uint32_t retry,
                                        runtime::Random& random);

// Envoy's retry budget: one more retry may start while the retries in flight stay below
// max(min_concurrency, percent % of the requests in flight).
bool budget_allows(const config::RetryBudget& budget, uint64_t active_requests,
                   uint64_t active_retries);

}  // namespace gantry::router
