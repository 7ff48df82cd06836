#pragma once

// The active health check's state machine for one endpoint, as Envoy's: an endpoint starts down
// when checking begins (traffic still reaches it through panic mode until the first answer),
// the first successful probe brings it up, and after that it goes down after
// `unhealthy_threshold` consecutive failed probes and up after `healthy_threshold` consecutive
// successful ones. The verdict is the EndpointState's kFailedHealthCheck flag. Pure; main
// thread only.

#include <string_view>

#include <gantry/config.h>
#include <gantry/upstream/endpoint_health.h>

namespace gantry::upstream {

// Marks `state` down if checking has not started on it yet. Returns true when a flag changed.
bool start_health_checking(EndpointState& state);

// Clears what checking left (the cluster's health_check was removed). Returns true when a flag
// changed.
bool stop_health_checking(EndpointState& state);

// Records one probe's result. Returns true when the endpoint went up or down.
bool record_probe(EndpointState& state, bool success, const config::HealthCheckConfig& config);

// The status of an HTTP/1.x status line ("HTTP/1.1 200 OK\r\n" -> 200); -1 when `line` is not
// one. Reads what a health-checked upstream sent: any bytes.
int parse_status_line(std::string_view line);

// True when `status` is one of the expected ranges.
bool is_expected_status(int status, const config::HealthCheckConfig& config);

}  // namespace gantry::upstream
