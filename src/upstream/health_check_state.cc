#include <gantry/upstream/health_check_state.h>

namespace gantry::upstream {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr uint8_t kFailed = EndpointState::kFailedHealthCheck;

bool is_down(const EndpointState& state) {
    return (state.flags.load(kRelaxed) & kFailed) != 0;
}

void set_down(EndpointState& state, bool down) {
    if (down) {
        state.flags.fetch_or(kFailed, kRelaxed);
    } else {
        state.flags.fetch_and(static_cast<uint8_t>(~kFailed), kRelaxed);
    }
}

}  // namespace

bool start_health_checking(EndpointState& state) {
    if (state.main.is_checked) {
        return false;
    }
    state.main = {.seen_requests = state.main.seen_requests,
                  .seen_failures = state.main.seen_failures,
                  .times_ejected = state.main.times_ejected,
                  .ejected_until = state.main.ejected_until,
                  .is_checked = true};
    const bool changed = !is_down(state);
    set_down(state, true);
    return changed;
}

bool stop_health_checking(EndpointState& state) {
    if (!state.main.is_checked) {
        return false;
    }
    state.main.is_checked = false;
    state.main.has_answered = false;
    const bool changed = is_down(state);
    set_down(state, false);
    return changed;
}

bool record_probe(EndpointState& state, bool success, const config::HealthCheckConfig& config) {
    EndpointState::MainThreadState& m = state.main;
    const bool first = !m.has_answered;
    m.has_answered = true;
    if (success) {
        m.failures = 0;
        if (!is_down(state)) {
            return false;
        }
        if (first || ++m.successes >= config.healthy_threshold) {
            m.successes = 0;
            set_down(state, false);
            return true;
        }
        return false;
    }
    state.health_check_failures.fetch_add(1, kRelaxed);
    m.successes = 0;
    if (is_down(state)) {
        return false;
    }
    if (++m.failures >= config.unhealthy_threshold) {
        m.failures = 0;
        set_down(state, true);
        return true;
    }
    return false;
}

int parse_status_line(std::string_view line) {
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' ||
        line[8] != ' ') {
        return -1;
    }
    int status = 0;
    for (size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') {
            return -1;
        }
        status = status * 10 + (line[i] - '0');
    }
    // The code is followed by a space (and a reason) or ends the line.
    return line.size() == 12 || line[12] == ' ' || line[12] == '\r' ? status : -1;
}

bool is_expected_status(int status, const config::HealthCheckConfig& config) {
    for (const auto& [low, high] : config.expected_status) {
        if (status >= low && status <= high) {
            return true;
        }
    }
    return false;
}

}  // namespace gantry::upstream
