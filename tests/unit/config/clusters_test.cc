#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using namespace std::chrono_literals;
using Errors = std::vector<std::string>;

TEST_CASE("a cluster is read with endpoints, balancing, protocol, timeouts and pool", "[config]") {
    auto config = load_valid(R"(clusters:
  - name: api
    endpoints:
      - { address: "10.0.0.1:8080", weight: 3, zone: us-east-1a }
      - { address: "api.internal:8080" }
      - { address: "[fd00::1]:80" }
    lb: least_request
    least_request: { choices: 3 }
    protocol: http1
    connect_timeout: 250ms
    pool: { max_idle_per_endpoint: 0, idle_timeout: 30s }
)" + kListenerAndHost);
    REQUIRE(config->clusters.size() == 1);
    const ClusterConfig& cluster = config->clusters[0];
    CHECK(cluster.name == "api");
    REQUIRE(cluster.endpoints.size() == 3);
    CHECK(cluster.endpoints[0].address.host == "10.0.0.1");
    CHECK(cluster.endpoints[0].address.port == 8080);
    CHECK(cluster.endpoints[0].weight == 3);
    CHECK(cluster.endpoints[0].zone == "us-east-1a");
    CHECK(cluster.endpoints[1].address.host == "api.internal");
    CHECK(cluster.endpoints[1].weight == 1);
    CHECK(cluster.endpoints[1].zone.empty());
    CHECK(cluster.endpoints[2].address.host == "fd00::1");
    CHECK(cluster.lb == LbPolicy::LeastRequest);
    CHECK(cluster.least_request_choices == 3);
    CHECK(cluster.protocol == Protocol::Http1);
    CHECK(cluster.connect_timeout == 250ms);
    CHECK(cluster.pool.max_idle_per_endpoint == 0);
    CHECK(cluster.pool.idle_timeout == 30s);
    CHECK(cluster.dns_refresh == 5s);
}

TEST_CASE("cluster defaults are round robin over http1 with a 1s connect timeout", "[config]") {
    auto config = load_valid(R"(clusters:
  - name: api
    endpoints: [{ address: "10.0.0.1:80" }]
)" + kListenerAndHost);
    const ClusterConfig& cluster = config->clusters[0];
    CHECK(cluster.lb == LbPolicy::RoundRobin);
    CHECK(cluster.least_request_choices == 2);
    CHECK(cluster.protocol == Protocol::Http1);
    CHECK(cluster.connect_timeout == 1s);
    CHECK(cluster.pool.max_idle_per_endpoint == 64);
    CHECK(cluster.pool.idle_timeout == 60s);
    CHECK(load_valid("clusters: [{ name: b, endpoints: [{ address: \"10.0.0.1:80\" }], lb: "
                     "random }]\n" +
                     kListenerAndHost)
              ->clusters[0]
              .lb == LbPolicy::Random);
}

TEST_CASE("a cluster needs endpoints", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: empty
    endpoints: []
  - name: none
)") == Errors{"3:16: cluster has no endpoints", "4:5: missing `endpoints` in cluster"});
}

TEST_CASE("endpoints need a valid address and a weight of at least 1", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: api
    endpoints:
      - { address: "10.0.0.1:80", weight: 0 }
      - { address: "10.0.0.300:80" }
      - { address: "10.0.0.1:80" }
      - { weight: 2 }
      - "10.0.0.2:80"
)") == Errors{
           "4:43: weight: must be between 1 and 65535, got 0",
           "5:20: address: invalid address `10.0.0.300:80`: expected HOST:PORT with an IP "
           "address or a name and a port 1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, "
           "api.internal:8080)",
           "6:20: address `10.0.0.1:80` is listed twice in this cluster",
           "7:9: missing `address` in endpoint",
           "8:9: expected a mapping for endpoint, got a string",
       });
}

TEST_CASE("protocol is http1 or http2 and unknown balancers are named", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    protocol: h3
  - name: c
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: fastest
)") == Errors{"4:15: protocol: unknown value `h3`: expected one of http1, http2",
              "7:9: lb: unknown value `fastest`: expected one of round_robin, least_request, "
              "random, ring_hash, maglev"});
}

TEST_CASE("least_request settings need the least_request balancer and 2 or more choices",
          "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    least_request: { choices: 2 }
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: least_request
    least_request: { choices: 1 }
)") == Errors{"4:20: `least_request` settings need `lb: least_request`",
              "8:31: choices: must be between 2 and 100, got 1"});
}

TEST_CASE("cluster timeouts must be positive", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    connect_timeout: 0
    pool: { idle_timeout: 0s, max_idle_per_endpoint: -1 }
)") == Errors{"4:22: connect_timeout: must be greater than 0",
              "5:27: idle_timeout: must be greater than 0",
              "5:54: max_idle_per_endpoint: must not be negative, got `-1`"});
}

TEST_CASE("dns_refresh must be positive", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    tls: { sni: a }
    dns_refresh: 0s
)") == Errors{"5:18: dns_refresh: must be greater than 0"});
}

TEST_CASE("health_check is read with its defaults", "[config]") {
    auto config = load_valid(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    health_check:
      path: /health
      host: api.internal
      interval: 5s
      interval_jitter: 500ms
      timeout: 1s
      healthy_threshold: 2
      unhealthy_threshold: 3
      expected_status: ["200-399", 418]
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    health_check: { type: tcp }
  - name: c
    endpoints: [{ address: "10.0.0.1:80" }]
)" + kListenerAndHost);
    const auto& a = *config->clusters[0].health_check;
    CHECK(a.kind == HealthCheckConfig::Kind::Http);
    CHECK(a.path == "/health");
    CHECK(a.host == "api.internal");
    CHECK(a.interval == 5s);
    CHECK(a.interval_jitter == 500ms);
    CHECK(a.timeout == 1s);
    CHECK(a.healthy_threshold == 2);
    CHECK(a.unhealthy_threshold == 3);
    CHECK(a.expected_status == std::vector<std::pair<int, int>>{{200, 399}, {418, 418}});
    const auto& b = *config->clusters[1].health_check;
    CHECK(b.kind == HealthCheckConfig::Kind::Tcp);
    CHECK(b.path == "/");
    CHECK(b.host.empty());
    CHECK(b.interval == 5s);
    CHECK(b.interval_jitter == 0ms);
    CHECK(b.timeout == 1s);
    CHECK(b.expected_status == std::vector<std::pair<int, int>>{{200, 200}});
    CHECK_FALSE(config->clusters[2].health_check);
}

TEST_CASE("health_check rejects bad paths, statuses and HTTP keys on a TCP check", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    health_check: { path: health, expected_status: ["600", "300-200", x], healthy_threshold: 0 }
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    health_check: { type: tcp, path: /h, timeout: 0s }
)") == Errors{"4:27: path: expected a path starting with `/` (no spaces), got `health`",
              "4:53: expected_status: expected a status 100-599 or a range like `200-399`, got "
              "`600`",
              "4:60: expected_status: expected a status 100-599 or a range like `200-399`, got "
              "`300-200`",
              "4:71: expected_status: expected a status 100-599 or a range like `200-399`, got "
              "`x`",
              "4:94: healthy_threshold: must be between 1 and 1000000, got 0",
              "7:38: `path` needs `type: http`", "7:51: timeout: must be greater than 0"});
}

TEST_CASE("outlier_detection is read with Envoy's defaults", "[config]") {
    auto config = load_valid(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    outlier_detection: {}
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    outlier_detection:
      consecutive_5xx: 0
      consecutive_gateway_errors: 4
      interval: 1s
      base_ejection_time: 10s
      max_ejection_time: 60s
      max_ejection_percent: 50
      success_rate: { min_hosts: 3, request_volume: 20, stdev_factor: 2.5 }
      failure_percentage: { threshold: 90, min_hosts: 2, request_volume: 10 }
  - name: c
    endpoints: [{ address: "10.0.0.1:80" }]
    outlier_detection: { consecutive_gateway_errors: 5, success_rate: { enabled: false } }
)" + kListenerAndHost);
    const auto& a = *config->clusters[0].outlier_detection;
    CHECK(a.consecutive_5xx == 5);
    CHECK(a.consecutive_gateway_errors == 0);
    CHECK(a.interval == 10s);
    CHECK(a.base_ejection_time == 30s);
    CHECK(a.max_ejection_time == 300s);
    CHECK(a.max_ejection_percent == 10);
    CHECK(a.success_rate);
    CHECK(a.success_rate_min_hosts == 5);
    CHECK(a.success_rate_request_volume == 100);
    CHECK(a.success_rate_stdev_factor == Approx(1.9));
    CHECK_FALSE(a.failure_percentage);
    const auto& b = *config->clusters[1].outlier_detection;
    CHECK(b.consecutive_5xx == 0);
    CHECK(b.consecutive_gateway_errors == 4);
    CHECK(b.interval == 1s);
    CHECK(b.base_ejection_time == 10s);
    CHECK(b.max_ejection_time == 60s);
    CHECK(b.max_ejection_percent == 50);
    CHECK(b.success_rate_min_hosts == 3);
    CHECK(b.success_rate_request_volume == 20);
    CHECK(b.success_rate_stdev_factor == Approx(2.5));
    CHECK(b.failure_percentage);
    CHECK(b.failure_percentage_threshold == 90);
    CHECK(b.failure_percentage_min_hosts == 2);
    CHECK(b.failure_percentage_request_volume == 10);
    const auto& c = *config->clusters[2].outlier_detection;
    CHECK(c.consecutive_gateway_errors == 5);
    CHECK_FALSE(c.success_rate);
    CHECK_FALSE(config->clusters[0].health_check);
}

TEST_CASE("outlier_detection rejects out-of-range values", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    outlier_detection:
      max_ejection_percent: 101
      interval: 0s
      success_rate: { stdev_factor: lots }
      failure_percentage: { threshold: 200 }
)") == Errors{"5:29: max_ejection_percent: must be between 0 and 100, got 101",
              "6:17: interval: must be greater than 0",
              "7:37: stdev_factor: expected a number between 0.0 and 100, got `lots`",
              "8:40: threshold: must be between 0 and 100, got 200"});
}

TEST_CASE("zone_aware and endpoint priorities are read with Envoy's defaults", "[config]") {
    auto config = load_valid(R"(clusters:
  - name: a
    endpoints:
      - { address: "10.0.0.1:80", zone: us-east-1a }
      - { address: "10.0.0.2:80", zone: us-east-1b, priority: 1 }
    zone_aware:
      min_cluster_size: 2
      fleet: { us-east-1a: 3, us-east-1b: 2 }
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
)" + kListenerAndHost);
    const ClusterConfig& a = config->clusters[0];
    CHECK(a.endpoints[0].priority == 0);
    CHECK(a.endpoints[1].priority == 1);
    CHECK(a.zone_aware.enabled);
    CHECK(a.zone_aware.min_cluster_size == 2);
    CHECK(a.zone_aware.fleet ==
          std::map<std::string, uint32_t>{{"us-east-1a", 3}, {"us-east-1b", 2}});
    const ClusterConfig& b = config->clusters[1];
    CHECK_FALSE(b.zone_aware.enabled);
    CHECK(b.zone_aware.min_cluster_size == 6);
    CHECK(b.zone_aware.fleet.empty());
}

TEST_CASE("zone_aware rejects bad counts and priorities", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80", priority: 200 }]
    zone_aware: { enabled: maybe, fleet: { a: 0 }, size: 1 }
)") == Errors{"3:53: priority: must be between 0 and 127, got 200",
              "4:28: enabled: expected true or false, got `maybe`",
              "4:47: must be between 1 and 1000000, got 0",
              "4:52: unknown key `size` in zone_aware"});
}

TEST_CASE("circuit breakers default to Envoy's thresholds and read overrides", "[config]") {
    auto config = load_valid(kListenerAndHost + R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    circuit_breakers: { max_connections: 10, max_pending: 0, max_requests: 5, max_retries: 1 }
)");
    const CircuitBreakerConfig& defaults = config->clusters[0].circuit_breakers;
    CHECK(defaults.max_connections == 1024);
    CHECK(defaults.max_pending == 1024);
    CHECK(defaults.max_requests == 1024);
    CHECK(defaults.max_retries == 3);
    const CircuitBreakerConfig& set = config->clusters[1].circuit_breakers;
    CHECK(set.max_connections == 10);
    CHECK(set.max_pending == 0);
    CHECK(set.max_requests == 5);
    CHECK(set.max_retries == 1);
    CHECK(errors_of(kListenerAndHost + R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    circuit_breakers: { max_request: 5 }
)") == Errors{"14:25: unknown key `max_request` in circuit_breakers (did you mean "
              "`max_requests`?)"});
}

TEST_CASE("a cluster's tls section is read and its files checked", "[config][tls]") {
    auto config = load_valid(kListenerAndHost + R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:443" }]
    tls: { sni: api.internal, verify: false }
)");
    REQUIRE(config->clusters[0].tls);
    CHECK(config->clusters[0].tls->sni == "api.internal");
    CHECK_FALSE(config->clusters[0].tls->verify);
    CHECK(config->clusters[0].tls->ca.empty());
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:443" }]
    tls: { ca: /nonexistent/ca.pem, cert: /nonexistent/c.pem, verify: maybe }
)") == Errors{"4:10: tls needs both `cert` and `key` for a client certificate",
              "4:16: ca: cannot read `/nonexistent/ca.pem`: No such file or directory",
              "4:71: verify: expected true or false, got `maybe`"});
}
