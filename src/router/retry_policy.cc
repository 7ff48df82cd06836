#include <algorithm>

#include <gantry/router/retry_policy.h>
#include <gantry/runtime/random.h>

namespace gantry::router {

namespace {

bool has(const config::RetryPolicy& policy, uint32_t bit) {
    return (policy.on & bit) != 0;
}

bool is_retriable_status(const config::RetryPolicy& policy, int status) {
    if (std::find(policy.retriable_status.begin(), policy.retriable_status.end(), status) !=
        policy.retriable_status.end()) {
        return true;
    }
    if (status >= 500 && status <= 599 && has(policy, config::kRetryOn5xx)) {
        return true;
    }
    if ((status == 502 || status == 503 || status == 504) &&
        has(policy, config::kRetryOnGatewayError)) {
        return true;
    }
    return status == 409 && has(policy, config::kRetryOnRetriable4xx);
}

}  // namespace

bool is_retriable(const config::RetryPolicy& policy, TryOutcome outcome, int status) {
    constexpr uint32_t kNoResponse = config::kRetryOn5xx | config::kRetryOnGatewayError;
    switch (outcome) {
        case TryOutcome::Response:
            return is_retriable_status(policy, status);
        case TryOutcome::ConnectFailure:
            return has(policy, kNoResponse | config::kRetryOnConnectFailure);
        case TryOutcome::Reset:
        case TryOutcome::Timeout:
            return has(policy, kNoResponse | config::kRetryOnReset);
    }
    return false;
}

bool is_retriable_method(const config::RetryPolicy& policy, std::string_view method) {
    return std::any_of(policy.methods.begin(), policy.methods.end(),
                       [method](const std::string& m) { return m == method; });
}

std::chrono::milliseconds backoff_delay(const config::RetryPolicy& policy, uint32_t retry,
                                        runtime::Random& random) {
    const auto base = static_cast<uint64_t>(policy.backoff_base.count());
    const auto max = static_cast<uint64_t>(policy.backoff_max.count());
    // base * 2^(retry-1), saturating at max (the shift is capped so it cannot overflow).
    const uint32_t doublings = std::min<uint32_t>(retry > 0 ? retry - 1 : 0, 32);
    uint64_t ceiling = base << doublings;
    if (ceiling > max || (doublings > 0 && (ceiling >> doublings) != base)) {
        ceiling = max;
    }
    return std::chrono::milliseconds(random.below(ceiling + 1));
}

bool budget_allows(const config::RetryBudget& budget, uint64_t active_requests,
                   uint64_t active_retries) {
    const uint64_t by_percent = active_requests * budget.percent / 100;
    const uint64_t limit = std::max<uint64_t>(budget.min_concurrency, by_percent);
    return active_retries < limit;
}

}  // namespace gantry::router
