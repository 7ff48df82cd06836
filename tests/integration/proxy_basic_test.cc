// Basic proxying: forwarding, keep-alive to the upstream, respond and redirect routes, virtual
// host and route selection, header mutation, prefix and host rewriting.

#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

const std::string kForwardConfig = proxy_config();

// Answers with a body telling which request it saw.
UpstreamResponse echo_target(const UpstreamRequest& r) {
    UpstreamResponse response = UpstreamResponse::text(200, r.method + " " + r.target);
    response.headers.emplace_back("X-Upstream", "yes");
    return response;
}

}  // namespace

TEST_CASE("a GET is forwarded and the upstream response is relayed", "[integration][proxy]") {
    HttpUpstream upstream(echo_target);
    GantryProcess gantry(kForwardConfig, with_upstream(upstream));
    CurlResult r = run_curl({gantry.url("/some/path?q=1&r=two")});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.status == 200);
    CHECK(r.body == "GET /some/path?q=1&r=two");
    CHECK(r.header("x-upstream") == "yes");
    CHECK(r.header("content-type") == "text/plain");
    REQUIRE(upstream.request_count() == 1);
    UpstreamRequest seen = upstream.requests()[0];
    CHECK(seen.method == "GET");
    CHECK(seen.target == "/some/path?q=1&r=two");
    CHECK(seen.version == "HTTP/1.1");
    CHECK(seen.body_size == 0);
}

TEST_CASE("a POST body reaches the upstream intact", "[integration][proxy]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        return UpstreamResponse::text(201, "got " + std::to_string(r.body_size));
    });
    GantryProcess gantry(kForwardConfig, with_upstream(upstream));
    std::string payload = "name=gantry&kind=proxy&" + std::string(10000, 'x');
    CurlResult r = run_curl(
        {"--data-binary", payload, "-H", "Content-Type: text/x-test", gantry.url("/submit")});
    INFO(r.err);
    CHECK(r.status == 201);
    CHECK(r.body == "got " + std::to_string(payload.size()));
    REQUIRE(upstream.request_count() == 1);
    UpstreamRequest seen = upstream.requests()[0];
    CHECK(seen.method == "POST");
    CHECK(seen.body == payload);
    CHECK(seen.header("content-type") == "text/x-test");
}

TEST_CASE("upstream status codes and headers are relayed unchanged", "[integration][proxy]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(418, "short and stout");
        response.headers.emplace_back("Set-Cookie", "a=1");
        response.headers.emplace_back("Set-Cookie", "b=2");
        response.headers.emplace_back("X-Custom", "value with  spaces");
        return response;
    });
    GantryProcess gantry(kForwardConfig, with_upstream(upstream));
    CurlResult r = run_curl({gantry.url("/teapot")});
    CHECK(r.status == 418);
    CHECK(r.body == "short and stout");
    CHECK(header_values(r.headers, "set-cookie") == std::vector<std::string>{"a=1", "b=2"});
    CHECK(r.header("x-custom") == "value with  spaces");
}

TEST_CASE("keep-alive connections to the upstream are reused", "[integration][proxy]") {
    HttpUpstream upstream(echo_target);
    GantryProcess gantry(kForwardConfig, with_upstream(upstream));
    constexpr int kRequests = 6;
    for (int i = 0; i < kRequests; ++i) {
        // A fresh client connection each time: reuse must happen on the upstream side.
        CurlResult r = run_curl({gantry.url("/r" + std::to_string(i))});
        REQUIRE(r.status == 200);
    }
    CHECK(upstream.request_count() == kRequests);
    CHECK(upstream.connection_count() < kRequests);
    CHECK(upstream.connection_count() <= 2);
}

TEST_CASE("a respond route answers without an upstream", "[integration][proxy]") {
    GantryProcess gantry(one_host_config(R"(      - match: { path: /healthz }
        respond: { status: 200, body: "ok\n", content_type: text/plain }
      - match: { path: /teapot }
        respond: { status: 418, body: "{\"tea\":true}", content_type: application/json }
      - match: { path: /empty }
        respond: { status: 204 }
)"));
    CurlResult ok = run_curl({gantry.url("/healthz")});
    CHECK(ok.status == 200);
    CHECK(ok.body == "ok\n");
    CHECK(ok.header("content-type") == "text/plain");
    CHECK(ok.header("content-length") == "3");

    CurlResult tea = run_curl({gantry.url("/teapot")});
    CHECK(tea.status == 418);
    CHECK(tea.body == "{\"tea\":true}");
    CHECK(tea.header("content-type") == "application/json");

    CurlResult empty = run_curl({gantry.url("/empty")});
    CHECK(empty.status == 204);
    CHECK(empty.body.empty());
}

TEST_CASE("redirect routes build the Location from the request", "[integration][proxy]") {
    GantryProcess gantry(one_host_config(R"(      - match: { prefix: /to-https/ }
        redirect: { scheme: https, status: 301 }
      - match: { prefix: /moved/ }
        redirect: { host: new.example.com, path: /landing, strip_query: true, status: 302 }
      - match: { prefix: /secure/ }
        redirect: { scheme: https, host: secure.example.com, port: 8443, status: 308 }
)"));
    CurlResult a = run_curl({"-H", "Host: www.example.com", gantry.url("/to-https/a?x=1")});
    CHECK(a.status == 301);
    CHECK(a.header("location") == "https://www.example.com/to-https/a?x=1");

    CurlResult b = run_curl({"-H", "Host: www.example.com", gantry.url("/moved/b?x=1")});
    CHECK(b.status == 302);
    CHECK(b.header("location") == "http://new.example.com/landing");

    CurlResult c = run_curl({"-H", "Host: www.example.com", gantry.url("/secure/c?y=2")});
    CHECK(c.status == 308);
    CHECK(c.header("location") == "https://secure.example.com:8443/secure/c?y=2");
}

TEST_CASE("a request no route matches gets 404 no-route", "[integration][proxy]") {
    GantryProcess gantry(R"(workers: 1
log: { access: { path: "off" } }
listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [api]
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - match: { prefix: /api/ }
        respond: { status: 200, body: "api" }
)");
    CurlResult wrong_path = run_curl({"-H", "Host: api.example.com", gantry.url("/other")});
    CHECK(wrong_path.status == 404);
    CHECK(wrong_path.header("x-gantry-error") == "no-route");
    CHECK_FALSE(wrong_path.body.empty());

    CurlResult wrong_host = run_curl({"-H", "Host: www.example.org", gantry.url("/api/x")});
    CHECK(wrong_host.status == 404);
    CHECK(wrong_host.header("x-gantry-error") == "no-route");

    CurlResult right = run_curl({"-H", "Host: api.example.com", gantry.url("/api/x")});
    CHECK(right.status == 200);
    CHECK(right.body == "api");
}

TEST_CASE("virtual hosts are chosen by Host: exact, then *.suffix, then prefix.*, then default",
          "[integration][proxy]") {
    GantryProcess gantry(R"(workers: 1
log: { access: { path: "off" } }
listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [fallback, prefix, suffix, exact]
virtual_hosts:
  - name: fallback
    default: true
    routes:
      - match: { prefix: / }
        respond: { status: 200, body: "default" }
  - name: prefix
    domains: ["www.*"]
    routes:
      - match: { prefix: / }
        respond: { status: 200, body: "prefix" }
  - name: suffix
    domains: ["*.example.com"]
    routes:
      - match: { prefix: / }
        respond: { status: 200, body: "suffix" }
  - name: exact
    domains: ["api.example.com"]
    routes:
      - match: { prefix: / }
        respond: { status: 200, body: "exact" }
)");
    auto body_for = [&](const std::string& host) {
        CurlResult r = run_curl({"-H", "Host: " + host, gantry.url("/")});
        CHECK(r.status == 200);
        return r.body;
    };
    CHECK(body_for("api.example.com") == "exact");
    CHECK(body_for("API.Example.COM") == "exact");
    CHECK(body_for("api.example.com:8080") == "exact");
    CHECK(body_for("foo.example.com") == "suffix");
    CHECK(body_for("a.b.example.com") == "suffix");
    CHECK(body_for("www.example.com") == "suffix");
    CHECK(body_for("www.example.org") == "prefix");
    CHECK(body_for("example.com") == "default");
    CHECK(body_for("other.net") == "default");
    CHECK(run_curl({gantry.url("/")}).body == "default");
}

TEST_CASE("routes match on method, headers, query, exact path and regex, first match wins",
          "[integration][proxy]") {
    GantryProcess gantry(one_host_config(R"(      - match: { prefix: /m, methods: [POST, PUT] }
        respond: { status: 200, body: "write" }
      - match: { prefix: /m, headers: { x-canary: "1" } }
        respond: { status: 200, body: "canary" }
      - match: { prefix: /m, headers: { x-version: "~v[0-9]+" } }
        respond: { status: 200, body: "versioned" }
      - match: { prefix: /m, query: { debug: "true" } }
        respond: { status: 200, body: "debug" }
      - match: { prefix: /m }
        respond: { status: 200, body: "fallback" }
      - match: { path: /exact }
        respond: { status: 200, body: "exact" }
      - match: { regex: "/items/[0-9]+" }
        respond: { status: 200, body: "item" }
)"));
    auto body_for = [&](std::vector<std::string> args) {
        CurlResult r = run_curl(args);
        return std::to_string(r.status) + " " + r.body;
    };
    std::string m = gantry.url("/m");
    CHECK(body_for({"-X", "POST", m}) == "200 write");
    CHECK(body_for({"-X", "PUT", m}) == "200 write");
    CHECK(body_for({"-X", "DELETE", m}) == "200 fallback");
    CHECK(body_for({"-H", "x-canary: 1", m}) == "200 canary");
    CHECK(body_for({"-H", "X-Canary: 1", m}) == "200 canary");
    CHECK(body_for({"-H", "x-canary: 2", m}) == "200 fallback");
    CHECK(body_for({"-H", "x-version: v12", m}) == "200 versioned");
    CHECK(body_for({"-H", "x-version: v12b", m}) == "200 fallback");
    CHECK(body_for({"-X", "POST", "-H", "x-canary: 1", m}) == "200 write");
    CHECK(body_for({gantry.url("/m?debug=true")}) == "200 debug");
    CHECK(body_for({gantry.url("/m?a=1&debug=true")}) == "200 debug");
    CHECK(body_for({gantry.url("/m?debug=false")}) == "200 fallback");
    CHECK(body_for({gantry.url("/m/deeper")}) == "200 fallback");
    CHECK(body_for({gantry.url("/exact")}) == "200 exact");
    CHECK(body_for({gantry.url("/exact?q=1")}) == "200 exact");
    CHECK(body_for({gantry.url("/exact/more")}).starts_with("404 "));
    CHECK(body_for({gantry.url("/items/123")}) == "200 item");
    CHECK(body_for({gantry.url("/items/12a")}).starts_with("404 "));
    CHECK(body_for({gantry.url("/items/")}).starts_with("404 "));
}

TEST_CASE("route header mutations set, add and remove request and response headers",
          "[integration][proxy]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "ok");
        response.headers.emplace_back("Server", "upstream-test");
        response.headers.emplace_back("X-Multi", "a");
        response.headers.emplace_back("X-Served-By", "upstream");
        return response;
    });
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(proxy_config(R"(        request_headers:
          set: { x-env: prod }
          add: { x-multi: two }
          remove: [x-debug]
        response_headers:
          set: { x-served-by: gantry }
          add: { x-multi: b }
          remove: [server]
)"),
                         options);
    CurlResult r = run_curl({"-H", "x-env: dev", "-H", "x-multi: one", "-H", "x-debug: 1", "-H",
                             "x-other: kept", gantry.url("/")});
    CHECK(r.status == 200);
    REQUIRE(upstream.request_count() == 1);
    UpstreamRequest seen = upstream.requests()[0];
    CHECK(header_values(seen.headers, "x-env") == std::vector<std::string>{"prod"});
    CHECK(joined_header(seen.headers, "x-multi") == "one, two");
    CHECK_FALSE(has_header(seen.headers, "x-debug"));
    CHECK(seen.header("x-other") == "kept");

    CHECK(header_values(r.headers, "x-served-by") == std::vector<std::string>{"gantry"});
    CHECK(joined_header(r.headers, "x-multi") == "a, b");
    CHECK(r.header("server") != "upstream-test");
}

TEST_CASE("rewrite_prefix replaces the matched prefix and keeps the query",
          "[integration][proxy]") {
    HttpUpstream upstream(echo_target);
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(one_host_config(R"(      - match: { prefix: /api/v1/ }
        forward: { cluster: backend, rewrite_prefix: /v1/ }
      - match: { prefix: /api/ }
        forward: { cluster: backend, rewrite_prefix: / }
)",
                                         backend_cluster()),
                         options);
    CHECK(run_curl({gantry.url("/api/users?x=1")}).body == "GET /users?x=1");
    CHECK(run_curl({gantry.url("/api/v1/items/7")}).body == "GET /v1/items/7");
    CHECK(run_curl({gantry.url("/api/")}).body == "GET /");
}

TEST_CASE("host_rewrite keeps, replaces or sets the upstream Host", "[integration][proxy]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        return UpstreamResponse::text(200, r.header("host").value_or("<none>"));
    });
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(one_host_config(R"(      - match: { prefix: /keep }
        forward: { cluster: backend }
      - match: { prefix: /upstream }
        forward: { cluster: backend, host_rewrite: upstream }
      - match: { prefix: /literal }
        forward: { cluster: backend, host_rewrite: backend.internal }
)",
                                         backend_cluster()),
                         options);
    std::vector<std::string> host = {"-H", "Host: client.example.com"};
    auto body = [&](const std::string& path) {
        std::vector<std::string> args = host;
        args.push_back(gantry.url(path));
        return run_curl(args).body;
    };
    CHECK(body("/keep") == "client.example.com");
    CHECK(body("/upstream") == upstream.address());
    CHECK(body("/literal") == "backend.internal");
    REQUIRE(upstream.request_count() == 3);
    for (const UpstreamRequest& r : upstream.requests()) {
        CHECK(header_values(r.headers, "host").size() == 1);
    }
}

TEST_CASE("idle pooled upstream connections are closed after the pool idle_timeout",
          "[integration][proxy]") {
    HttpUpstream upstream(echo_target);
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(
        proxy_config({}, "    pool: { max_idle_per_endpoint: 4, idle_timeout: 300ms }\n"), options);
    REQUIRE(run_curl({gantry.url("/pooled")}).status == 200);
    auto answered = Clock::now();
    CHECK(upstream.open_connections() == 1);
    CHECK(wait_until([&] { return upstream.open_connections() == 0; }, 3s));
    CHECK(Clock::now() - answered >= 200ms);
    REQUIRE(run_curl({gantry.url("/fresh")}).status == 200);
    CHECK(upstream.connection_count() == 2);
}

TEST_CASE("a pooled connection the upstream closed is not used for the next request",
          "[integration][proxy]") {
    HttpUpstream upstream(echo_target);
    upstream.set_keep_alive_timeout(100ms);
    GantryProcess gantry(kForwardConfig, with_upstream(upstream));
    for (int i = 0; i < 3; ++i) {
        CurlResult r = run_curl({gantry.url("/after-close")});
        INFO("request " << i << ": " << r.err);
        CHECK(r.status == 200);
        CHECK(r.body == "GET /after-close");
        // Let the upstream's keep-alive timeout close the pooled connection.
        REQUIRE(wait_until([&] { return upstream.open_connections() == 0; }, 3s));
        std::this_thread::sleep_for(50ms);
    }
    CHECK(upstream.connection_count() == 3);
}

}  // namespace gantry::test
