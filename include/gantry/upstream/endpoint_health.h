#pragma once

// Process-wide health of a cluster's endpoints: what every worker must agree on.
//
// EndpointState is one endpoint (by address) of one cluster. Workers add their request outcomes
// to it (relaxed atomics: outlier detection must combine outcomes from every worker), and the
// main thread writes its verdicts (failed active health check, ejected) into `flags`, then bumps
// HealthRegistry::version so that each worker rebuilds its view of available endpoints on its
// next pick. A worker reads one atomic per pick while nothing changes.
//
// HealthRegistry is a member of ClusterShared: it hands out one EndpointState per address and
// keeps handing out the same one across reloads while some generation still uses it, so health,
// ejections and counters survive a reload. find_or_create() runs on the main thread only.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gantry::upstream {

struct alignas(64) EndpointState {
    enum Flag : uint8_t {
        kFailedHealthCheck = 1,  // active health check says down
        kEjected = 2,            // outlier detection ejected it
    };

    enum Tripped : uint8_t {
        kTripped5xx = 1,
        kTrippedGateway = 2,
    };

    explicit EndpointState(std::string address_text) : address(std::move(address_text)) {}

    bool is_usable() const { return flags.load(std::memory_order_relaxed) == 0; }

    const std::string address;

    // shared: written by every worker; outlier detection and the admin counters need the sum.
    std::atomic<uint64_t> requests{0};  // responses and local failures
    std::atomic<uint64_t> failures{0};  // 5xx responses and local (connect, reset) failures
    std::atomic<uint32_t> consecutive_5xx{0};
    std::atomic<uint32_t> consecutive_gateway{0};
    std::atomic<uint8_t> tripped{0};  // a consecutive threshold was crossed since the last sweep

    // Written by the main thread only; read by workers and the admin endpoint.
    std::atomic<uint8_t> flags{0};
    std::atomic<uint64_t> ejections{0};              // times ejected, ever
    std::atomic<uint64_t> health_check_failures{0};  // failed probes, ever

    // The main thread's bookkeeping for this endpoint (never touched by workers).
    struct MainThreadState {
        // Outlier detection.
        uint64_t seen_requests = 0;  // `requests` at the last sweep
        uint64_t seen_failures = 0;
        uint32_t times_ejected = 0;  // the ejection-time multiplier
        std::chrono::steady_clock::time_point ejected_until{};
        // Active health checking.
        bool is_checked = false;    // a health check has started on it (it starts down)
        bool has_answered = false;  // a probe finished since it started: one success suffices
        uint32_t successes = 0;     // consecutive, while down
        uint32_t failures = 0;      // consecutive, while up
    } main;
};

// One endpoint's counters and state at one moment, for /clusters and /metrics.
struct EndpointSnapshot {
    std::string address;
    uint64_t requests = 0;
    uint64_t failures = 0;
    uint64_t ejections = 0;
    uint64_t health_check_failures = 0;
    bool failed_health_check = false;
    bool ejected = false;
    bool healthy = true;  // neither of the two above
};

class HealthRegistry {
public:
    // The state of `address`: the one a current or earlier generation already uses, else new.
    std::shared_ptr<EndpointState> find_or_create(const std::string& address);

    // Called by the main thread after it changed any endpoint's flags.
    void publish() { version.fetch_add(1, std::memory_order_release); }

    // Workers compare it with the version they last built their view from.
    std::atomic<uint64_t> version{1};

private:
    std::map<std::string, std::weak_ptr<EndpointState>> states_;
};

// Reads `state` (any thread) for visibility.
EndpointSnapshot snapshot(const EndpointState& state);

}  // namespace gantry::upstream
