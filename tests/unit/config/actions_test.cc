#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using namespace std::chrono_literals;
using Errors = std::vector<std::string>;

namespace {

// The route under test goes on line 5, under `routes:` of this virtual host.
const std::string kHead = R"(virtual_hosts:
  - name: site
    domains: ["*"]
    routes:
)";

const std::string kTail = R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
clusters:
  - name: app
    endpoints: [{ address: "10.0.0.1:80" }]
)";

RouteAction only_action(const std::string& routes) {
    auto config = load_valid(kHead + routes + kTail);
    REQUIRE(config->virtual_hosts[0].routes.size() == 1);
    return config->virtual_hosts[0].routes[0].action;
}

Errors route_errors(const std::string& routes) {
    return errors_of(kHead + routes + kTail);
}

}  // namespace

TEST_CASE("forward reads its cluster, rewrites, timeouts and upgrades", "[config]") {
    auto action = only_action(R"(      - match: { prefix: /api/ }
        forward:
          cluster: app
          rewrite_prefix: /
          host_rewrite: upstream
          timeout: 30s
          per_try_timeout: 5s
          idle_timeout: 2m
          upgrades: [WebSocket]
)");
    const auto& forward = std::get<ForwardAction>(action);
    CHECK(forward.cluster == "app");
    CHECK(forward.has_rewrite_prefix);
    CHECK(forward.rewrite_prefix == "/");
    CHECK(forward.host_rewrite == HostRewriteKind::Upstream);
    CHECK(forward.timeout == 30s);
    CHECK(forward.per_try_timeout == 5s);
    CHECK(forward.idle_timeout == 2min);
    CHECK(forward.upgrades == std::vector<std::string>{"websocket"});
}

TEST_CASE("forward defaults keep the host, time out after 15s and allow no upgrades", "[config]") {
    auto action = only_action(R"(      - match: { prefix: / }
        forward: { cluster: app }
)");
    const auto& forward = std::get<ForwardAction>(action);
    CHECK_FALSE(forward.has_rewrite_prefix);
    CHECK(forward.rewrite_prefix.empty());
    CHECK(forward.host_rewrite == HostRewriteKind::Keep);
    CHECK(forward.timeout == 15s);
    CHECK(forward.per_try_timeout == 0s);
    CHECK(forward.idle_timeout == 0s);
    CHECK(forward.upgrades.empty());
}

TEST_CASE("host_rewrite takes keep, upstream or a literal host", "[config]") {
    auto literal = std::get<ForwardAction>(only_action(R"(      - match: { prefix: / }
        forward: { cluster: app, host_rewrite: "internal.example:8443" }
)"));
    CHECK(literal.host_rewrite == HostRewriteKind::Literal);
    CHECK(literal.host_literal == "internal.example:8443");

    auto keep = std::get<ForwardAction>(only_action(R"(      - match: { prefix: / }
        forward: { cluster: app, host_rewrite: keep }
)"));
    CHECK(keep.host_rewrite == HostRewriteKind::Keep);

    CHECK(route_errors(R"(      - match: { prefix: / }
        forward: { cluster: app, host_rewrite: "not a host" }
)") == Errors{"6:48: host_rewrite: must be `keep`, `upstream` or a host name (with an optional "
              ":port), got `not a host`"});
}

TEST_CASE("forward checks its values", "[config]") {
    CHECK(route_errors(R"(      - match: { regex: "/a.*" }
        forward:
          rewrite_prefix: /
          timeout: -1s
          per_try_timeout: 5
          upgrades: [websocket, WebSocket, "a b"]
)") == Errors{"7:11: missing `cluster` in forward",
              "7:27: rewrite_prefix: needs a `prefix` or `path` match to replace",
              "8:20: timeout: duration must not be negative, got `-1s`",
              "9:28: per_try_timeout: `5` needs a unit: 5ms, 5s, 5m or 5h",
              "10:33: upgrades: `WebSocket` is listed twice",
              "10:44: upgrades: invalid protocol name `a b`"});
    CHECK(route_errors(R"(      - match: { prefix: /a }
        forward: { cluster: app, rewrite_prefix: b }
)") == Errors{"6:50: rewrite_prefix: must be a path starting with `/`, got `b`"});
}

TEST_CASE("forward reads weighted clusters, rewrite_regex, retries and mirror", "[config]") {
    auto config = load_valid(kHead + R"(      - match: { prefix: / }
        forward:
          weighted: [{ cluster: app, weight: 90 }, { cluster: other, weight: 10 }]
          rewrite_regex: { pattern: "^/v1/(.*)$", substitution: "/\\1" }
          retries:
            attempts: 3
            on: [5xx, gateway-error, connect-failure, reset, retriable-4xx]
            retriable_status: [429]
            backoff: { base: 10ms }
            budget: { percent: 30 }
            methods: [get, POST]
            body_buffer: 8KiB
          mirror: { cluster: other, percent: 5 }
)" + kTail + R"(  - name: other
    endpoints: [{ address: "10.0.0.2:80" }]
)");
    auto forward = std::get<ForwardAction>(config->virtual_hosts[0].routes[0].action);
    REQUIRE(forward.weighted.size() == 2);
    CHECK(forward.cluster.empty());
    CHECK(forward.weighted[0].cluster == "app");
    CHECK(forward.weighted[1].weight == 10);
    CHECK(forward.total_weight == 100);
    REQUIRE(forward.rewrite_regex);
    CHECK(forward.rewrite_regex->substitution == "/\\1");
    REQUIRE(forward.retries);
    const RetryPolicy& retries = *forward.retries;
    CHECK(retries.attempts == 3);
    CHECK(retries.on == (kRetryOn5xx | kRetryOnGatewayError | kRetryOnConnectFailure |
                         kRetryOnReset | kRetryOnRetriable4xx));
    CHECK(retries.retriable_status == std::vector<int>{429});
    CHECK(retries.backoff_base == 10ms);
    CHECK(retries.backoff_max == 100ms);  // 10 x base, as Envoy
    REQUIRE(retries.budget);
    CHECK(retries.budget->percent == 30);
    CHECK(retries.budget->min_concurrency == 3);
    CHECK(retries.methods == std::vector<std::string>{"GET", "POST"});
    CHECK(retries.body_buffer == 8192);
    REQUIRE(forward.mirror);
    CHECK(forward.mirror->cluster == "other");
    CHECK(forward.mirror->percent == 5);
}

TEST_CASE("retries default to Envoy's values and idempotent methods", "[config]") {
    auto forward = std::get<ForwardAction>(only_action(R"(      - match: { prefix: / }
        forward: { cluster: app, retries: { on: [5xx] }, mirror: { cluster: app } }
)"));
    REQUIRE(forward.retries);
    CHECK(forward.retries->attempts == 1);
    CHECK(forward.retries->backoff_base == 25ms);
    CHECK(forward.retries->backoff_max == 250ms);
    CHECK_FALSE(forward.retries->budget);
    CHECK(forward.retries->methods ==
          std::vector<std::string>{"GET", "HEAD", "OPTIONS", "PUT", "DELETE"});
    CHECK(forward.retries->body_buffer == 64 * 1024);
    REQUIRE(forward.mirror);
    CHECK(forward.mirror->percent == 100);
}

TEST_CASE("bad traffic-management keys are reported with their position", "[config]") {
    CHECK(route_errors(R"(      - match: { prefix: / }
        forward:
          cluster: app
          weighted: [{ cluster: app, weight: 1 }]
          retries: { attempts: 11, on: [6xx], backoff: { base: 50ms, max: 10ms } }
          mirror: { cluster: nowhere, percent: 101 }
          rewrite_regex: { pattern: "(", substitution: b }
)") == Errors{"8:21: `cluster` and `weighted` cannot be used together",
              "9:32: attempts: must be between 0 and 10, got 11",
              "9:41: on: unknown value `6xx`: expected one of 5xx, gateway-error, "
              "connect-failure, reset, retriable-4xx",
              "9:75: max: must not be less than `base`",
              "10:30: route forwards to cluster `nowhere`, which is not defined",
              "10:48: percent: must be between 0 and 100, got 101",
              "11:37: invalid regex `(`: missing ): ("});
    CHECK(route_errors(R"(      - match: { prefix: / }
        forward:
          weighted: [{ cluster: app, weight: 0 }, { cluster: app, weight: 1 }]
          retries: { attempts: 1 }
          rewrite_regex: { pattern: "a", substitution: "\\2" }
)") == Errors{"7:62: cluster `app` is listed twice in `weighted`",
              "8:20: retries need `on` or `retriable_status`; otherwise nothing is retried",
              "9:56: substitution: Rewrite schema requests 2 matches, but the regexp only has 0 "
              "parenthesized subexpressions."});
    CHECK(route_errors(R"(      - match: { prefix: / }
        forward: { weighted: [{ cluster: app, weight: 0 }] }
)") == Errors{"6:30: the weights add up to 0, so no request could be forwarded"});
}

TEST_CASE("respond reads status, body and content type with defaults", "[config]") {
    auto full = std::get<RespondAction>(only_action(R"(      - match: { path: /healthz }
        respond: { status: 503, body: "down\n", content_type: application/json }
)"));
    CHECK(full.status == 503);
    CHECK(full.body == "down\n");
    CHECK(full.content_type == "application/json");

    auto plain = std::get<RespondAction>(only_action(R"(      - match: { path: /healthz }
        respond: {}
)"));
    CHECK(plain.status == 200);
    CHECK(plain.body.empty());
    CHECK(plain.content_type == "text/plain");
}

TEST_CASE("respond status must be 100 to 599 and bodiless statuses have no body", "[config]") {
    CHECK(route_errors(R"(      - match: { path: /a }
        respond: { status: 99 }
      - match: { path: /b }
        respond: { status: 600 }
      - match: { path: /c }
        respond: { status: 204, body: x }
      - match: { path: /d }
        respond: { status: ok }
)") == Errors{"6:28: status: must be between 100 and 599, got 99",
              "8:28: status: must be between 100 and 599, got 600",
              "10:39: a 204 response cannot have a body",
              "12:28: status: expected a whole number, got `ok`"});
}

TEST_CASE("redirect reads its target parts and status", "[config]") {
    auto redirect = std::get<RedirectAction>(only_action(R"(      - match: { prefix: / }
        redirect:
          scheme: https
          host: www.example.com
          port: 8443
          path: /new
          strip_query: true
          status: 308
)"));
    CHECK(redirect.scheme == "https");
    CHECK(redirect.host == "www.example.com");
    CHECK(redirect.port == 8443);
    CHECK(redirect.path == "/new");
    CHECK(redirect.strip_query);
    CHECK(redirect.status == 308);

    auto minimal = std::get<RedirectAction>(only_action(R"(      - match: { prefix: / }
        redirect: { scheme: https }
)"));
    CHECK(minimal.status == 301);
    CHECK(minimal.host.empty());
    CHECK(minimal.port == 0);
    CHECK(minimal.path.empty());
    CHECK_FALSE(minimal.strip_query);
}

TEST_CASE("redirect refuses bad statuses, schemes, hosts and ports", "[config]") {
    CHECK(route_errors(R"(      - match: { prefix: / }
        redirect: { scheme: ftp, host: "a.com:80", port: 0, path: x, status: 200 }
      - match: { prefix: / }
        redirect: {}
)") == Errors{"6:29: scheme: unknown value `ftp`: expected one of http, https",
              "6:40: host: invalid host `a.com:80` (write the port in `port`)",
              "6:58: port: must be between 1 and 65535, got 0",
              "6:67: path: must start with `/`, got `x`",
              "6:78: status: must be 301, 302, 303, 307 or 308 for a redirect, got 200",
              "8:19: redirect needs at least one of `scheme`, `host`, `port`, `path` or "
              "`strip_query`; otherwise it redirects to itself"});
}
