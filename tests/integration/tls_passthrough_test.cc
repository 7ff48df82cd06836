// tls_passthrough listeners: the ClientHello's SNI picks the cluster, gantry never terminates
// TLS (the client sees the upstream's own certificate), a hello split across TCP segments is
// reassembled, and garbage, silence or an unknown name end the connection (or go to
// default_cluster). The upstreams are `openssl s_server -www` processes.

#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/test_pki.h"
#include "support/test_util.h"
#include "support/tls_origin.h"

namespace gantry::test {
namespace {

std::string passthrough_config(const std::string& extra = {}) {
    return R"(workers: 1
log: { access: { path: "off" } }
limits: { header_timeout: 500ms }
listeners:
  - name: pass
    listen: ["127.0.0.1:@PORT@"]
    mode: tls_passthrough
    sni_routes:
      - { server_names: [db.test, db.example.com], cluster: db }
      - { server_names: ["*.web.test"], cluster: web }
)" + extra +
           R"(clusters:
  - name: db
    endpoints: [{ address: "127.0.0.1:@DB@" }]
  - name: web
    endpoints: [{ address: "127.0.0.1:@WEB@" }]
)";
}

struct Origins {
    TestPki ca;
    IssuedCertificate db_cert = ca.issue("db", "db.test", {"DNS:db.test", "DNS:db.example.com"});
    IssuedCertificate web_cert = ca.issue("web", "web.test", {"DNS:*.web.test"});
    TlsOrigin db{db_cert};
    TlsOrigin web{web_cert};

    GantryOptions options() const {
        GantryOptions o;
        o.vars = {{"DB", std::to_string(db.port())}, {"WEB", std::to_string(web.port())}};
        return o;
    }
};

ProcessResult s_client(uint16_t port, std::vector<std::string> extra) {
    std::vector<std::string> argv{"openssl", "s_client", "-connect",
                                  "127.0.0.1:" + std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv, 10s);
}

std::string subject_via(uint16_t port, const std::string& server_name) {
    ProcessResult result = s_client(port, {"-servername", server_name});
    size_t at = result.out.find("subject=");
    return at == std::string::npos ? "none" : result.out.substr(at, result.out.find('\n', at) - at);
}

}  // namespace

TEST_CASE("passthrough routes by SNI and the client talks TLS with the upstream itself",
          "[integration][tls][passthrough]") {
    Origins origins;
    GantryProcess gantry(passthrough_config(), origins.options());
    CHECK(subject_via(gantry.port(), "db.test") == "subject=CN = db.test");
    CHECK(subject_via(gantry.port(), "DB.EXAMPLE.COM") == "subject=CN = db.test");
    CHECK(subject_via(gantry.port(), "api.web.test") == "subject=CN = web.test");
    std::string port = std::to_string(gantry.port());
    CurlResult result =
        run_curl({"--cacert", origins.ca.ca(), "--resolve", "db.test:" + port + ":127.0.0.1",
                  "https://db.test:" + port + "/"});
    CHECK(result.exit_code == 0);
    CHECK(result.status == 200);
    CHECK(result.body.find("s_server") != std::string::npos);
}

TEST_CASE("passthrough closes a connection whose SNI matches no route, or goes to the default",
          "[integration][tls][passthrough]") {
    Origins origins;
    {
        GantryProcess gantry(passthrough_config(), origins.options());
        CHECK(subject_via(gantry.port(), "other.test") == "none");
        CHECK(s_client(gantry.port(), {"-noservername"}).exit_code != 0);
    }
    GantryProcess gantry(passthrough_config("    default_cluster: web\n"), origins.options());
    CHECK(subject_via(gantry.port(), "other.test") == "subject=CN = web.test");
}

TEST_CASE("passthrough reassembles a ClientHello split across TCP segments",
          "[integration][tls][passthrough]") {
    Origins origins;
    GantryProcess gantry(passthrough_config(), origins.options());
    // A real ClientHello for db.example.com (captured from openssl s_client).
    std::string hello = read_file(std::string(GANTRY_SOURCE_DIR) +
                                  "/tests/fuzz/corpus/tls_client_hello_fuzz/openssl_sni");
    REQUIRE(hello.size() > 100);
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.is_open());
    for (size_t at = 0; at < hello.size(); at += 50) {
        REQUIRE(socket.send_all(hello.substr(at, 50), deadline_in(2s)));
        std::this_thread::sleep_for(20ms);
    }
    // The upstream's ServerHello comes back: a TLS handshake record.
    REQUIRE(socket.fill(deadline_in(5s)) == BufferedSocket::Read::Ok);
    CHECK(socket.buffer().substr(0, 2) == std::string("\x16\x03", 2));
}

TEST_CASE("passthrough closes on garbage and on silence within the header timeout",
          "[integration][tls][passthrough]") {
    Origins origins;
    GantryProcess gantry(passthrough_config(), origins.options());
    BufferedSocket garbage = connect_to(gantry.port());
    REQUIRE(garbage.send_all("GET / HTTP/1.1\r\nHost: db.test\r\n\r\n", deadline_in(2s)));
    CHECK(garbage.wait_closed(deadline_in(3s)));
    BufferedSocket silent = connect_to(gantry.port());
    auto start = Clock::now();
    CHECK(silent.wait_closed(deadline_in(5s)));
    CHECK(Clock::now() - start < 3s);
    CHECK(subject_via(gantry.port(), "db.test") == "subject=CN = db.test");
}

}  // namespace gantry::test
