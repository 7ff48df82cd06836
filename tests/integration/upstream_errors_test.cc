// Upstream failures become 502 / 504 answers while nothing has reached the client yet, and a
// failure in the middle of a response is never passed off as a complete response.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/scripted_upstream.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// A route to one endpoint with the given forward options.
std::string config(const std::string& forward_options = "timeout: 500ms") {
    return one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend, " +
                               forward_options + " }\n",
                           backend_cluster("    connect_timeout: 1s\n"));
}

// Failures may be logged at [error]: the tests cause them on purpose.
GantryOptions options_for(uint16_t upstream_port) {
    GantryOptions options;
    options.vars["UP"] = std::to_string(upstream_port);
    options.allow_error_lines = true;
    return options;
}

void check_gantry_error(const CurlResult& r, int status, const std::string& reason) {
    INFO("curl stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.status == status);
    CHECK(r.header("x-gantry-error") == reason);
    CHECK_FALSE(r.body.empty());
}

std::string partial_response(bool chunked) {
    std::string head = chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               : "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
    std::string body(1000, 'p');
    return chunked ? head + "3e8\r\n" + body + "\r\n" : head + body;
}

}  // namespace

TEST_CASE("an endpoint that refuses connections gives 502 upstream-connect-failure",
          "[integration][upstream]") {
    uint16_t closed_port = free_port();
    GantryProcess gantry(config(), options_for(closed_port));
    auto start = Clock::now();
    CurlResult r = run_curl({gantry.url("/")});
    check_gantry_error(r, 502, "upstream-connect-failure");
    CHECK(Clock::now() - start < 3s);
    // gantry stays up and keeps answering.
    check_gantry_error(run_curl({gantry.url("/again")}), 502, "upstream-connect-failure");
}

TEST_CASE("an upstream that resets before answering gives 502 upstream-reset",
          "[integration][upstream]") {
    ScriptedUpstream upstream({step::expect_head(), step::reset()});
    GantryProcess gantry(config(), options_for(upstream.port()));
    check_gantry_error(run_curl({gantry.url("/")}), 502, "upstream-reset");
    CHECK(upstream.connection_count() >= 1);
}

TEST_CASE("an upstream that closes before answering gives 502 upstream-reset",
          "[integration][upstream]") {
    ScriptedUpstream upstream({step::expect_head(), step::close()});
    GantryProcess gantry(config(), options_for(upstream.port()));
    check_gantry_error(run_curl({gantry.url("/")}), 502, "upstream-reset");
}

TEST_CASE("an invalid upstream status line gives 502 upstream-invalid-response",
          "[integration][upstream]") {
    SECTION("a non-numeric status") {
        ScriptedUpstream upstream({step::expect_head(),
                                   step::send("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n"),
                                   step::close()});
        GantryProcess gantry(config(), options_for(upstream.port()));
        check_gantry_error(run_curl({gantry.url("/")}), 502, "upstream-invalid-response");
    }
    SECTION("not HTTP at all") {
        ScriptedUpstream upstream(
            {step::expect_head(), step::send("SSH-2.0-OpenSSH_9.2\r\n\r\n"), step::close()});
        GantryProcess gantry(config(), options_for(upstream.port()));
        check_gantry_error(run_curl({gantry.url("/")}), 502, "upstream-invalid-response");
    }
}

TEST_CASE("conflicting Content-Length values from the upstream give 502",
          "[integration][upstream]") {
    ScriptedUpstream upstream(
        {step::expect_head(),
         step::send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
         step::close()});
    GantryProcess gantry(config(), options_for(upstream.port()));
    CurlResult r = run_curl({gantry.url("/")});
    check_gantry_error(r, 502, "upstream-invalid-response");
    CHECK(r.body.find("hello") == std::string::npos);
}

TEST_CASE("an upstream slower than the route timeout gives 504 upstream-timeout",
          "[integration][upstream]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "too late");
        response.delay = 3s;
        return response;
    });
    GantryProcess gantry(config(), options_for(upstream.port()));
    auto start = Clock::now();
    CurlResult r = run_curl({gantry.url("/slow")});
    auto elapsed = Clock::now() - start;
    check_gantry_error(r, 504, "upstream-timeout");
    CHECK(elapsed >= 400ms);
    CHECK(elapsed < 2500ms);
    CHECK(r.body.find("too late") == std::string::npos);
}

TEST_CASE("an upstream dying in the middle of a Content-Length body cuts the client off",
          "[integration][upstream]") {
    bool reset = GENERATE(false, true);
    INFO((reset ? "upstream resets" : "upstream closes"));
    ScriptedUpstream upstream({step::expect_head(), step::send(partial_response(false)),
                               step::sleep(100ms), reset ? step::reset() : step::close()});
    GantryProcess gantry(config(), options_for(upstream.port()));

    CurlResult r = run_curl({gantry.url("/big")});
    INFO("curl stderr: " << r.err);
    CHECK(r.status == 200);
    CHECK(r.exit_code != 0);
    CHECK(r.body.size() < 100000);

    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET /big HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> response = read_response(socket, deadline_in(5s));
    REQUIRE(response.has_value());
    CHECK(response->status() == 200);
    CHECK_FALSE(response->complete);
    CHECK(response->body.size() < 100000);
}

TEST_CASE("an upstream dying in the middle of a chunked body never ends the chunked stream",
          "[integration][upstream]") {
    ScriptedUpstream upstream({step::expect_head(), step::send(partial_response(true)),
                               step::sleep(100ms), step::close()});
    GantryProcess gantry(config(), options_for(upstream.port()));

    CurlResult r = run_curl({gantry.url("/stream")});
    INFO("curl stderr: " << r.err);
    CHECK(r.status == 200);
    CHECK(r.exit_code != 0);
    CHECK(r.body.size() <= 1000);

    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> response = read_response(socket, deadline_in(5s));
    REQUIRE(response.has_value());
    CHECK_FALSE(response->complete);
    CHECK(socket.wait_closed(deadline_in(3s)));
}

TEST_CASE("an upstream slower than per_try_timeout gives 504 upstream-timeout",
          "[integration][upstream]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "too late");
        response.delay = 3s;
        return response;
    });
    GantryProcess gantry(config("timeout: 10s, per_try_timeout: 300ms"),
                         options_for(upstream.port()));
    auto start = Clock::now();
    CurlResult r = run_curl({gantry.url("/slow")});
    auto elapsed = Clock::now() - start;
    check_gantry_error(r, 504, "upstream-timeout");
    CHECK(elapsed >= 250ms);
    CHECK(elapsed < 2s);
}

TEST_CASE("an upstream silent for idle_timeout before its head gives 504 upstream-timeout",
          "[integration][upstream]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "too late");
        response.delay = 3s;
        return response;
    });
    GantryProcess gantry(config("timeout: 10s, idle_timeout: 300ms"), options_for(upstream.port()));
    auto start = Clock::now();
    CurlResult r = run_curl({gantry.url("/idle")});
    auto elapsed = Clock::now() - start;
    check_gantry_error(r, 504, "upstream-timeout");
    CHECK(elapsed >= 250ms);
    CHECK(elapsed < 2s);
}

TEST_CASE("an upstream stalling mid-body for idle_timeout cuts the client off",
          "[integration][upstream]") {
    ScriptedUpstream upstream(
        {step::expect_head(), step::send(partial_response(false)), step::stall()});
    GantryProcess gantry(config("timeout: 10s, idle_timeout: 300ms"), options_for(upstream.port()));
    BufferedSocket socket = connect_to(gantry.port());
    auto start = Clock::now();
    REQUIRE(socket.send_all("GET /stall HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> response = read_response(socket, deadline_in(5s));
    auto elapsed = Clock::now() - start;
    REQUIRE(response.has_value());
    CHECK(response->status() == 200);
    CHECK_FALSE(response->complete);
    CHECK(response->body.size() == 1000);
    CHECK(elapsed >= 250ms);
    CHECK(elapsed < 3s);
}

}  // namespace gantry::test
