// Client certificates (mTLS): `client_auth: required` refuses a client without a certificate or
// with one from another CA by a TLS alert (bounded, no hang); a verified client's identity goes
// upstream in x-forwarded-client-cert (a client-sent one is always removed) and into the access
// log with the other $ssl_* variables; `optional` lets clients without a certificate through.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/test_pki.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string mtls_config(const std::string& client_auth) {
    return R"(workers: 1
log:
  access:
    path: "@DIR@/access.log"
    format: "$ssl_protocol|$ssl_cipher|$ssl_server_name|$ssl_client_s_dn|$status"
listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [main]
    tls:
      certificates: [{ cert: "@CERT@", key: "@KEY@" }]
      client_ca: "@CA@"
      client_auth: )" +
           client_auth + R"(
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: backend }
clusters:
  - name: backend
    endpoints: [{ address: "127.0.0.1:@UP@" }]
)";
}

struct MtlsSetup {
    TestPki ca;
    TestPki other{"another CA"};
    IssuedCertificate server =
        ca.issue("server", "gantry.test", {"DNS:gantry.test", "URI:spiffe://test/gantry"});
    IssuedCertificate client =
        ca.issue("client", "client1", {"URI:spiffe://test/client1", "DNS:client1.test"});
    IssuedCertificate stranger = other.issue("stranger", "stranger", {"DNS:stranger.test"});
    HttpUpstream upstream;

    GantryOptions options() const {
        GantryOptions o = with_upstream_port(upstream.port());
        o.vars.insert({{"CERT", server.cert}, {"KEY", server.key}, {"CA", ca.ca()}});
        return o;
    }

    static GantryOptions with_upstream_port(uint16_t port) {
        GantryOptions o;
        o.vars["UP"] = std::to_string(port);
        return o;
    }
};

CurlResult fetch(uint16_t port, const std::string& ca, const IssuedCertificate* client,
                 std::vector<std::string> extra = {}) {
    std::string p = std::to_string(port);
    std::vector<std::string> args{"--cacert", ca, "--resolve", "gantry.test:" + p + ":127.0.0.1",
                                  "https://gantry.test:" + p + "/who"};
    if (client != nullptr) {
        args.insert(args.end(), {"--cert", client->cert, "--key", client->key});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return run_curl(args);
}

// s_client without a certificate; -ign_eof keeps it reading until gantry closes.
ProcessResult s_client_without_cert(uint16_t port, const std::string& version) {
    return run_process({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                        version, "-ign_eof"},
                       10s);
}

}  // namespace

TEST_CASE("client_auth required: a client without a certificate gets an alert at once",
          "[integration][tls][mtls]") {
    MtlsSetup setup;
    GantryProcess gantry(mtls_config("required"), setup.options());
    for (std::string version : {"-tls1_3", "-tls1_2"}) {
        INFO(version);
        auto start = Clock::now();
        ProcessResult result = s_client_without_cert(gantry.port(), version);
        CHECK_FALSE(result.timed_out);
        CHECK(Clock::now() - start < 5s);
        std::string all = result.out + result.err;
        CHECK((all.find("alert certificate required") != std::string::npos ||
               all.find("alert handshake failure") != std::string::npos));
    }
    CHECK(setup.upstream.request_count() == 0);
}

TEST_CASE("client_auth required: a certificate from another CA is refused by an alert",
          "[integration][tls][mtls]") {
    MtlsSetup setup;
    GantryProcess gantry(mtls_config("required"), setup.options());
    auto start = Clock::now();
    CurlResult result = fetch(gantry.port(), setup.ca.ca(), &setup.stranger);
    CHECK(result.exit_code != 0);
    CHECK(Clock::now() - start < 5s);
    CHECK(result.err.find("alert") != std::string::npos);
    CHECK(setup.upstream.request_count() == 0);
}

TEST_CASE("a verified client certificate reaches the upstream as x-forwarded-client-cert",
          "[integration][tls][mtls]") {
    MtlsSetup setup;
    GantryProcess gantry(mtls_config("required"), setup.options());
    CurlResult result = fetch(gantry.port(), setup.ca.ca(), &setup.client,
                              {"-H", "x-forwarded-client-cert: By=forged;Subject=\"CN=admin\""});
    INFO(result.err);
    CHECK(result.status == 200);
    REQUIRE(setup.upstream.request_count() == 1);
    UpstreamRequest seen = setup.upstream.requests()[0];
    std::vector<std::string> xfcc = header_values(seen.headers, "x-forwarded-client-cert");
    REQUIRE(xfcc.size() == 1);
    const std::string& value = xfcc[0];
    CHECK(value.starts_with("By=spiffe://test/gantry;Hash="));
    CHECK(value.find(";Subject=\"CN=client1\"") != std::string::npos);
    CHECK(value.find(";URI=spiffe://test/client1") != std::string::npos);
    CHECK(value.find(";DNS=client1.test") != std::string::npos);
    CHECK(value.find("forged") == std::string::npos);
    // Hash is the SHA-256 of the certificate's DER, in lower-case hex.
    ProcessResult der = run_process(
        {"openssl", "x509", "-in", setup.client.cert, "-noout", "-fingerprint", "-sha256"});
    std::string fingerprint = der.out.substr(der.out.find('=') + 1);
    std::erase(fingerprint, ':');
    std::erase(fingerprint, '\n');
    CHECK(value.find("Hash=" + to_lower(fingerprint) + ";") != std::string::npos);

    std::vector<std::string> lines;
    wait_until(
        [&] {
            lines = split_lines(read_file(gantry.dir().file("access.log")));
            return !lines.empty();
        },
        5s);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "TLSv1.3|TLS_AES_128_GCM_SHA256|gantry.test|CN=client1|200");
}

TEST_CASE("client_auth optional: clients with or without a certificate are served",
          "[integration][tls][mtls]") {
    MtlsSetup setup;
    GantryProcess gantry(mtls_config("optional"), setup.options());
    CurlResult anonymous = fetch(gantry.port(), setup.ca.ca(), nullptr,
                                 {"-H", "x-forwarded-client-cert: Subject=\"CN=admin\""});
    CHECK(anonymous.status == 200);
    CurlResult known = fetch(gantry.port(), setup.ca.ca(), &setup.client);
    CHECK(known.status == 200);
    REQUIRE(setup.upstream.request_count() == 2);
    CHECK_FALSE(setup.upstream.requests()[0].header("x-forwarded-client-cert"));
    auto xfcc = setup.upstream.requests()[1].header("x-forwarded-client-cert");
    REQUIRE(xfcc);
    CHECK(xfcc->find("Subject=\"CN=client1\"") != std::string::npos);
    // A certificate that does not verify is still refused.
    CHECK(fetch(gantry.port(), setup.ca.ca(), &setup.stranger).exit_code != 0);
}

}  // namespace gantry::test
