#include <catch2/catch.hpp>
#include <re2/re2.h>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using Errors = std::vector<std::string>;

namespace {

// Routes under test go under `routes:` of this virtual host, starting on line 5.
const std::string kHead = R"(virtual_hosts:
  - name: site
    domains: ["*"]
    routes:
)";

const std::string kTail = R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
)";

Route only_route(const std::string& routes) {
    auto config = load_valid(kHead + routes + kTail);
    REQUIRE(config->virtual_hosts[0].routes.size() == 1);
    return config->virtual_hosts[0].routes[0];
}

Errors route_errors(const std::string& routes) {
    return errors_of(kHead + routes + kTail);
}

}  // namespace

TEST_CASE("a match reads its path kind, methods, headers and query", "[config]") {
    Route route = only_route(R"(      - match:
          prefix: /api/
          methods: [get, Post]
          headers: { X-Canary: "1", User-Agent: "~curl/.*" }
          query: { Debug: "true", id: "~[0-9]+" }
        respond: { status: 204 }
)");
    const RouteMatch& match = route.match;
    CHECK(match.kind == PathMatchKind::Prefix);
    CHECK(match.path == "/api/");
    CHECK(match.regex == nullptr);
    CHECK(match.methods == std::vector<std::string>{"GET", "POST"});
    REQUIRE(match.headers.size() == 2);
    CHECK(match.headers[0].name == "x-canary");
    CHECK(match.headers[0].exact == "1");
    CHECK(match.headers[0].regex == nullptr);
    CHECK(match.headers[1].name == "user-agent");
    REQUIRE(match.headers[1].regex != nullptr);
    CHECK(RE2::FullMatch("curl/8.0", *match.headers[1].regex));
    CHECK_FALSE(RE2::FullMatch("wget curl/8.0", *match.headers[1].regex));
    REQUIRE(match.query.size() == 2);
    CHECK(match.query[0].name == "Debug");  // query names are case-sensitive: kept as written
    CHECK(match.query[0].exact == "true");
    REQUIRE(match.query[1].regex != nullptr);
    CHECK(RE2::FullMatch("42", *match.query[1].regex));
}

TEST_CASE("path and regex matches are compiled and kept as written", "[config]") {
    Route exact = only_route(R"(      - match: { path: /healthz }
        respond: { status: 200 }
)");
    CHECK(exact.match.kind == PathMatchKind::Exact);
    CHECK(exact.match.path == "/healthz");

    Route regex = only_route(R"(      - match: { regex: "/users/[0-9]+" }
        respond: { status: 200 }
)");
    CHECK(regex.match.kind == PathMatchKind::Regex);
    CHECK(regex.match.path == "/users/[0-9]+");
    REQUIRE(regex.match.regex != nullptr);
    CHECK(RE2::FullMatch("/users/12", *regex.match.regex));
}

TEST_CASE("a match needs exactly one of prefix, path and regex", "[config]") {
    CHECK(route_errors(R"(      - match: { methods: [GET] }
        respond: { status: 200 }
      - match: { prefix: /a, path: /a, regex: /a }
        respond: { status: 200 }
)") == Errors{"5:16: match needs one of `prefix`, `path` or `regex`",
              "7:36: `prefix` and `path` cannot be used together",
              "7:47: `prefix` and `regex` cannot be used together"});
}

TEST_CASE("paths must start with a slash and regexes must compile", "[config]") {
    CHECK(route_errors(R"(      - match: { prefix: api }
        respond: { status: 200 }
      - match: { path: "" }
        respond: { status: 200 }
      - match: { regex: "/a/(b" }
        respond: { status: 200 }
)") == Errors{"5:26: prefix: must start with `/`, got `api`", "7:24: path: must not be empty",
              "9:25: regex: invalid regex `/a/(b`: missing ): /a/(b"});
}

TEST_CASE("header and query regexes report RE2's error", "[config]") {
    CHECK(route_errors(R"(      - match:
          prefix: /
          headers: { x-a: "~[z-a]", "bad header": "1" }
          query: { q: "~*" }
        respond: { status: 200 }
)") == Errors{"7:27: headers: invalid regex `[z-a]`: invalid character class range: z-a",
              "7:37: headers: invalid header name `bad header`",
              "8:23: query: invalid regex `*`: no argument for repetition operator: *"});
}

TEST_CASE("methods must be tokens and a matcher name may appear once", "[config]") {
    CHECK(route_errors(R"(      - match:
          prefix: /
          methods: ["GE T"]
          headers: { X-A: "1", x-a: "2" }
        respond: { status: 200 }
)") == Errors{"7:21: methods: invalid method `GE T`", "8:32: headers: `x-a` is matched twice"});
}

TEST_CASE("a route needs a match and exactly one action", "[config]") {
    CHECK(route_errors(R"(      - respond: { status: 200 }
      - match: { prefix: / }
      - match: { prefix: / }
        respond: { status: 200 }
        redirect: { scheme: https }
)") == Errors{"5:9: missing `match` in route",
              "6:9: route needs one of `forward`, `respond` or `redirect`",
              "9:19: `respond` and `redirect` cannot be used together"});
}

TEST_CASE("route filters are refused until http filters exist", "[config]") {
    CHECK(route_errors(R"(      - match: { prefix: / }
        respond: { status: 200 }
        filters: {}
)") == Errors{"7:9: `filters` is not supported yet"});
}

TEST_CASE("header mutations lower-case names and keep file order", "[config]") {
    Route route = only_route(R"(      - match: { prefix: / }
        respond: { status: 200 }
        request_headers:
          set: { X-Env: prod, x-b: "" }
          add: { Via: gantry, via: again }
          remove: [X-Debug]
        response_headers: { remove: [Server] }
)");
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    CHECK(route.request_headers.set == Pairs{{"x-env", "prod"}, {"x-b", ""}});
    CHECK(route.request_headers.add == Pairs{{"via", "gantry"}, {"via", "again"}});
    CHECK(route.request_headers.remove == std::vector<std::string>{"x-debug"});
    CHECK(route.response_headers.set.empty());
    CHECK(route.response_headers.remove == std::vector<std::string>{"server"});
}

TEST_CASE("header mutations refuse framing headers, host, bad names and duplicates", "[config]") {
    CHECK(route_errors(R"(      - match: { prefix: / }
        respond: { status: 200 }
        request_headers:
          set: { Content-Length: "5", host: x, x-a: "1", X-A: "2", "a b": c }
          remove: [transfer-encoding]
        response_headers: { add: { host: ok, connection: close } }
)") == Errors{
           "8:18: set: `content-length` is managed by gantry and cannot be changed here",
           "8:39: set: `host` cannot be changed here; use `forward.host_rewrite`",
           "8:58: set: header `x-a` is set twice",
           "8:68: set: invalid header name `a b`",
           "9:20: remove: `transfer-encoding` is managed by gantry and cannot be changed here",
           "10:46: add: `connection` is managed by gantry and cannot be changed here",
       });
}

TEST_CASE("header values may use known $variables only", "[config]") {
    auto route = only_route(R"(      - match: { prefix: / }
        respond: { status: 200 }
        request_headers: { set: { x-client: "$remote_addr", x-id: "${request_id}-$$" } }
)");
    CHECK(route.request_headers.set[0].second == "$remote_addr");
    CHECK(route.request_headers.set[1].second == "${request_id}-$$");
    CHECK(route_errors(R"(      - match: { prefix: / }
        respond: { status: 200 }
        response_headers: { add: { x-a: "$remote_adr", x-b: "5 $" } }
)") == Errors{
           "7:41: add: unknown variable `$remote_adr`; known: $remote_addr, $request_id, $host, "
           "$scheme, $request_method, $uri",
           "7:61: add: `$` must start a variable ($remote_addr, $request_id, $host, $scheme, "
           "$request_method, $uri) or be written `$$`",
       });
}
