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

TEST_CASE("ring_hash, maglev and http2 upstreams are refused for now", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: ring_hash
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: maglev
    protocol: http2
  - name: c
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: fastest
)") == Errors{"4:9: lb: ring_hash is not supported yet", "7:9: lb: maglev is not supported yet",
              "8:15: protocol: http2 is not supported yet",
              "11:9: lb: unknown value `fastest`: expected one of round_robin, least_request, "
              "random"});
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

TEST_CASE("keys of later cluster features are refused with their position", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    circuit_breakers: {}
    outlier_detection: {}
    health_check: { path: / }
    dns_refresh: 30s
    hash_on: source_ip
    zone_aware: { enabled: true }
)") == Errors{"4:5: `circuit_breakers` is not supported yet",
              "5:5: `outlier_detection` is not supported yet",
              "6:5: `health_check` is not supported yet", "7:5: `dns_refresh` is not supported yet",
              "8:5: `hash_on` is not supported yet", "9:5: `zone_aware` is not supported yet"});
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
