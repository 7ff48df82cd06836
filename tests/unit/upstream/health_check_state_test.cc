#include <catch2/catch.hpp>

#include <gantry/upstream/health_check_state.h>

using gantry::config::HealthCheckConfig;
using gantry::upstream::EndpointState;
using gantry::upstream::is_expected_status;
using gantry::upstream::record_probe;
using gantry::upstream::start_health_checking;
using gantry::upstream::stop_health_checking;

namespace {

bool down(const EndpointState& state) {
    return (state.flags & EndpointState::kFailedHealthCheck) != 0;
}

}  // namespace

TEST_CASE("an endpoint starts down and the first successful probe brings it up",
          "[upstream][health_check]") {
    HealthCheckConfig config;
    EndpointState state("a");
    CHECK(start_health_checking(state));
    CHECK(down(state));
    CHECK_FALSE(start_health_checking(state));  // a reload keeps the state
    CHECK(record_probe(state, true, config));
    CHECK_FALSE(down(state));
}

TEST_CASE("a first failed probe keeps it down until healthy_threshold successes",
          "[upstream][health_check]") {
    HealthCheckConfig config;  // healthy 2, unhealthy 3
    EndpointState state("a");
    start_health_checking(state);
    CHECK_FALSE(record_probe(state, false, config));
    CHECK(down(state));
    CHECK_FALSE(record_probe(state, true, config));
    CHECK(down(state));
    CHECK(record_probe(state, true, config));
    CHECK_FALSE(down(state));
}

TEST_CASE("unhealthy_threshold consecutive failures take it down; a success in between resets",
          "[upstream][health_check]") {
    HealthCheckConfig config;
    EndpointState state("a");
    start_health_checking(state);
    record_probe(state, true, config);
    CHECK_FALSE(record_probe(state, false, config));
    CHECK_FALSE(record_probe(state, false, config));
    CHECK_FALSE(record_probe(state, true, config));
    CHECK_FALSE(record_probe(state, false, config));
    CHECK_FALSE(record_probe(state, false, config));
    CHECK_FALSE(down(state));
    CHECK(record_probe(state, false, config));
    CHECK(down(state));
    CHECK(state.health_check_failures == 5);
    // Back up after healthy_threshold (2) successes, a failure in between restarting the count.
    CHECK_FALSE(record_probe(state, true, config));
    CHECK_FALSE(record_probe(state, false, config));
    CHECK_FALSE(record_probe(state, true, config));
    CHECK(record_probe(state, true, config));
    CHECK_FALSE(down(state));
}

TEST_CASE("stopping health checks clears the verdict", "[upstream][health_check]") {
    HealthCheckConfig config;
    EndpointState state("a");
    start_health_checking(state);
    CHECK(stop_health_checking(state));
    CHECK_FALSE(down(state));
    CHECK_FALSE(stop_health_checking(state));
    CHECK(start_health_checking(state));  // checking again starts from down
}

TEST_CASE("expected statuses are inclusive ranges", "[upstream][health_check]") {
    HealthCheckConfig config;
    CHECK(is_expected_status(200, config));
    CHECK_FALSE(is_expected_status(204, config));
    config.expected_status = {{200, 399}, {418, 418}};
    CHECK(is_expected_status(302, config));
    CHECK(is_expected_status(418, config));
    CHECK_FALSE(is_expected_status(404, config));
}

TEST_CASE("parse_status_line reads an HTTP/1.x status code", "[upstream][health_check]") {
    using gantry::upstream::parse_status_line;
    CHECK(parse_status_line("HTTP/1.1 200 OK\r\n") == 200);
    CHECK(parse_status_line("HTTP/1.0 503 Service Unavailable\r\n") == 503);
    CHECK(parse_status_line("HTTP/1.1 204\r\n") == 204);
    CHECK(parse_status_line("HTTP/1.1 200") == 200);
    CHECK(parse_status_line("HTTP/2 200 OK\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.1 20 OK\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.1 2000 OK\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.x 200 OK\r\n") == -1);
    CHECK(parse_status_line("SSH-2.0-OpenSSH\r\n") == -1);
    CHECK(parse_status_line("") == -1);
}
