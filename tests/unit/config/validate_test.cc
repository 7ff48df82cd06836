#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using Errors = std::vector<std::string>;

TEST_CASE("duplicate listener, virtual host and cluster names point at both places", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
  - name: web
    listen: ["127.0.0.1:8081"]
    virtual_hosts: [site]
virtual_hosts:
  - name: site
    domains: ["a.example"]
  - name: site
    domains: ["b.example"]
clusters:
  - name: app
    endpoints: [{ address: "10.0.0.1:80" }]
  - name: app
    endpoints: [{ address: "10.0.0.2:80" }]
)") == Errors{"5:11: duplicate listener name `web` (first defined at test.yaml:2:11)",
              "11:11: duplicate virtual host name `site` (first defined at test.yaml:9:11)",
              "16:11: duplicate cluster name `app` (first defined at test.yaml:14:11)"});
}

TEST_CASE("a listen address may be used by one listener only", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: a
    listen: ["127.0.0.1:8080", "[::1]:8080"]
    virtual_hosts: [site]
  - name: b
    listen: ["127.0.0.1:8081", "127.0.0.1:8080"]
    virtual_hosts: [site]
  - name: c
    listen: ["[::1]:8080", "LOCALHOST:9000", "localhost:9000"]
    virtual_hosts: [site]
virtual_hosts:
  - name: site
    domains: ["*"]
)") == Errors{"6:32: listen address `127.0.0.1:8080` is already used by listener `a` at "
              "test.yaml:3:14",
              "9:14: listen address `[::1]:8080` is already used by listener `a` at "
              "test.yaml:3:32",
              "9:46: listen address `localhost:9000` is already used by listener `c` at "
              "test.yaml:9:28"});
}

TEST_CASE("a listener naming an undefined virtual host is an error at the name", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site, missing]
virtual_hosts:
  - name: site
    domains: ["*"]
)") == Errors{"4:27: listener `web` names virtual host `missing`, which is not defined"});
}

TEST_CASE("a route forwarding to an undefined cluster is an error at the cluster name",
          "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
virtual_hosts:
  - name: site
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: nowhere }
)") == Errors{"10:29: route forwards to cluster `nowhere`, which is not defined"});
}

TEST_CASE("a listener may have one default virtual host", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [a, b]
  - name: other
    listen: ["127.0.0.1:8081"]
    virtual_hosts: [a]
virtual_hosts:
  - name: a
    default: true
  - name: b
    default: true
)") == Errors{"4:24: listener `web` has more than one default virtual host: `a` and `b`"});
}

TEST_CASE("two virtual hosts of one listener may not serve the same domain", "[config]") {
    const std::string hosts = R"(virtual_hosts:
  - name: a
    domains: ["example.com", "*.example.com"]
  - name: b
    domains: ["Example.com"]
)";
    CHECK(errors_of(hosts + R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [a, b]
)") == Errors{"5:15: domain `example.com` of virtual host `b` is also served by `a` on "
              "listener `web`"});
    // On different listeners the same domain is fine.
    auto config = load_valid(hosts + R"(listeners:
  - name: one
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [a]
  - name: two
    listen: ["127.0.0.1:8081"]
    virtual_hosts: [b]
)");
    CHECK(config->listeners.size() == 2);
}
