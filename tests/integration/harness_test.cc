// The test harness checked on its own, without gantry: when a proxy test fails, the peers and
// clients it used are known to speak HTTP/1.1 correctly.

#include <catch2/catch.hpp>

#include "support/http_upstream.h"
#include "support/scripted_upstream.h"
#include "support/test_util.h"

namespace gantry::test {

TEST_CASE("HttpUpstream serves curl over keep-alive and records requests", "[harness]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        return UpstreamResponse::text(200, r.method + " " + r.target + " " + r.body);
    });
    CurlResult r = run_curl({"--data-binary", "abc", "http://" + upstream.address() + "/one"});
    CHECK(r.exit_code == 0);
    CHECK(r.status == 200);
    CHECK(r.body == "POST /one abc");
    CHECK(r.header("content-length") == "13");
    BufferedSocket socket = connect_to(upstream.port());
    for (const char* path : {"/two", "/three"}) {
        REQUIRE(socket.send_all(std::string("GET ") + path + " HTTP/1.1\r\nHost: a\r\n\r\n",
                                deadline_in(2s)));
        std::optional<HttpResponse> response = read_response(socket, deadline_in(2s));
        REQUIRE(response.has_value());
        CHECK(response->body == std::string("GET ") + path + " ");
    }
    CHECK(upstream.request_count() == 3);
    CHECK(upstream.connection_count() == 2);
    CHECK(upstream.requests()[0].body == "abc");
}

TEST_CASE("HttpUpstream reads chunked bodies with trailers and answers Expect", "[harness]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        UpstreamResponse response = UpstreamResponse::text(200, r.body);
        response.chunked = true;
        response.chunk_size = 2;
        response.trailers.emplace_back("X-T", "done");
        response.interim.push_back({103, {{"Link", "</a>"}}});
        return response;
    });
    BufferedSocket socket = connect_to(upstream.port());
    REQUIRE(
        socket.send_all("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n",
                        deadline_in(2s)));
    CHECK(socket.read_until("\r\n\r\n", deadline_in(2s)) == "HTTP/1.1 100 Continue\r\n\r\n");
    REQUIRE(socket.send_all("3\r\nabc\r\n0\r\nX-In: 1\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->interim.size() == 1);
    CHECK(r->chunked);
    CHECK(r->complete);
    CHECK(r->body == "abc");
    CHECK(header_value(r->trailers, "x-t") == "done");
    REQUIRE(upstream.request_count() == 1);
    CHECK(header_value(upstream.requests()[0].trailers, "x-in") == "1");
}

TEST_CASE("HttpUpstream streams generated bodies that match the pattern", "[harness]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        UpstreamResponse response;
        response.generated_body_size = 3 * BodyPattern::kMaxSpan + 17;
        response.body = r.body_is_pattern ? "" : "unused";
        return response;
    });
    BufferedSocket socket = connect_to(upstream.port());
    std::string upload(1000, '\0');
    BodyPattern::instance().fill(0, upload.data(), upload.size());
    REQUIRE(socket.send_all("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + upload,
                            deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->body.size() == 3 * BodyPattern::kMaxSpan + 17);
    CHECK(BodyPattern::instance().matches(0, r->body.data(), r->body.size()));
    CHECK_FALSE(BodyPattern::instance().matches(1, r->body.data(), r->body.size()));
    CHECK(upstream.requests()[0].body_is_pattern);
}

TEST_CASE("HttpUpstream can reset instead of answering", "[harness]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response;
        response.reset = true;
        return response;
    });
    BufferedSocket socket = connect_to(upstream.port());
    REQUIRE(socket.send_all("GET / HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    CHECK(socket.wait_closed(deadline_in(3s)));
    CHECK(socket.last_read() == BufferedSocket::Read::Reset);
}

TEST_CASE("HttpUpstream can close in the middle of a body and after a keep-alive timeout",
          "[harness]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        UpstreamResponse response = UpstreamResponse::text(200, std::string(1000, 'x'));
        response.close_mid_body = r.target == "/cut";
        return response;
    });
    upstream.set_keep_alive_timeout(100ms);
    BufferedSocket socket = connect_to(upstream.port());
    REQUIRE(socket.send_all("GET /cut HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> cut = read_response(socket, deadline_in(5s));
    REQUIRE(cut.has_value());
    CHECK_FALSE(cut->complete);
    CHECK(cut->body.size() == 500);

    BufferedSocket idle = connect_to(upstream.port());
    REQUIRE(idle.send_all("GET /whole HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> whole = read_response(idle, deadline_in(5s));
    REQUIRE(whole.has_value());
    CHECK(whole->complete);
    auto answered = Clock::now();
    CHECK(idle.wait_closed(deadline_in(2s)));
    CHECK(Clock::now() - answered >= 80ms);
}

TEST_CASE("ScriptedUpstream plays its script and records what it received", "[harness]") {
    ScriptedUpstream upstream({step::expect_head(), step::send("HTTP/1.1 200 OK\r\n"),
                               step::sleep(50ms), step::send("Content-Length: 2\r\n\r\nhi"),
                               step::echo()});
    BufferedSocket socket = connect_to(upstream.port());
    REQUIRE(socket.send_all("GET / HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->body == "hi");
    REQUIRE(socket.send_all("echo me", deadline_in(2s)));
    CHECK(socket.read_exact(7, deadline_in(2s)) == "echo me");
    socket.close();
    CHECK(wait_until([&] { return upstream.completed_scripts() == 1; }, 2s));
    CHECK(upstream.received(0) == "GET / HTTP/1.1\r\nHost: a\r\n\r\necho me");
    CHECK(upstream.connection_count() == 1);
}

TEST_CASE("free ports refuse connections and closed-port connects are refused", "[harness]") {
    uint16_t port = free_port();
    CHECK(port != 0);
    CHECK(try_connect(port) == ConnectOutcome::Refused);
    HttpUpstream upstream;
    CHECK(try_connect(upstream.port()) == ConnectOutcome::Connected);
}

}  // namespace gantry::test
