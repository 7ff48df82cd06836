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

TEST_CASE("http2 upstreams are refused for now and unknown balancers are named", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    protocol: http2
  - name: c
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: fastest
)") == Errors{"4:15: protocol: http2 is not supported yet",
              "7:9: lb: unknown value `fastest`: expected one of round_robin, least_request, "
              "random, ring_hash, maglev"});
}

TEST_CASE("hash balancers read hash_on and the ring size", "[config]") {
    auto config = load_valid(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: ring_hash
    ring_hash: { min_ring_size: 4096 }
    hash_on: header:X-User-Id
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: maglev
    hash_on: cookie:session
  - name: c
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: maglev
    hash_on: source_ip
  - name: d
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: ring_hash
    hash_on: path
)" + kListenerAndHost);
    REQUIRE(config->clusters.size() == 4);
    CHECK(config->clusters[0].lb == LbPolicy::RingHash);
    CHECK(config->clusters[0].ring_hash_min_ring_size == 4096);
    CHECK(config->clusters[0].hash_on.kind == HashOn::Kind::Header);
    CHECK(config->clusters[0].hash_on.name == "x-user-id");
    CHECK(config->clusters[1].lb == LbPolicy::Maglev);
    CHECK(config->clusters[1].hash_on.kind == HashOn::Kind::Cookie);
    CHECK(config->clusters[1].hash_on.name == "session");
    CHECK(config->clusters[2].hash_on.kind == HashOn::Kind::SourceIp);
    CHECK(config->clusters[3].hash_on.kind == HashOn::Kind::Path);
    CHECK(config->clusters[3].ring_hash_min_ring_size == 1024);
}

TEST_CASE("hash_on and ring_hash settings need a hash balancer and a valid key", "[config]") {
    CHECK(errors_of(R"(clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    hash_on: path
    ring_hash: { min_ring_size: 0 }
  - name: b
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: maglev
    hash_on: "header:"
  - name: c
    endpoints: [{ address: "10.0.0.1:80" }]
    lb: maglev
    hash_on: query:x
)") == Errors{
           "4:14: `hash_on` needs `lb: ring_hash` or `lb: maglev`",
           "5:16: `ring_hash` settings need `lb: ring_hash`",
           "5:33: min_ring_size: must be between 1 and 8388608, got 0",
           "9:14: expected `header:NAME`, `cookie:NAME`, `source_ip` or `path`, got `header:`",
           "13:14: expected `header:NAME`, `cookie:NAME`, `source_ip` or `path`, got `query:x`"});
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
    tls: { sni: a }
    circuit_breakers: {}
    outlier_detection: {}
    health_check: { path: / }
    dns_refresh: 30s
)") == Errors{"4:5: `tls` is not supported yet", "5:5: `circuit_breakers` is not supported yet",
              "6:5: `outlier_detection` is not supported yet",
              "7:5: `health_check` is not supported yet",
              "8:5: `dns_refresh` is not supported yet"});
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
