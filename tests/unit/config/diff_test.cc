#include <catch2/catch.hpp>

#include <gantry/config_diff.h>

#include "unit/config/config_test_helpers.h"

namespace gantry::config {

namespace {

const std::string kRunning = R"(workers: 2
listeners:
  - name: public
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [api]
  - name: old
    listen: ["127.0.0.1:8081"]
    virtual_hosts: [api]
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - match: { prefix: /v1 }
        forward: { cluster: a }
      - match: { path: /healthz }
        respond: { body: "ok" }
      - match: { prefix: /gone }
        respond: { status: 410 }
clusters:
  - name: a
    endpoints: [{ address: "127.0.0.1:9000" }]
  - name: b
    endpoints: [{ address: "127.0.0.1:9001" }]
)";

const std::string kNext = R"(workers: 4
listeners:
  - name: public
    listen: ["127.0.0.1:8090"]
    virtual_hosts: [api, www]
  - name: new
    listen: ["127.0.0.1:8082"]
    virtual_hosts: [api]
virtual_hosts:
  - name: api
    domains: ["api.example.com", "*.api.example.com"]
    routes:
      - match: { path: /healthz }
        respond: { body: "ok" }
      - match: { prefix: /v1 }
        forward: { cluster: c, timeout: 5s }
      - match: { prefix: /v2 }
        forward: { cluster: c }
  - name: www
    domains: ["www.example.com"]
    routes:
      - match: { prefix: / }
        respond: { body: "hi" }
clusters:
  - name: a
    endpoints: [{ address: "127.0.0.1:9000", weight: 2 }]
    lb: least_request
  - name: c
    endpoints: [{ address: "127.0.0.1:9002" }]
)";

}  // namespace

TEST_CASE("a config compared with itself has no changes", "[config][diff]") {
    auto config = testing::load_valid(kRunning);
    CHECK(diff_configs(*config, *config).empty());
    CHECK(format_changes({}) == "no changes\n");
}

TEST_CASE("the diff names every listener, host, route and cluster added, removed or changed",
          "[config][diff]") {
    auto running = testing::load_valid(kRunning);
    auto next = testing::load_valid(kNext);
    CHECK(format_changes(diff_configs(*running, *next)) == R"(~ setting workers: 2 -> 4
~ listener public
    listen: [127.0.0.1:8080] -> [127.0.0.1:8090]
    virtual_hosts: [api] -> [api, www]
+ listener new
    listen: [127.0.0.1:8082]
- listener old
~ virtual host api
    domains: [api.example.com] -> [api.example.com, *.api.example.com]
    route order: [prefix /v1, path /healthz] -> [path /healthz, prefix /v1]
~ route api: prefix /v1
    forward.cluster: a -> c
    forward.timeout: 15s -> 5s
+ route api: prefix /v2
    forward.cluster: c
- route api: prefix /gone
+ virtual host www
    domains: [www.example.com]
~ cluster a
    endpoints: [127.0.0.1:9000] -> [127.0.0.1:9000 weight=2]
    lb: round_robin -> least_request
+ cluster c
    endpoints: [127.0.0.1:9002]
- cluster b
)");
}

TEST_CASE("a route whose action changes kind lists the fields on both sides", "[config][diff]") {
    auto running = testing::load_valid(kRunning);
    std::string text = kRunning;
    text.replace(text.find("respond: { status: 410 }"), 24,
                 "redirect: { scheme: https, status: 308 }");
    auto next = testing::load_valid(text);
    auto changes = diff_configs(*running, *next);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ConfigChange::Kind::Changed);
    CHECK(changes[0].name == "api: prefix /gone");
    CHECK(changes[0].details == std::vector<std::string>{
                                    "redirect.status: none -> 308",
                                    "redirect.scheme: none -> https",
                                    "redirect.host: none -> ",
                                    "redirect.port: none -> 0",
                                    "redirect.path: none -> ",
                                    "redirect.strip_query: none -> false",
                                    "respond.status: 410 -> none",
                                    "respond.body: \"\" -> none",
                                    "respond.content_type: text/plain -> none",
                                });
}

TEST_CASE("routes with the same match are told apart by their position", "[config][diff]") {
    std::string text = kRunning;
    text.replace(text.find("prefix: /gone"), 13, "prefix: /v1");
    auto running = testing::load_valid(text);
    std::string next_text = text;
    next_text.replace(next_text.find("status: 410"), 11, "status: 404");
    auto changes = diff_configs(*running, *testing::load_valid(next_text));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].name == "api: prefix /v1 #2");
    CHECK(changes[0].details == std::vector<std::string>{"respond.status: 410 -> 404"});
}

namespace {

// A cluster with every key of the health work, for the tests below to change one by one.
const std::string kHealthRunning = R"(node: { zone: a }
listeners:
  - name: public
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [api]
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: h }
clusters:
  - name: h
    endpoints:
      - { address: "127.0.0.1:9000", zone: a }
      - { address: "127.0.0.1:9001", zone: b, priority: 1 }
    lb: ring_hash
    ring_hash: { min_ring_size: 2048 }
    hash_on: "header:x-user"
    zone_aware: { min_cluster_size: 2, fleet: { a: 1, b: 1 } }
    dns_refresh: 10s
    health_check: { path: /health, interval: 2s, unhealthy_threshold: 2 }
    outlier_detection: { consecutive_5xx: 3, interval: 1s }
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

std::vector<std::string> cluster_details(const std::string& running, const std::string& next) {
    auto changes = diff_configs(*testing::load_valid(running), *testing::load_valid(next));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ConfigChange::Kind::Changed);
    CHECK(changes[0].what == "cluster");
    return changes[0].details;
}

const std::string kTrafficRunning = R"(listeners:
  - { name: web, listen: ["127.0.0.1:8080"], virtual_hosts: [site] }
  - name: edge
    listen: ["127.0.0.1:8443"]
    mode: tls_passthrough
    sni_routes: [{ server_names: [a.example], cluster: a }]
virtual_hosts:
  - name: site
    domains: ["*"]
    routes:
      - match: { prefix: /v1/ }
        forward:
          weighted: [{ cluster: a, weight: 90 }, { cluster: b, weight: 10 }]
          retries: { attempts: 2, on: [5xx] }
      - match: { prefix: / }
        forward: { cluster: a, mirror: { cluster: b, percent: 5 } }
clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
  - name: b
    endpoints: [{ address: "10.0.0.2:80" }]
    tls: { sni: b.internal }
)";

const std::string kTrafficNext = R"(listeners:
  - { name: web, listen: ["127.0.0.1:8080"], virtual_hosts: [site] }
  - name: edge
    listen: ["127.0.0.1:8443"]
    mode: tls_passthrough
    sni_routes: [{ server_names: [a.example, "*.b.example"], cluster: a }]
    default_cluster: b
virtual_hosts:
  - name: site
    domains: ["*"]
    routes:
      - match: { prefix: /v1/ }
        forward:
          weighted: [{ cluster: a, weight: 50 }, { cluster: b, weight: 50 }]
          rewrite_regex: { pattern: "^/v1/", substitution: "/" }
          retries:
            attempts: 3
            on: [5xx, reset]
            retriable_status: [429]
            backoff: { base: 10ms }
            budget: { percent: 20, min_concurrency: 3 }
      - match: { prefix: / }
        forward: { cluster: a, timeout: 3s }
clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    circuit_breakers: { max_requests: 100, max_retries: 5 }
  - name: b
    endpoints: [{ address: "10.0.0.2:80" }]
    tls: { sni: b.internal, verify: false }
)";

}  // namespace

TEST_CASE("a cluster's balancer, hashing, zone, DNS and endpoint settings are compared",
          "[config][diff]") {
    CHECK(diff_configs(*testing::load_valid(kHealthRunning), *testing::load_valid(kHealthRunning))
              .empty());
    CHECK(cluster_details(kHealthRunning,
                          replaced(kHealthRunning, "min_ring_size: 2048", "min_ring_size: 4096")) ==
          std::vector<std::string>{"ring_hash.min_ring_size: 2048 -> 4096"});
    CHECK(
        cluster_details(kHealthRunning, replaced(kHealthRunning, "header:x-user", "cookie:sid")) ==
        std::vector<std::string>{"hash_on: header:x-user -> cookie:sid"});
    std::string maglev = replaced(kHealthRunning, "    ring_hash: { min_ring_size: 2048 }\n", "");
    maglev = replaced(maglev, "lb: ring_hash", "lb: maglev");
    CHECK(cluster_details(kHealthRunning, replaced(maglev, "\"header:x-user\"", "source_ip")) ==
          std::vector<std::string>{"lb: ring_hash -> maglev",
                                   "ring_hash.min_ring_size: 2048 -> 1024",
                                   "hash_on: header:x-user -> source_ip"});
    CHECK(cluster_details(kHealthRunning,
                          replaced(kHealthRunning, "dns_refresh: 10s", "dns_refresh: 30s")) ==
          std::vector<std::string>{"dns_refresh: 10s -> 30s"});
    CHECK(cluster_details(kHealthRunning, replaced(kHealthRunning, "zone: b, priority: 1",
                                                   "zone: c, priority: 2")) ==
          std::vector<std::string>{"endpoints: [127.0.0.1:9000 zone=a, 127.0.0.1:9001 zone=b "
                                   "priority=1] -> [127.0.0.1:9000 zone=a, 127.0.0.1:9001 "
                                   "zone=c priority=2]"});
    CHECK(cluster_details(kHealthRunning,
                          replaced(kHealthRunning, "min_cluster_size: 2, fleet: { a: 1, b: 1 }",
                                   "min_cluster_size: 3, fleet: { a: 2, b: 1 }")) ==
          std::vector<std::string>{"zone_aware.min_cluster_size: 2 -> 3",
                                   "zone_aware.fleet: [a=1, b=1] -> [a=2, b=1]"});
    CHECK(cluster_details(
              kHealthRunning,
              replaced(kHealthRunning,
                       "    zone_aware: { min_cluster_size: 2, fleet: { a: 1, b: 1 } }\n", "")) ==
          std::vector<std::string>{"zone_aware.enabled: true -> false",
                                   "zone_aware.min_cluster_size: 2 -> none",
                                   "zone_aware.fleet: [a=1, b=1] -> none"});
}

TEST_CASE("a cluster's health check and outlier detection are compared key by key",
          "[config][diff]") {
    CHECK(cluster_details(kHealthRunning,
                          replaced(kHealthRunning, "path: /health, interval: 2s",
                                   "path: /ready, interval: 3s, expected_status: [\"200-399\"]")) ==
          std::vector<std::string>{"health_check.path: /health -> /ready",
                                   "health_check.expected_status: [200] -> [200-399]",
                                   "health_check.interval: 2s -> 3s"});
    CHECK(cluster_details(kHealthRunning,
                          replaced(kHealthRunning, "consecutive_5xx: 3, interval: 1s",
                                   "consecutive_5xx: 4, interval: 1s, max_ejection_percent: 50, "
                                   "failure_percentage: { threshold: 90 }")) ==
          std::vector<std::string>{
              "outlier_detection.consecutive_5xx: 3 -> 4",
              "outlier_detection.max_ejection_percent: 10 -> 50",
              "outlier_detection.failure_percentage.threshold: none -> 90",
              "outlier_detection.failure_percentage.min_hosts: none -> 5",
              "outlier_detection.failure_percentage.request_volume: none -> 50"});
    // Turning a section off lists each of its keys going to none.
    std::string off = replaced(kHealthRunning,
                               "    health_check: { path: /health, interval: 2s, "
                               "unhealthy_threshold: 2 }\n",
                               "");
    auto details = cluster_details(kHealthRunning, off);
    REQUIRE(details.size() == 9);
    CHECK(details.front() == "health_check.type: http -> none");
    CHECK(details.back() == "health_check.unhealthy_threshold: 2 -> none");
}

TEST_CASE("a listener's protocols and a cluster's protocol are compared", "[config][diff]") {
    std::string next = replaced(kHealthRunning, "listen: [\"127.0.0.1:8080\"]",
                                "listen: [\"127.0.0.1:8080\"]\n    protocols: [http1, http2]");
    next = replaced(next, "dns_refresh: 10s", "dns_refresh: 10s\n    protocol: http2");
    auto changes = diff_configs(*testing::load_valid(kHealthRunning), *testing::load_valid(next));
    CHECK(format_changes(changes) == R"(~ listener public
    protocols: [http1] -> [http1, http2]
~ cluster h
    protocol: http1 -> http2
)");
}

TEST_CASE("the diff reports traffic-management and TLS changes field by field", "[config][diff]") {
    auto running = testing::load_valid(kTrafficRunning);
    auto next = testing::load_valid(kTrafficNext);
    CHECK(diff_configs(*next, *next).empty());
    CHECK(format_changes(diff_configs(*running, *next)) == R"(~ listener edge
    sni_routes: [[a.example]=a] -> [[a.example, *.b.example]=a]
    default_cluster: none -> b
~ route site: prefix /v1/
    forward.weighted: [a=90, b=10] -> [a=50, b=50]
    forward.rewrite_regex.pattern: none -> "^/v1/"
    forward.rewrite_regex.substitution: none -> "/"
    forward.retries.attempts: 2 -> 3
    forward.retries.on: [5xx] -> [5xx, reset]
    forward.retries.retriable_status: [] -> [429]
    forward.retries.backoff: 25ms..250ms -> 10ms..100ms
    forward.retries.budget: none -> 20% min 3
~ route site: prefix /
    forward.timeout: 15s -> 3s
    forward.mirror.cluster: b -> none
    forward.mirror.percent: 5 -> none
~ cluster a
    circuit_breakers.max_requests: 1024 -> 100
    circuit_breakers.max_retries: 3 -> 5
~ cluster b
    tls.verify: true -> false
)");
}

TEST_CASE("the diff reports a cluster gaining or losing upstream TLS", "[config][diff]") {
    std::string with_tls = kTrafficRunning;
    std::string without_tls = with_tls;
    without_tls.replace(without_tls.find("    tls: { sni: b.internal }\n"), 29, "");
    auto changes = diff_configs(*testing::load_valid(without_tls), *testing::load_valid(with_tls));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].name == "b");
    CHECK(changes[0].details == std::vector<std::string>{
                                    "tls.sni: none -> b.internal",
                                    "tls.ca: none -> system",
                                    "tls.verify: none -> true",
                                });
}

}  // namespace gantry::config
