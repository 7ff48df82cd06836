#pragma once

// OutlierDetector: Envoy's passive health checking for one cluster. Every `interval` the main
// thread calls sweep() with the cluster's endpoints; it reads what the workers counted since
// the last sweep (EndpointState's atomics) and decides:
// - return to service: an ejected endpoint whose time is up is usable again;
// - consecutive 5xx / consecutive gateway errors: an endpoint whose counter reached its
//   threshold since the last sweep (workers flag it in `tripped`);
// - success rate: among endpoints with at least `request_volume` requests this interval, when
//   there are at least `min_hosts` of them, those whose success rate is below
//   mean - stdev_factor x stdev;
// - failure percentage: likewise with its own volume and host minimum, those whose failure
//   percentage is at least `threshold`;
// and ejects the outliers for base_ejection_time x times ejected (at most max_ejection_time),
// while no more than max_ejection_percent of the endpoints are ejected (but always at least
// one). An endpoint the cap held back is ejected at a later sweep if it is still over its
// consecutive threshold. An endpoint that stays in service for a whole interval has its
// multiplier lowered by one.
//
// Pure apart from the endpoint states it is handed; time comes in as an argument, so tests
// drive it with a fake clock. Main thread only.

#include <chrono>
#include <span>

#include <gantry/config.h>
#include <gantry/upstream/endpoint_health.h>

namespace gantry::upstream {

class OutlierDetector {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit OutlierDetector(const config::OutlierDetectionConfig& config) : config_(config) {}

    // One sweep; returns true when some endpoint's flags changed (the caller publishes).
    bool sweep(std::span<EndpointState* const> endpoints, TimePoint now);

private:
    bool return_due(std::span<EndpointState* const> endpoints, TimePoint now,
                    std::span<uint8_t> returned);
    void find_by_success_rate(std::span<EndpointState* const> endpoints,
                              std::span<const uint64_t> requests,
                              std::span<const uint64_t> failures, std::span<uint8_t> outlier) const;
    void find_by_failure_percentage(std::span<EndpointState* const> endpoints,
                                    std::span<const uint64_t> requests,
                                    std::span<const uint64_t> failures,
                                    std::span<uint8_t> outlier) const;
    bool may_eject(std::span<EndpointState* const> endpoints) const;
    void eject(EndpointState& state, TimePoint now) const;

    config::OutlierDetectionConfig config_;
};

}  // namespace gantry::upstream
