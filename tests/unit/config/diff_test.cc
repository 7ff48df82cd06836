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
