// TLS termination on a listener: SNI certificate choice (exact, wildcard, default), RSA and
// ECDSA side by side, versions, ALPN, session resumption, the handshake timeout, garbage
// instead of a ClientHello, curl over https, certificate reload, and load-time checks of the
// certificate files. Certificates are made at test time (support/test_pki.h).

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/test_pki.h"
#include "support/test_util.h"
#include "support/tls_client.h"

namespace gantry::test {
namespace {

// One TLS listener answering 200 "hello" itself, or forwarding to @UP@ under /up/.
std::string tls_config(const std::string& tls_extra = {}, const std::string& certificates = {}) {
    std::string out = std::string("workers: 1\nlog: { access: { path: \"off\" } }\n") +
                      R"(listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [main]
    tls:
      certificates:
)";
    out += certificates.empty() ? "        - { cert: \"@A_CERT@\", key: \"@A_KEY@\" }\n"
                                  "        - { cert: \"@B_CERT@\", key: \"@B_KEY@\" }\n"
                                : certificates;
    out += tls_extra;
    out += R"(virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: /up/ }
        forward: { cluster: backend }
      - match: { prefix: / }
        respond: { status: 200, body: "hello\n" }
clusters:
  - name: backend
    endpoints: [{ address: "127.0.0.1:@UP@" }]
)";
    return out;
}

struct Pki {
    TestPki ca;
    IssuedCertificate a = ca.issue("a", "a.test", {"DNS:a.test", "DNS:*.wild.test"}, KeyType::Rsa);
    IssuedCertificate b = ca.issue("b", "b.test", {"DNS:b.test"});

    GantryOptions options(uint16_t upstream_port = 9) const {
        GantryOptions o;
        o.vars = {{"A_CERT", a.cert}, {"A_KEY", a.key}, {"B_CERT", b.cert},
                  {"B_KEY", b.key},   {"CA", ca.ca()},  {"UP", std::to_string(upstream_port)}};
        return o;
    }
};

// Runs `openssl s_client` against the listener; stdin is empty, so it ends after the handshake.
ProcessResult s_client(uint16_t port, std::vector<std::string> extra) {
    std::vector<std::string> argv{"openssl", "s_client", "-connect",
                                  "127.0.0.1:" + std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv, 10s);
}

bool mentions(const ProcessResult& result, std::string_view text) {
    return result.out.find(text) != std::string::npos || result.err.find(text) != std::string::npos;
}

std::string subject_for(uint16_t port, const std::vector<std::string>& extra) {
    ProcessResult result = s_client(port, extra);
    size_t at = result.out.find("subject=");
    if (at == std::string::npos) {
        return "none";
    }
    return result.out.substr(at, result.out.find('\n', at) - at);
}

}  // namespace

TEST_CASE("SNI chooses the certificate by its SAN names, wildcards included, else the first",
          "[integration][tls]") {
    Pki pki;
    GantryProcess gantry(tls_config(), pki.options());
    CHECK(subject_for(gantry.port(), {"-servername", "a.test"}) == "subject=CN = a.test");
    CHECK(subject_for(gantry.port(), {"-servername", "b.test"}) == "subject=CN = b.test");
    CHECK(subject_for(gantry.port(), {"-servername", "B.TEST"}) == "subject=CN = b.test");
    CHECK(subject_for(gantry.port(), {"-servername", "x.wild.test"}) == "subject=CN = a.test");
    CHECK(subject_for(gantry.port(), {"-servername", "other.test"}) == "subject=CN = a.test");
    CHECK(subject_for(gantry.port(), {"-noservername"}) == "subject=CN = a.test");
}

TEST_CASE("RSA and ECDSA certificates for the same names are chosen by the client's abilities",
          "[integration][tls]") {
    Pki pki;
    IssuedCertificate rsa = pki.ca.issue("c_rsa", "c.test", {"DNS:c.test"}, KeyType::Rsa);
    IssuedCertificate ec = pki.ca.issue("c_ec", "c.test", {"DNS:c.test"}, KeyType::Ecdsa);
    GantryOptions options = pki.options();
    options.vars.insert(
        {{"C_RSA", rsa.cert}, {"C_RSA_KEY", rsa.key}, {"C_EC", ec.cert}, {"C_EC_KEY", ec.key}});
    GantryProcess gantry(tls_config({},
                                    "        - { cert: \"@C_RSA@\", key: \"@C_RSA_KEY@\" }\n"
                                    "        - { cert: \"@C_EC@\", key: \"@C_EC_KEY@\" }\n"),
                         options);
    ProcessResult with_rsa = s_client(gantry.port(), {"-servername", "c.test", "-tls1_2", "-cipher",
                                                      "ECDHE-RSA-AES128-GCM-SHA256"});
    CHECK(mentions(with_rsa, "Server public key is 2048 bit"));
    ProcessResult with_ec = s_client(gantry.port(), {"-servername", "c.test", "-tls1_2", "-cipher",
                                                     "ECDHE-ECDSA-AES128-GCM-SHA256"});
    CHECK(mentions(with_ec, "Server public key is 256 bit"));
}

TEST_CASE("TLS 1.2 and 1.3 are accepted, 1.1 is refused, and min_version 1.3 refuses 1.2",
          "[integration][tls]") {
    Pki pki;
    {
        GantryProcess gantry(tls_config(), pki.options());
        ProcessResult t13 = s_client(gantry.port(), {"-tls1_3"});
        INFO(t13.out << t13.err);
        CHECK(mentions(t13, "New, TLSv1.3"));
        CHECK(mentions(s_client(gantry.port(), {"-tls1_2"}), "New, TLSv1.2"));
        ProcessResult old = s_client(gantry.port(), {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
        CHECK(old.exit_code != 0);
        CHECK(mentions(old, "alert protocol version"));
        CHECK(mentions(old, "Cipher is (NONE)"));
    }
    GantryProcess strict(tls_config("      min_version: \"1.3\"\n"), pki.options());
    CHECK(mentions(s_client(strict.port(), {"-tls1_3"}), "New, TLSv1.3"));
    ProcessResult refused = s_client(strict.port(), {"-tls1_2"});
    CHECK(refused.exit_code != 0);
    CHECK(mentions(refused, "alert protocol version"));
}

TEST_CASE("ALPN selects http/1.1 and does not offer h2 on a listener without http2",
          "[integration][tls]") {
    Pki pki;
    GantryProcess gantry(tls_config(), pki.options());
    CHECK(mentions(s_client(gantry.port(), {"-alpn", "h2,http/1.1"}), "ALPN protocol: http/1.1"));
    CHECK(mentions(s_client(gantry.port(), {"-alpn", "h2"}), "No ALPN negotiated"));
    CHECK(mentions(s_client(gantry.port(), {}), "No ALPN negotiated"));
}

TEST_CASE("a session is resumed from a ticket (1.3 and 1.2) and from the session cache",
          "[integration][tls]") {
    Pki pki;
    GantryProcess gantry(tls_config(), pki.options());
    TempDir dir;

    struct Case {
        std::vector<std::string> flags;
        std::string name;
    };

    for (const Case& c : {Case{{"-tls1_3"}, "t13"}, Case{{"-tls1_2"}, "t12"},
                          Case{{"-tls1_2", "-no_ticket"}, "cache"}}) {
        INFO(c.name);
        std::string session = dir.file(c.name);
        std::vector<std::string> first = c.flags;
        first.insert(first.end(), {"-servername", "a.test", "-sess_out", session});
        // TLS 1.3 tickets come after the handshake: wait for them before closing.
        if (c.name == "t13") {
            first.insert(first.end(), {"-ign_eof"});
        }
        ProcessResult fresh =
            c.name == "t13"
                ? run_process(
                      [&] {
                          std::vector<std::string> argv{
                              "timeout",  "1",        "openssl",
                              "s_client", "-connect", "127.0.0.1:" + std::to_string(gantry.port())};
                          argv.insert(argv.end(), first.begin(), first.end());
                          return argv;
                      }(),
                      10s)
                : s_client(gantry.port(), first);
        CHECK(mentions(fresh, "New, TLSv1."));
        REQUIRE(file_exists(session));
        std::vector<std::string> again = c.flags;
        again.insert(again.end(), {"-servername", "a.test", "-sess_in", session});
        CHECK(mentions(s_client(gantry.port(), again), "Reused, TLSv1."));
    }
}

TEST_CASE(
    "a TLS 1.3 resumption issues a fresh ticket, so a client keeping only its last one "
    "resumes every time",
    "[integration][tls]") {
    // wrk, curl and browsers keep the last ticket they received and use it once. Without a new
    // ticket after each resumption, every other connection was a full handshake.
    Pki pki;
    GantryProcess gantry(tls_config(), pki.options());
    TempDir dir;
    auto connect = [&](const std::string& in, const std::string& out) {
        std::vector<std::string> argv{
            "timeout",  "1",           "openssl",
            "s_client", "-connect",    "127.0.0.1:" + std::to_string(gantry.port()),
            "-tls1_3",  "-servername", "a.test",
            "-msg",     "-ign_eof",    "-sess_out",
            out};
        if (!in.empty()) {
            argv.insert(argv.end(), {"-sess_in", in});
        }
        return run_process(argv, 10s);
    };
    ProcessResult fresh = connect("", dir.file("s0"));
    CHECK(mentions(fresh, "New, TLSv1.3"));
    for (int i = 1; i <= 2; ++i) {
        INFO("resumption " << i);
        ProcessResult resumed =
            connect(dir.file("s" + std::to_string(i - 1)), dir.file("s" + std::to_string(i)));
        CHECK(mentions(resumed, "Reused, TLSv1.3"));
        CHECK(mentions(resumed, "NewSessionTicket"));
    }
}

TEST_CASE("curl fetches over https and the upstream sees X-Forwarded-Proto: https",
          "[integration][tls]") {
    Pki pki;
    HttpUpstream upstream;
    GantryProcess gantry(tls_config(), pki.options(upstream.port()));
    std::string port = std::to_string(gantry.port());
    CurlResult local = run_curl({"--cacert", pki.ca.ca(), "--resolve",
                                 "a.test:" + port + ":127.0.0.1", "https://a.test:" + port + "/"});
    CHECK(local.exit_code == 0);
    CHECK(local.status == 200);
    CHECK(local.body == "hello\n");
    CurlResult proxied =
        run_curl({"--cacert", pki.ca.ca(), "--resolve", "b.test:" + port + ":127.0.0.1",
                  "https://b.test:" + port + "/up/x", "-d", std::string(100000, 'x')});
    CHECK(proxied.status == 200);
    REQUIRE(upstream.request_count() == 1);
    CHECK(upstream.requests()[0].header("x-forwarded-proto") == "https");
    CHECK(upstream.requests()[0].body_size == 100000);
}

TEST_CASE("large bodies cross TLS both ways on a keep-alive connection", "[integration][tls]") {
    Pki pki;
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse r;
        r.generated_body_size = 3 * 1024 * 1024;
        return r;
    });
    GantryProcess gantry(tls_config(), pki.options(upstream.port()));
    TlsClient client;
    REQUIRE(client.connect(gantry.port(), {"a.test", pki.ca.ca(), {}, {}, 5000ms}));
    for (int i = 0; i < 3; ++i) {
        auto response = client.exchange("GET /up/big HTTP/1.1\r\nHost: a.test\r\n\r\n");
        REQUIRE(response);
        CHECK(response->starts_with("HTTP/1.1 200"));
        CHECK(response->size() > 3 * 1024 * 1024);
    }
    CHECK(upstream.request_count() == 3);
}

TEST_CASE("a client that sends nothing is closed at the handshake timeout", "[integration][tls]") {
    Pki pki;
    GantryProcess gantry(tls_config("      handshake_timeout: 300ms\n"), pki.options());
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.is_open());
    auto start = Clock::now();
    CHECK(socket.wait_closed(deadline_in(5s)));
    CHECK(Clock::now() - start < 3s);
}

TEST_CASE("garbage instead of a ClientHello ends the connection and gantry serves on",
          "[integration][tls]") {
    Pki pki;
    GantryProcess gantry(tls_config(), pki.options());
    for (std::string garbage :
         {std::string("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
          std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10), std::string(5000, '\x16')}) {
        BufferedSocket socket = connect_to(gantry.port());
        REQUIRE(socket.is_open());
        REQUIRE(socket.send_all(garbage, deadline_in(2s)));
        std::string answer;
        CHECK(socket.wait_closed(deadline_in(5s), &answer));
        CHECK(answer.find("HTTP/") == std::string::npos);
    }
    CHECK(mentions(s_client(gantry.port(), {"-servername", "a.test"}), "subject=CN = a.test"));
}

TEST_CASE("a reload with a new certificate keeps open connections and serves new ones with it",
          "[integration][tls]") {
    Pki pki;
    GantryProcess gantry(tls_config(), pki.options());
    TlsClient before;
    REQUIRE(before.connect(gantry.port(), {"a.test", pki.ca.ca(), {}, {}, 5000ms}));
    CHECK(before.peer_subject() == "/CN=a.test");
    auto first = before.exchange("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    REQUIRE(first);
    CHECK(first->starts_with("HTTP/1.1 200"));

    IssuedCertificate renewed =
        pki.ca.issue("a2", "a-renewed.test", {"DNS:a.test", "DNS:*.wild.test"});
    GantryOptions options = pki.options();
    options.vars["A_CERT"] = renewed.cert;
    options.vars["A_KEY"] = renewed.key;
    std::string config = substitute(tls_config(), options.vars);
    gantry.write_config(config);
    REQUIRE(gantry.reload().applied);

    auto second = before.exchange("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    REQUIRE(second);
    CHECK(second->starts_with("HTTP/1.1 200"));
    TlsClient after;
    REQUIRE(after.connect(gantry.port(), {"a.test", pki.ca.ca(), {}, {}, 5000ms}));
    CHECK(after.peer_subject() == "/CN=a-renewed.test");
}

TEST_CASE("unreadable, malformed or mismatched certificate files are errors with a position",
          "[integration][tls]") {
    Pki pki;
    TempDir dir;
    write_file(dir.file("bad.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n");

    struct Case {
        std::string cert, key, expect;
    };

    for (const Case& c : {Case{dir.file("missing.pem"), pki.a.key, "cannot read"},
                          Case{dir.file("bad.pem"), pki.a.key, "holds no PEM certificate"},
                          Case{pki.a.cert, pki.b.key, "does not match"}}) {
        std::string config =
            substitute(tls_config({}, "        - { cert: \"@X@\", key: \"@Y@\" }\n"),
                       {{"X", c.cert}, {"Y", c.key}, {"PORT", "1"}, {"UP", "2"}});
        write_file(dir.file("g.yaml"), config);
        ProcessResult result = run_process({gantry_binary(), "check", "-c", dir.file("g.yaml")});
        INFO(result.err);
        CHECK(result.exit_code != 0);
        CHECK(result.err.find(dir.file("g.yaml") + ":9:19:") != std::string::npos);
        CHECK(result.err.find(c.expect) != std::string::npos);
    }
}

TEST_CASE("$scheme in a header template is https over TLS, for HTTP/1.1 and HTTP/2",
          "[integration][tls][headers]") {
    Pki pki;
    HttpUpstream upstream;
    std::string config = tls_config("    protocols: [http1, http2]\n");
    const std::string forward = "        forward: { cluster: backend }\n";
    config.replace(config.find(forward), forward.size(),
                   forward +
                       "        request_headers: { set: { x-origin: \"$scheme://$host\" } }\n"
                       "        response_headers: { set: { x-scheme: \"$scheme\" } }\n");
    GantryProcess gantry(config, pki.options(upstream.port()));
    std::string port = std::to_string(gantry.port());
    for (const char* version : {"--http1.1", "--http2"}) {
        CurlResult r =
            run_curl({version, "--cacert", pki.ca.ca(), "--resolve",
                      "a.test:" + port + ":127.0.0.1", "https://a.test:" + port + "/up/x"});
        CHECK(r.status == 200);
        CHECK(r.header("x-scheme") == "https");
    }
    auto requests = upstream.requests();
    REQUIRE(requests.size() == 2);
    for (const auto& request : requests) {
        CHECK(request.header("x-origin") == "https://a.test:" + port);
    }
}

}  // namespace gantry::test
