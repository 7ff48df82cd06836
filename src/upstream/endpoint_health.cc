#include <gantry/upstream/endpoint_health.h>

namespace gantry::upstream {

std::shared_ptr<EndpointState> HealthRegistry::find_or_create(const std::string& address) {
    std::weak_ptr<EndpointState>& slot = states_[address];
    std::shared_ptr<EndpointState> state = slot.lock();
    if (!state) {
        state = std::make_shared<EndpointState>(address);
        slot = state;
    }
    // Forget addresses no generation uses any more, so the map does not grow over reloads.
    for (auto it = states_.begin(); it != states_.end();) {
        it = it->second.expired() ? states_.erase(it) : std::next(it);
    }
    return state;
}

EndpointSnapshot snapshot(const EndpointState& state) {
    constexpr auto relaxed = std::memory_order_relaxed;
    EndpointSnapshot out;
    out.address = state.address;
    out.requests = state.requests.load(relaxed);
    out.failures = state.failures.load(relaxed);
    out.ejections = state.ejections.load(relaxed);
    out.health_check_failures = state.health_check_failures.load(relaxed);
    const uint8_t flags = state.flags.load(relaxed);
    out.failed_health_check = (flags & EndpointState::kFailedHealthCheck) != 0;
    out.ejected = (flags & EndpointState::kEjected) != 0;
    out.healthy = flags == 0;
    return out;
}

}  // namespace gantry::upstream
