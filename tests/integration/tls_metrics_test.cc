// /metrics for TLS listeners: failed client handshakes are counted per listener, good ones not.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/test_pki.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

constexpr const char* kConfig = R"(workers: 2
admin: { listen: "127.0.0.1:@PORT2@" }
log: { access: { path: "off" } }
listeners:
  - name: secure
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [main]
    tls: { certificates: [{ cert: "@CERT@", key: "@KEY@" }], handshake_timeout: 300ms }
  - name: plain
    listen: ["127.0.0.1:@PORT3@"]
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
    routes: [{ match: { prefix: / }, respond: { status: 200, body: "hello\n" } }]
)";

double metric(const std::string& page, const std::string& series) {
    for (const auto& line : split_lines(page)) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
            line[series.size()] == ' ') {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return -1;  // absent
}

std::string scrape(const GantryProcess& gantry) {
    CurlResult r = run_curl({"http://127.0.0.1:" + std::to_string(gantry.port(1)) + "/metrics"});
    REQUIRE(r.status == 200);
    return r.body;
}

TEST_CASE("Failed TLS handshakes are counted per listener", "[integration][metrics][tls]") {
    TestPki ca;
    IssuedCertificate server = ca.issue("server", "gantry.test", {"DNS:gantry.test"});
    GantryOptions options;
    options.vars = {{"CERT", server.cert}, {"KEY", server.key}};
    GantryProcess gantry(kConfig, options);
    const std::string secure = "gantry_tls_handshake_failures_total{listener=\"secure\"}";
    const std::string plain = "gantry_tls_handshake_failures_total{listener=\"plain\"}";
    // The readiness probe's connect-and-close already counts as one: a baseline, not 0.
    double before = metric(scrape(gantry), secure);
    CHECK(before >= 0);

    // A good handshake is not a failure.
    ProcessResult good =
        run_process({"openssl", "s_client", "-connect",
                     "127.0.0.1:" + std::to_string(gantry.port()), "-servername", "gantry.test"},
                    10s);
    CHECK(good.out.find("CN = gantry.test") != std::string::npos);
    // Two clients that send garbage, one that sends nothing until the handshake timeout.
    for (int i = 0; i < 2; ++i) {
        BufferedSocket socket = connect_to(gantry.port());
        REQUIRE(socket.send_all("GET / HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
        CHECK(socket.wait_closed(deadline_in(5s)));
    }
    BufferedSocket silent = connect_to(gantry.port());
    CHECK(silent.wait_closed(deadline_in(5s)));

    double failures = 0;
    wait_until(
        [&] {
            failures = metric(scrape(gantry), secure);
            return failures == before + 3;
        },
        3s);
    CHECK(failures == before + 3);
    CHECK(metric(scrape(gantry), plain) == 0);
}

}  // namespace
}  // namespace gantry::test
