// Canary routing and request rewriting over real upstreams: weighted clusters hold their split,
// rewrite_regex changes the path sent upstream, and header values expand $variables.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// Sends `n` requests over one keep-alive connection; returns how many bodies were "A".
int count_a(uint16_t port, int n) {
    BufferedSocket socket = connect_to(port);
    int a = 0;
    for (int i = 0; i < n; ++i) {
        REQUIRE(socket.send_all("GET /w HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        REQUIRE(r);
        REQUIRE(r->status() == 200);
        a += r->body == "A" ? 1 : 0;
    }
    return a;
}

}  // namespace

TEST_CASE("weighted clusters split 90/10 within 2% over 10000 requests",
          "[integration][weighted]") {
    HttpUpstream a([](const UpstreamRequest&) { return UpstreamResponse::text(200, "A"); });
    HttpUpstream b([](const UpstreamRequest&) { return UpstreamResponse::text(200, "B"); });
    GantryOptions options;
    options.vars["A"] = std::to_string(a.port());
    options.vars["B"] = std::to_string(b.port());
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        forward:\n          weighted: "
                        "[{ cluster: stable, weight: 90 }, { cluster: canary, weight: 10 }]\n",
                        "clusters:\n  - name: stable\n    endpoints: [{ address: "
                        "\"127.0.0.1:@A@\" }]\n  - name: canary\n    endpoints: [{ address: "
                        "\"127.0.0.1:@B@\" }]\n"),
        options);
    constexpr int kRequests = 10000;
    int to_a = count_a(gantry.port(), kRequests);
    CHECK(to_a >= kRequests * 88 / 100);
    CHECK(to_a <= kRequests * 92 / 100);
    CHECK(a.request_count() + b.request_count() == kRequests);
}

TEST_CASE("the json access log names the cluster a weighted route drew",
          "[integration][weighted]") {
    HttpUpstream upstream;
    GantryProcess gantry(
        one_host_config(
            "      - match: { prefix: / }\n        forward:\n          weighted: "
            "[{ cluster: never, weight: 0 }, { cluster: canary, weight: 1 }]\n",
            "clusters:\n  - name: never\n    endpoints: [{ address: "
            "\"127.0.0.1:@UP@\" }]\n  - name: canary\n    endpoints: [{ address: "
            "\"127.0.0.1:@UP@\" }]\n",
            "workers: 1\nlog: { access: { path: \"@DIR@/access.log\", format: json } }\n"),
        with_upstream(upstream));
    CHECK(run_curl({gantry.url("/")}).status == 200);
    std::string path = gantry.dir().file("access.log");
    REQUIRE(wait_until([&] { return file_exists(path) && !read_file(path).empty(); }, 3s));
    CHECK(read_file(path).find("\"cluster\":\"canary\"") != std::string::npos);
}

TEST_CASE("rewrite_regex rewrites the path sent upstream and keeps the query",
          "[integration][rewrite]") {
    HttpUpstream upstream;
    GantryProcess gantry(
        one_host_config("      - match: { prefix: /service/ }\n"
                        "        forward:\n"
                        "          cluster: backend\n"
                        "          rewrite_regex: { pattern: \"^/service/([^/]+)(/.*)$\", "
                        "substitution: \"\\\\2/instance/\\\\1\" }\n",
                        backend_cluster()),
        with_upstream(upstream));
    CHECK(run_curl({gantry.url("/service/foo/v1/api?x=1")}).status == 200);
    auto requests = upstream.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].target == "/v1/api/instance/foo?x=1");
}

TEST_CASE("request and response header values expand $variables", "[integration][headers]") {
    HttpUpstream upstream;
    GantryProcess gantry(
        proxy_config(
            "        request_headers:\n"
            "          set: { x-client: \"$remote_addr\", x-rid: \"id-${request_id}\" }\n"
            "          add: { x-origin: \"$scheme://$host$uri\" }\n"
            "        response_headers:\n"
            "          set: { x-served-for: \"$request_method $host\", x-cost: \"$$5\" }\n"),
        with_upstream(upstream));
    CurlResult r = run_curl({"-H", "X-Request-Id: req-42", gantry.url("/path?q=1")});
    CHECK(r.status == 200);
    CHECK(r.header("x-served-for") == "GET 127.0.0.1:" + std::to_string(gantry.port()));
    CHECK(r.header("x-cost") == "$5");
    auto requests = upstream.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].header("x-client") == "127.0.0.1");
    CHECK(requests[0].header("x-rid") == "id-req-42");
    CHECK(requests[0].header("x-origin") ==
          "http://127.0.0.1:" + std::to_string(gantry.port()) + "/path");
}

TEST_CASE("an unknown $variable in a header value is a config error", "[integration][headers]") {
    TempDir dir;
    std::string path = dir.file("bad.yaml");
    write_file(path,
               substitute(proxy_config("        request_headers: { set: { x-a: \"$nope\" } }\n"),
                          {{"PORT", "1"}, {"UP", "2"}}));
    ProcessResult result = run_process({gantry_binary(), "check", "-c", path});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find("unknown variable `$nope`") != std::string::npos);
}

}  // namespace gantry::test
