// HTTP/2 over TLS to the upstream: a cluster with `protocol: http2` and `tls:` handshakes with
// ALPN "h2" (python3-h2 server in h2_tls_upstream.py that offers only h2), verifies the
// endpoint's certificate against the cluster's CA, sends :scheme https, and carries bodies and
// trailers both ways, for HTTP/1.1 and HTTP/2 clients; an endpoint with an untrusted
// certificate gets a 502 rather than a hang. gRPC (python3-grpcio) runs end to end with TLS on
// both sides of gantry.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/python_server.h"
#include "support/test_listener.h"
#include "support/test_pki.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

using namespace std::chrono_literals;

// A python TLS server (h2_tls_upstream.py, or grpc_echo.py tls_server), running for the
// test's lifetime.
class H2TlsUpstream : public PythonServer {
public:
    H2TlsUpstream(const IssuedCertificate& certificate, const TempDir& dir, bool grpc = false)
        : PythonServer(
              grpc ? "grpc_echo.py" : "h2_tls_upstream.py",
              grpc ? std::vector<std::string>{"tls_server", "@PORT_FILE@", certificate.cert,
                                              certificate.key}
                   : std::vector<std::string>{certificate.cert, certificate.key, "@PORT_FILE@"},
              dir.file("h2tls.port")) {}
};

std::string config(const std::string& ca, const std::string& listener_tls = {}) {
    return R"(workers: 1
log: { access: { path: "off" } }
listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    protocols: [http1, http2]
    virtual_hosts: [main]
)" + listener_tls +
           R"(virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: backend }
clusters:
  - name: backend
    protocol: http2
    tls: { ca: ")" +
           ca +
           R"(" }
    endpoints: [{ address: "localhost:@UP@" }]
)";
}

// An h2-over-TLS upstream with a certificate from a test CA, and gantry forwarding every path
// to it over TLS verified against that CA.
struct TrustedH2TlsUpstream {
    TempDir dir;
    TestPki ca;
    IssuedCertificate server = ca.issue("upstream", "localhost", {"DNS:localhost"});
    H2TlsUpstream upstream{server, dir};
    GantryOptions options = [this] {
        GantryOptions o;
        o.vars["UP"] = upstream.port();
        return o;
    }();
    GantryProcess gantry{config(ca.ca()), options};
};

}  // namespace

TEST_CASE("a cluster with protocol http2 and tls speaks h2 over TLS with ALPN",
          "[http2][tls][upstream]") {
    TrustedH2TlsUpstream setup;
    GantryProcess& gantry = setup.gantry;

    CurlResult http1 = run_curl({gantry.url("/one")});
    INFO(http1.err);
    CHECK(http1.status == 200);
    CHECK(http1.body == "https /one h2 0");

    CurlResult h2 = run_curl({"--http2-prior-knowledge", "--data-binary", "hello", "-H",
                              "content-type: text/plain", gantry.url("/two")});
    CHECK(h2.status == 200);
    CHECK(h2.body == "https /two h2 5");

    // Many requests multiplexed over the same TLS connection(s).
    ProcessResult load =
        run_process({"h2load", "-n", "500", "-c", "4", "-m", "16", gantry.url("/load")}, 60s);
    INFO(load.out);
    CHECK(load.out.find("500 succeeded, 0 failed, 0 errored") != std::string::npos);
}

TEST_CASE("a new h2 TLS upstream connection resumes the endpoint's session",
          "[http2][tls][upstream]") {
    TrustedH2TlsUpstream setup;
    GantryProcess& gantry = setup.gantry;
    // The upstream closes its connection after each /session answer, so every request here
    // opens a new h2 connection; the second and third offer the ticket the previous one got.
    CurlResult first = run_curl({gantry.url("/session")});
    CHECK(first.status == 200);
    CHECK(first.body == "new");
    for (int i = 0; i < 2; ++i) {
        CurlResult again = run_curl({gantry.url("/session")});
        CHECK(again.status == 200);
        CHECK(again.body == "reused");
    }
}

TEST_CASE(
    "an h2 TLS endpoint with an untrusted certificate gets 502 (as over HTTP/1.1), not a hang",
    "[http2][tls][upstream]") {
    TempDir dir;
    TestPki ca;
    TestPki other("another CA");
    IssuedCertificate server = other.issue("upstream", "localhost", {"DNS:localhost"});
    H2TlsUpstream upstream(server, dir);
    GantryOptions options;
    options.vars["UP"] = upstream.port();
    GantryProcess gantry(config(ca.ca()), options);
    auto start = std::chrono::steady_clock::now();
    CurlResult result = run_curl({"--max-time", "10", gantry.url("/x")});
    CHECK(result.status == 502);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("an h2 TLS endpoint that never answers the handshake gets 502 after connect_timeout",
          "[http2][tls][upstream]") {
    TestListener stalled("stalled upstream", 16);
    stalled.start([&](BufferedSocket&, size_t) { stalled.sleep_for(30s); });
    GantryOptions options;
    options.vars["UP"] = std::to_string(stalled.port());
    std::string cfg = config("unused.pem");
    // No CA file: verification is off, the handshake never gets that far anyway.
    const std::string from = "tls: { ca: \"unused.pem\" }";
    cfg.replace(cfg.find(from), from.size(), "connect_timeout: 500ms\n    tls: { verify: false }");
    GantryProcess gantry(cfg, options);
    auto start = std::chrono::steady_clock::now();
    CurlResult result = run_curl({"--max-time", "10", gantry.url("/x")});
    CHECK(result.status == 502);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    stalled.stop();
}

TEST_CASE("gRPC goes end to end over TLS on both sides of gantry", "[http2][tls][grpc]") {
    TempDir dir;
    TestPki ca;
    IssuedCertificate upstream_cert = ca.issue("upstream", "localhost", {"DNS:localhost"});
    IssuedCertificate gantry_cert = ca.issue("gantry", "gantry.test", {"DNS:gantry.test"});
    H2TlsUpstream upstream(upstream_cert, dir, /*grpc=*/true);
    GantryOptions options;
    options.vars = {{"UP", upstream.port()}, {"CERT", gantry_cert.cert}, {"KEY", gantry_cert.key}};
    GantryProcess gantry(
        config(ca.ca(), "    tls: { certificates: [{ cert: \"@CERT@\", key: \"@KEY@\" }] }\n"),
        options);
    ProcessResult client = run_process({"/usr/bin/python3", integration_script("grpc_echo.py"),
                                        "tls_client", std::to_string(gantry.port()), ca.ca()},
                                       30s);
    INFO(client.out << client.err);
    REQUIRE(client.exit_code == 0);
    CHECK(split_lines(client.out) == std::vector<std::string>{
                                         "unary=echo:hello trailer=unary",
                                         "server_stream=item0,item1,item2,item3,item4",
                                         "client_stream=a+b+c",
                                         "bidi=X,Y,Z",
                                         "big=524293",
                                         "fail=PERMISSION_DENIED:not you",
                                     });
}

}  // namespace gantry::test
