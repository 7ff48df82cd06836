// HTTP/2 over TLS: a TLS listener with protocols [http1, http2] offers "h2" by ALPN and hands
// such connections to the HTTP/2 server; clients that offer only http/1.1 still get HTTP/1.1.
// curl, nghttp, h2load and the raw-frame client (h2_client.py --tls) against the real binary;
// the streams see scheme https and the connection's TLS details (XFCC, $ssl_* in the access log).

#include <map>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/h2_client.h"
#include "support/http_upstream.h"
#include "support/test_pki.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

using namespace std::chrono_literals;

std::string h2_tls_config(const std::string& protocols, const std::string& tls_extra = {}) {
    return R"(workers: 1
log:
  access:
    path: "@DIR@/access.log"
    format: "$server_protocol|$ssl_protocol|$ssl_server_name|$ssl_client_s_dn|$status"
listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    protocols: )" +
           protocols + R"(
    virtual_hosts: [main]
    tls:
      certificates: [{ cert: "@CERT@", key: "@KEY@" }]
)" + tls_extra +
           R"(virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { path: /local }
        respond: { status: 200, body: "local\n" }
      - match: { prefix: / }
        forward: { cluster: backend }
clusters:
  - name: backend
    endpoints: [{ address: "127.0.0.1:@UP@" }]
)";
}

struct Setup {
    TestPki ca;
    IssuedCertificate server = ca.issue("server", "gantry.test", {"DNS:gantry.test"});
    IssuedCertificate client =
        ca.issue("client", "client1", {"URI:spiffe://test/client1", "DNS:client1.test"});
    HttpUpstream upstream;

    GantryOptions options() const {
        GantryOptions o;
        o.vars = {{"CERT", server.cert},
                  {"KEY", server.key},
                  {"CA", ca.ca()},
                  {"UP", std::to_string(upstream.port())}};
        return o;
    }
};

std::string https_url(uint16_t port, const std::string& path) {
    return "https://gantry.test:" + std::to_string(port) + path;
}

std::string resolve(uint16_t port) {
    return "gantry.test:" + std::to_string(port) + ":127.0.0.1";
}

// curl over https; returns "<http_version> <status>" and the body after a newline.
ProcessResult curl_https(uint16_t port, const Setup& setup, const std::string& path,
                         std::vector<std::string> extra) {
    std::vector<std::string> argv{
        "curl",        "-sS",       "--max-time",  "5",  "--cacert",
        setup.ca.ca(), "--resolve", resolve(port), "-w", "\n%{http_version} %{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(https_url(port, path));
    return run_process(argv, 10s);
}

using Outcome = H2Outcome;

Outcome h2_client_tls(uint16_t port, const std::vector<std::string>& args) {
    return run_h2_client(port, args, true);
}

std::string get(const Outcome& outcome, const std::string& key) {
    return outcome_value(outcome, key);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("ALPN h2 on a TLS listener serves HTTP/2 and http/1.1 clients get HTTP/1.1",
          "[http2][tls]") {
    Setup setup;
    GantryProcess gantry(h2_tls_config("[http1, http2]"), setup.options());

    ProcessResult h2 = curl_https(gantry.port(), setup, "/a?x=1", {"--http2", "-H", "x-t: 1"});
    INFO(h2.err);
    CHECK(h2.exit_code == 0);
    CHECK(h2.out == "ok\n2 200");
    REQUIRE(setup.upstream.wait_for_requests(1, 2s));
    UpstreamRequest seen = setup.upstream.requests().at(0);
    CHECK(seen.target == "/a?x=1");
    CHECK(seen.header("x-forwarded-proto") == "https");
    CHECK(seen.header("x-t") == "1");
    CHECK(seen.header("host") == "gantry.test:" + std::to_string(gantry.port()));

    ProcessResult http1 = curl_https(gantry.port(), setup, "/local", {"--http1.1"});
    CHECK(http1.out == "local\n\n1.1 200");

    ProcessResult alpn =
        run_process({"openssl", "s_client", "-connect",
                     "127.0.0.1:" + std::to_string(gantry.port()), "-alpn", "h2,http/1.1"},
                    10s);
    CHECK(contains(alpn.out, "ALPN protocol: h2"));

    REQUIRE(wait_until(
        [&] { return contains(read_file(gantry.dir().file("access.log")), "HTTP/1.1|"); }, 3s));
    std::string log = read_file(gantry.dir().file("access.log"));
    CHECK(contains(log, "HTTP/2.0|TLSv1.3|gantry.test|-|200"));
}

TEST_CASE("a TLS listener without http2 does not offer h2", "[http2][tls]") {
    Setup setup;
    GantryProcess gantry(h2_tls_config("[http1]"), setup.options());
    ProcessResult result = curl_https(gantry.port(), setup, "/local", {"--http2"});
    CHECK(result.out == "local\n\n1.1 200");
}

TEST_CASE("an http2-only TLS listener serves a client that negotiated no ALPN as HTTP/2",
          "[http2][tls]") {
    Setup setup;
    GantryProcess gantry(h2_tls_config("[http2]"), setup.options());
    ProcessResult h2 = curl_https(gantry.port(), setup, "/local", {"--http2"});
    CHECK(h2.out == "local\n\n2 200");
    Outcome outcome = h2_client_tls(gantry.port(), {"get", "/local"});
    CHECK(get(outcome, "streams.1.status") == "200");
    // http/1.1 is not offered by ALPN where the listener does not serve it.
    ProcessResult alpn =
        run_process({"openssl", "s_client", "-connect",
                     "127.0.0.1:" + std::to_string(gantry.port()), "-alpn", "http/1.1"},
                    10s);
    CHECK(contains(alpn.out, "No ALPN negotiated"));
}

TEST_CASE("nghttp and h2load over TLS get every answer", "[http2][tls]") {
    Setup setup;
    GantryProcess gantry(h2_tls_config("[http1, http2]"), setup.options());
    std::string local = "https://127.0.0.1:" + std::to_string(gantry.port()) + "/local";

    ProcessResult nghttp = run_process({"nghttp", "-v", local}, 10s);
    CHECK(nghttp.exit_code == 0);
    CHECK(contains(nghttp.out, "local"));
    CHECK(contains(nghttp.out, "The negotiated protocol: h2"));

    ProcessResult load = run_process({"h2load", "-n", "4000", "-c", "8", "-m", "32", local}, 60s);
    INFO(load.out);
    CHECK(load.exit_code == 0);
    CHECK(contains(load.out, "Application protocol: h2"));
    CHECK(contains(load.out, "4000 succeeded, 0 failed, 0 errored"));
    CHECK(contains(load.out, "status codes: 4000 2xx"));

    // Proxied, with response bodies larger than a TLS record.
    ProcessResult proxied =
        run_process({"h2load", "-n", "1000", "-c", "4", "-m", "16",
                     "https://127.0.0.1:" + std::to_string(gantry.port()) + "/p"},
                    60s);
    INFO(proxied.out);
    CHECK(contains(proxied.out, "1000 succeeded, 0 failed, 0 errored"));
}

TEST_CASE("large bodies stream both ways over h2 on TLS", "[http2][tls]") {
    constexpr uint64_t kSize = 8 * 1024 * 1024;
    TestPki ca;
    IssuedCertificate server = ca.issue("server", "gantry.test", {"DNS:gantry.test"});
    HttpUpstream upstream([](const test::UpstreamRequest& request) {
        UpstreamResponse response;
        if (request.method == "GET") {
            response.generated_body_size = kSize;
        } else {
            response.body = std::to_string(request.body_size);
        }
        return response;
    });
    GantryOptions options;
    options.vars = {
        {"CERT", server.cert}, {"KEY", server.key}, {"UP", std::to_string(upstream.port())}};
    GantryProcess gantry(h2_tls_config("[http1, http2]") + "limits: { max_request_body: 0 }\n",
                         options);
    std::vector<std::string> common{"--http2", "--cacert", ca.ca(), "--resolve",
                                    resolve(gantry.port())};

    std::vector<std::string> get_args = common;
    get_args.push_back(https_url(gantry.port(), "/big"));
    CurlResult result = run_curl(get_args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.body.size() == kSize);
    CHECK(BodyPattern::instance().matches(0, result.body.data(), result.body.size()));

    TempDir dir;
    std::string upload = dir.file("upload");
    std::string pattern(kSize, '\0');
    for (uint64_t offset = 0; offset < kSize; offset += BodyPattern::kMaxSpan) {
        BodyPattern::instance().fill(offset, pattern.data() + offset,
                                     std::min<uint64_t>(BodyPattern::kMaxSpan, kSize - offset));
    }
    write_file(upload, pattern);
    std::vector<std::string> post_args = common;
    post_args.insert(post_args.end(),
                     {"--data-binary", "@" + upload, https_url(gantry.port(), "/upload")});
    CurlResult posted = run_curl(post_args);
    CHECK(posted.status == 200);
    CHECK(posted.body == std::to_string(kSize));
    auto requests = upstream.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[1].body_size == kSize);
    CHECK(requests[1].body_is_pattern);
}

TEST_CASE("an h2 request over mTLS carries x-forwarded-client-cert and the $ssl_* variables",
          "[http2][tls][mtls]") {
    Setup setup;
    GantryProcess gantry(
        h2_tls_config("[http1, http2]", "      client_ca: \"@CA@\"\n      client_auth: required\n"),
        setup.options());
    ProcessResult result =
        curl_https(gantry.port(), setup, "/who",
                   {"--http2", "--cert", setup.client.cert, "--key", setup.client.key, "-H",
                    "x-forwarded-client-cert: By=forged"});
    INFO(result.err);
    CHECK(result.out == "ok\n2 200");
    REQUIRE(setup.upstream.wait_for_requests(1, 2s));
    UpstreamRequest seen = setup.upstream.requests().at(0);
    std::vector<std::string> xfcc = header_values(seen.headers, "x-forwarded-client-cert");
    REQUIRE(xfcc.size() == 1);
    CHECK(contains(xfcc[0], ";Subject=\"CN=client1\""));
    CHECK(contains(xfcc[0], ";URI=spiffe://test/client1"));
    CHECK_FALSE(contains(xfcc[0], "forged"));
    CHECK(seen.header("x-forwarded-proto") == "https");
    REQUIRE(wait_until(
        [&] { return contains(read_file(gantry.dir().file("access.log")), "HTTP/2.0|"); }, 3s));
    CHECK(contains(read_file(gantry.dir().file("access.log")),
                   "HTTP/2.0|TLSv1.3|gantry.test|CN=client1|200"));
}

TEST_CASE("rapid reset over TLS ends in GOAWAY and gantry keeps serving",
          "[http2][tls][security]") {
    Setup setup;
    GantryProcess gantry(h2_tls_config("[http1, http2]"), setup.options());
    Outcome outcome = h2_client_tls(gantry.port(), {"rapid_reset", "5000"});
    CHECK(get(outcome, "goaway") == "11");  // ENHANCE_YOUR_CALM
    CHECK(get(outcome, "closed") == "1");
    CHECK(std::stoi(get(outcome, "elapsed_ms")) < 5000);
    CHECK(setup.upstream.heads_received() <= 200);
    CHECK(contains(gantry.error_log(), "rapid-reset"));
    ProcessResult after =
        curl_https(gantry.port(), setup, "/local", {"--http2", "--max-time", "1"});
    CHECK(after.out == "local\n\n2 200");
}

}  // namespace gantry::test
