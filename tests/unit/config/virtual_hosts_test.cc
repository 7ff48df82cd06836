#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using Errors = std::vector<std::string>;

namespace {

// A listener for the virtual hosts below; it is appended after them.
const std::string kWeb = R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
)";

}  // namespace

TEST_CASE("domains are lower-cased and keep their wildcard forms", "[config]") {
    auto config = load_valid(R"(virtual_hosts:
  - name: site
    domains: ["API.Example.com", "*.Example.COM", "www.*", "*", "10.0.0.1", "[::1]"]
)" + kWeb);
    REQUIRE(config->virtual_hosts.size() == 1);
    const VirtualHostConfig& host = config->virtual_hosts[0];
    CHECK(host.name == "site");
    CHECK(host.domains == std::vector<std::string>{"api.example.com", "*.example.com", "www.*", "*",
                                                   "10.0.0.1", "[::1]"});
    CHECK_FALSE(host.is_default);
    CHECK(host.routes.empty());
}

TEST_CASE("domains with ports, inner wildcards or bad names are refused", "[config]") {
    CHECK(errors_of(R"(virtual_hosts:
  - name: site
    domains: ["example.com:80", "a.*.com", "*example.com", "bad name", "example.com",
              "EXAMPLE.com"]
)" + kWeb) == Errors{
                  "3:15: domains: `example.com:80` must not include a port (the Host header is "
                  "matched without its port)",
                  "3:33: domains: `a.*.com` may only have `*` as its first or last label "
                  "(`*.example.com`, `api.*`)",
                  "3:44: domains: `*example.com` may only have `*` as its first or last label "
                  "(`*.example.com`, `api.*`)",
                  "3:60: domains: `bad name` is not a valid host name",
                  "4:15: domains: `EXAMPLE.com` is listed twice",
              });
}

TEST_CASE("a virtual host without domains must be the default", "[config]") {
    auto config = load_valid(R"(virtual_hosts:
  - name: site
    default: true
)" + kWeb);
    CHECK(config->virtual_hosts[0].is_default);
    CHECK(config->virtual_hosts[0].domains.empty());

    CHECK(errors_of(R"(virtual_hosts:
  - name: site
    domains: []
)" + kWeb) == Errors{"2:5: virtual host has no `domains` and is not `default: true`, so no "
                     "request can reach it"});
}

TEST_CASE("default must be true or false", "[config]") {
    CHECK(errors_of(R"(virtual_hosts:
  - name: site
    default: yes
)" + kWeb) == Errors{"3:14: default: expected true or false, got `yes`"});
}

TEST_CASE("a virtual host needs a name and knows only its own keys", "[config]") {
    CHECK(errors_of(R"(virtual_hosts:
  - domains: ["*"]
    route: []
)" + kWeb) == Errors{"2:5: missing `name` in virtual host",
                     "3:5: unknown key `route` in virtual host (did you mean `routes`?)",
                     "7:21: listener `web` names virtual host `site`, which is not defined"});
}

TEST_CASE("routes are kept in file order", "[config]") {
    auto config = load_valid(R"(virtual_hosts:
  - name: site
    domains: ["*"]
    routes:
      - match: { path: /a }
        respond: { status: 200 }
      - match: { prefix: /b }
        respond: { status: 201 }
      - match: { regex: "/c/[0-9]+" }
        respond: { status: 202 }
)" + kWeb);
    const auto& routes = config->virtual_hosts[0].routes;
    REQUIRE(routes.size() == 3);
    CHECK(std::get<RespondAction>(routes[0].action).status == 200);
    CHECK(std::get<RespondAction>(routes[1].action).status == 201);
    CHECK(std::get<RespondAction>(routes[2].action).status == 202);
}
