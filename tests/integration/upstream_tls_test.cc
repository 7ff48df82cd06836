// TLS to upstream clusters: the endpoint is verified against the cluster's CA and name (a bad
// CA or a wrong name is a 502 and a log line, never a silent success), `verify: false` skips
// that, a client certificate is presented, and the session is resumed on the next connection.
// The upstreams are `openssl s_server -www` processes (HTTP/1.0 answers showing the session).

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/proxy_config.h"
#include "support/test_pki.h"
#include "support/test_util.h"
#include "support/tls_origin.h"

namespace gantry::test {
namespace {

struct Setup {
    TestPki ca;
    TestPki other{"another CA"};
    IssuedCertificate origin_cert = ca.issue("origin", "origin.test", {"DNS:origin.test"});
    IssuedCertificate client_cert = ca.issue("gantry", "gantry-client", {"DNS:gantry.test"});

    GantryOptions options(const TlsOrigin& origin) const {
        GantryOptions o;
        o.vars = {{"UP", std::to_string(origin.port())},
                  {"CA", ca.ca()},
                  {"OTHER_CA", other.ca()},
                  {"CERT", client_cert.cert},
                  {"KEY", client_cert.key}};
        return o;
    }
};

std::string config_with(const std::string& tls) {
    return proxy_config({}, "    tls: " + tls + "\n");
}

}  // namespace

TEST_CASE("upstream TLS verifies the endpoint against the CA and the name",
          "[integration][tls][upstream_tls]") {
    Setup setup;
    TlsOrigin origin(setup.origin_cert);
    GantryProcess gantry(config_with("{ sni: origin.test, ca: \"@CA@\" }"), setup.options(origin));
    CurlResult result = run_curl({gantry.url("/")});
    CHECK(result.status == 200);
    CHECK(result.body.find("s_server") != std::string::npos);
}

TEST_CASE("upstream TLS with a CA that did not sign the endpoint is a 502",
          "[integration][tls][upstream_tls]") {
    Setup setup;
    TlsOrigin origin(setup.origin_cert);
    GantryProcess bad_ca(config_with("{ sni: origin.test, ca: \"@OTHER_CA@\" }"),
                         setup.options(origin));
    CurlResult result = run_curl({bad_ca.url("/")});
    CHECK(result.status == 502);
    CHECK(result.header("x-gantry-error").has_value());
    CHECK(bad_ca.wait_for_log("unable to get local issuer certificate", 0, 5s));
}

TEST_CASE("upstream TLS with a name the certificate does not carry is a 502",
          "[integration][tls][upstream_tls]") {
    Setup setup;
    TlsOrigin origin(setup.origin_cert);
    GantryProcess wrong_name(config_with("{ sni: elsewhere.test, ca: \"@CA@\" }"),
                             setup.options(origin));
    CHECK(run_curl({wrong_name.url("/")}).status == 502);
    CHECK(wrong_name.wait_for_log("hostname mismatch", 0, 5s));
    // An IP-literal endpoint without `sni` is checked against the certificate's IP addresses.
    GantryProcess by_ip(config_with("{ ca: \"@CA@\" }"), setup.options(origin));
    CHECK(run_curl({by_ip.url("/")}).status == 502);
}

TEST_CASE("upstream TLS with verify false accepts any certificate",
          "[integration][tls][upstream_tls]") {
    Setup setup;
    TlsOrigin origin(setup.origin_cert);
    GantryProcess gantry(config_with("{ ca: \"@OTHER_CA@\", verify: false }"),
                         setup.options(origin));
    CHECK(run_curl({gantry.url("/")}).status == 200);
}

TEST_CASE("upstream TLS resumes the endpoint's session on the next connection",
          "[integration][tls][upstream_tls]") {
    Setup setup;
    for (std::string version : {"-tls1_3", "-tls1_2"}) {
        INFO(version);
        TlsOrigin origin(setup.origin_cert, {version});
        GantryProcess gantry(config_with("{ sni: origin.test, ca: \"@CA@\" }"),
                             setup.options(origin));
        CurlResult first = run_curl({gantry.url("/")});
        CHECK(first.body.find("New, TLSv1.") != std::string::npos);
        // s_server -www closes after each answer, so this is a new upstream connection.
        CurlResult second = run_curl({gantry.url("/")});
        CHECK(second.status == 200);
        CHECK(second.body.find("Reused, TLSv1.") != std::string::npos);
    }
}

TEST_CASE("upstream TLS presents the cluster's client certificate",
          "[integration][tls][upstream_tls]") {
    Setup setup;
    TlsOrigin origin(setup.origin_cert, {"-Verify", "1", "-CAfile", setup.ca.ca()});
    GantryProcess with_cert(
        config_with("{ sni: origin.test, ca: \"@CA@\", cert: \"@CERT@\", key: \"@KEY@\" }"),
        setup.options(origin));
    CHECK(run_curl({with_cert.url("/")}).status == 200);
    GantryProcess without(config_with("{ sni: origin.test, ca: \"@CA@\" }"), setup.options(origin));
    CHECK(run_curl({without.url("/")}).status == 502);
}

}  // namespace gantry::test
