#include <algorithm>
#include <cmath>
#include <vector>

#include <gantry/upstream/outlier_detector.h>

namespace gantry::upstream {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

bool is_ejected(const EndpointState& state) {
    return (state.flags.load(kRelaxed) & EndpointState::kEjected) != 0;
}

}  // namespace

bool OutlierDetector::sweep(std::span<EndpointState* const> endpoints, TimePoint now) {
    const size_t n = endpoints.size();
    std::vector<uint8_t> returned(n, 0);
    bool changed = return_due(endpoints, now, returned);
    std::vector<uint64_t> requests(n, 0);
    std::vector<uint64_t> failures(n, 0);
    std::vector<uint8_t> outlier(n, 0);
    for (size_t i = 0; i < n; ++i) {
        EndpointState& state = *endpoints[i];
        const uint64_t total = state.requests.load(kRelaxed);
        const uint64_t failed = state.failures.load(kRelaxed);
        requests[i] = total - state.main.seen_requests;
        failures[i] = std::min(failed - state.main.seen_failures, requests[i]);
        state.main.seen_requests = total;
        state.main.seen_failures = failed;
        const uint8_t tripped = state.tripped.exchange(0, kRelaxed);
        if (is_ejected(state)) {
            continue;
        }
        // Tripped since the last sweep, or still over the threshold (an endpoint the ejection cap
        // held back is ejected once there is room).
        const bool over_5xx = config_.consecutive_5xx != 0 &&
                              ((tripped & EndpointState::kTripped5xx) ||
                               state.consecutive_5xx.load(kRelaxed) >= config_.consecutive_5xx);
        const bool over_gateway =
            config_.consecutive_gateway_errors != 0 &&
            ((tripped & EndpointState::kTrippedGateway) ||
             state.consecutive_gateway.load(kRelaxed) >= config_.consecutive_gateway_errors);
        outlier[i] = over_5xx || over_gateway;
    }
    if (config_.success_rate) {
        find_by_success_rate(endpoints, requests, failures, outlier);
    }
    if (config_.failure_percentage) {
        find_by_failure_percentage(endpoints, requests, failures, outlier);
    }
    for (size_t i = 0; i < n; ++i) {
        EndpointState& state = *endpoints[i];
        if (outlier[i] && may_eject(endpoints)) {
            eject(state, now);
            changed = true;
        } else if (!is_ejected(state) && !returned[i] && state.main.times_ejected > 0) {
            --state.main.times_ejected;  // a good interval earns back one step of the multiplier
        }
    }
    return changed;
}

bool OutlierDetector::return_due(std::span<EndpointState* const> endpoints, TimePoint now,
                                 std::span<uint8_t> returned) {
    bool changed = false;
    for (size_t i = 0; i < endpoints.size(); ++i) {
        EndpointState* state = endpoints[i];
        if (is_ejected(*state) && now >= state->main.ejected_until) {
            returned[i] = 1;
            state->flags.fetch_and(static_cast<uint8_t>(~EndpointState::kEjected), kRelaxed);
            state->consecutive_5xx.store(0, kRelaxed);
            state->consecutive_gateway.store(0, kRelaxed);
            changed = true;
        }
    }
    return changed;
}

void OutlierDetector::find_by_success_rate(std::span<EndpointState* const> endpoints,
                                           std::span<const uint64_t> requests,
                                           std::span<const uint64_t> failures,
                                           std::span<uint8_t> outlier) const {
    std::vector<size_t> counted;
    double sum = 0;
    for (size_t i = 0; i < endpoints.size(); ++i) {
        if (!is_ejected(*endpoints[i]) && requests[i] >= config_.success_rate_request_volume &&
            requests[i] > 0) {
            counted.push_back(i);
            sum += 100.0 * static_cast<double>(requests[i] - failures[i]) /
                   static_cast<double>(requests[i]);
        }
    }
    if (counted.empty() || counted.size() < config_.success_rate_min_hosts) {
        return;
    }
    const double mean = sum / static_cast<double>(counted.size());
    double variance = 0;
    for (size_t i : counted) {
        const double rate = 100.0 * static_cast<double>(requests[i] - failures[i]) /
                            static_cast<double>(requests[i]);
        variance += (rate - mean) * (rate - mean);
    }
    const double stdev = std::sqrt(variance / static_cast<double>(counted.size()));
    const double threshold = mean - config_.success_rate_stdev_factor * stdev;
    for (size_t i : counted) {
        const double rate = 100.0 * static_cast<double>(requests[i] - failures[i]) /
                            static_cast<double>(requests[i]);
        if (rate < threshold) {
            outlier[i] = 1;
        }
    }
}

void OutlierDetector::find_by_failure_percentage(std::span<EndpointState* const> endpoints,
                                                 std::span<const uint64_t> requests,
                                                 std::span<const uint64_t> failures,
                                                 std::span<uint8_t> outlier) const {
    std::vector<size_t> counted;
    for (size_t i = 0; i < endpoints.size(); ++i) {
        if (!is_ejected(*endpoints[i]) &&
            requests[i] >= config_.failure_percentage_request_volume && requests[i] > 0) {
            counted.push_back(i);
        }
    }
    if (counted.empty() || counted.size() < config_.failure_percentage_min_hosts) {
        return;
    }
    for (size_t i : counted) {
        if (failures[i] * 100 >= uint64_t{config_.failure_percentage_threshold} * requests[i]) {
            outlier[i] = 1;
        }
    }
}

bool OutlierDetector::may_eject(std::span<EndpointState* const> endpoints) const {
    const auto ejected = static_cast<uint64_t>(std::count_if(
        endpoints.begin(), endpoints.end(), [](EndpointState* s) { return is_ejected(*s); }));
    // As Envoy: under the cap, and at least one endpoint whatever the cap says.
    return ejected == 0 ||
           ejected * 100 < uint64_t{config_.max_ejection_percent} * endpoints.size();
}

void OutlierDetector::eject(EndpointState& state, TimePoint now) const {
    ++state.main.times_ejected;
    const auto wanted = config_.base_ejection_time * state.main.times_ejected;
    const auto cap = std::max(config_.max_ejection_time, config_.base_ejection_time);
    state.main.ejected_until = now + std::min(wanted, cap);
    state.flags.fetch_or(EndpointState::kEjected, kRelaxed);
    state.ejections.fetch_add(1, kRelaxed);
    state.consecutive_5xx.store(0, kRelaxed);
    state.consecutive_gateway.store(0, kRelaxed);
}

}  // namespace gantry::upstream
