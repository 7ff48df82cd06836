// HTTP/1.1 message semantics through the proxy: keep-alive, pipelining, Expect: 100-continue,
// bodiless responses (HEAD, 204, 304), chunked bodies with trailers, 1xx, HTTP/1.0 clients.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

const std::string kConfig =
    one_host_config(kForwardAllRoute, backend_cluster(), kQuietGlobals, "    default: true\n");

UpstreamResponse echo_target(const UpstreamRequest& r) {
    return UpstreamResponse::text(200, r.method + " " + r.target + " " + r.body);
}

}  // namespace

TEST_CASE("several requests share one keep-alive client connection", "[integration][http1]") {
    HttpUpstream upstream(echo_target);
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    for (int i = 0; i < 5; ++i) {
        std::string path = "/k" + std::to_string(i);
        REQUIRE(socket.send_all("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        REQUIRE(r.has_value());
        CHECK(r->complete);
        CHECK(r->body == "GET " + path + " ");
    }
}

TEST_CASE("pipelined requests are answered in order", "[integration][http1]") {
    HttpUpstream upstream(echo_target);
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(
        socket.send_all("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                        "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
                        "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
                        deadline_in(2s)));
    for (const char* expected : {"GET /1 ", "POST /2 body", "GET /3 "}) {
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        REQUIRE(r.has_value());
        CHECK(r->status() == 200);
        CHECK(r->complete);
        CHECK(r->body == expected);
    }
    CHECK(upstream.request_count() == 3);
}

TEST_CASE("Expect: 100-continue gets an interim 100 before the body is sent",
          "[integration][http1]") {
    HttpUpstream upstream(echo_target);
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(
        socket.send_all("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                        "Expect: 100-continue\r\n\r\n",
                        deadline_in(2s)));
    std::optional<std::string> interim = socket.read_until("\r\n\r\n", deadline_in(3s));
    REQUIRE(interim.has_value());
    HttpHead head;
    REQUIRE(parse_head(*interim, false, &head));
    CHECK(head.status == 100);
    REQUIRE(socket.send_all("hello", deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->status() == 200);
    CHECK(r->body == "POST /e hello");
}

TEST_CASE("a HEAD response carries no body and the connection stays usable",
          "[integration][http1]") {
    HttpUpstream upstream(
        [](const UpstreamRequest&) { return UpstreamResponse::text(200, "hello world"); });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> head = read_response(socket, deadline_in(5s), true);
    REQUIRE(head.has_value());
    CHECK(head->status() == 200);
    CHECK(head->header("content-length") == "11");
    REQUIRE(socket.send_all("GET /g HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> get = read_response(socket, deadline_in(5s));
    REQUIRE(get.has_value());
    CHECK(get->status() == 200);
    CHECK(get->body == "hello world");
    CHECK(upstream.requests().at(0).method == "HEAD");
}

TEST_CASE("204 and 304 responses carry no body", "[integration][http1]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        if (r.target == "/204") {
            UpstreamResponse response;
            response.status = 204;
            return response;
        }
        if (r.target == "/304") {
            UpstreamResponse response;
            response.status = 304;
            response.headers.emplace_back("ETag", "\"v1\"");
            return response;
        }
        return UpstreamResponse::text(200, "after");
    });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET /204 HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> no_content = read_response(socket, deadline_in(5s));
    REQUIRE(no_content.has_value());
    CHECK(no_content->status() == 204);
    CHECK_FALSE(has_header(no_content->head.headers, "transfer-encoding"));
    CHECK_FALSE(has_header(no_content->head.headers, "content-length"));

    REQUIRE(socket.send_all("GET /304 HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n\r\n",
                            deadline_in(2s)));
    std::optional<HttpResponse> not_modified = read_response(socket, deadline_in(5s));
    REQUIRE(not_modified.has_value());
    CHECK(not_modified->status() == 304);
    CHECK(not_modified->header("etag") == "\"v1\"");
    CHECK_FALSE(has_header(not_modified->head.headers, "transfer-encoding"));

    // Had either carried body bytes, they would be read here as the start of this response.
    REQUIRE(socket.send_all("GET /after HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> after = read_response(socket, deadline_in(5s));
    REQUIRE(after.has_value());
    CHECK(after->status() == 200);
    CHECK(after->body == "after");
    CHECK(socket.buffer().empty());
}

TEST_CASE("a chunked request body and its trailers reach the upstream", "[integration][http1]") {
    HttpUpstream upstream(echo_target);
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(
        socket.send_all("POST /chunked HTTP/1.1\r\nHost: a\r\n"
                        "Transfer-Encoding: chunked\r\nTrailer: x-trailer\r\n\r\n"
                        "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t1\r\n\r\n",
                        deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->status() == 200);
    CHECK(r->body == "POST /chunked hello world");
    REQUIRE(upstream.request_count() == 1);
    UpstreamRequest seen = upstream.requests()[0];
    CHECK(seen.body == "hello world");
    CHECK(header_value(seen.trailers, "x-trailer") == "t1");
}

TEST_CASE("a chunked response body and its trailers reach the client", "[integration][http1]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "hello world, in pieces");
        response.chunked = true;
        response.chunk_size = 4;
        response.headers.emplace_back("Trailer", "x-checksum");
        response.trailers.emplace_back("X-Checksum", "abc123");
        return response;
    });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->status() == 200);
    CHECK(r->chunked);
    CHECK(r->complete);
    CHECK(r->body == "hello world, in pieces");
    CHECK(header_value(r->trailers, "x-checksum") == "abc123");
}

// Long bodies move to a larger read block mid-response (after 32 KiB of a chunked body, at the
// head for a Content-Length one): the bytes on both sides of the switch must arrive in order.
TEST_CASE("long response bodies of every framing arrive intact", "[integration][http1]") {
    std::string body;
    for (int i = 0; body.size() < 300 * 1024; ++i) {
        body += "line " + std::to_string(i) + " of a long body\n";
    }
    HttpUpstream upstream([&body](const UpstreamRequest& request) {
        UpstreamResponse response = UpstreamResponse::text(200, body);
        if (request.target == "/chunked") {
            response.chunked = true;
            response.chunk_size = 1000;
        }
        return response;
    });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    for (const char* target : {"/chunked", "/length", "/chunked"}) {
        INFO(target);
        REQUIRE(socket.send_all(std::string("GET ") + target + " HTTP/1.1\r\nHost: a\r\n\r\n",
                                deadline_in(2s)));
        std::optional<HttpResponse> r = read_response(socket, deadline_in(10s));
        REQUIRE(r.has_value());
        CHECK(r->status() == 200);
        CHECK(r->complete);
        CHECK(r->body.size() == body.size());
        CHECK(r->body == body);
    }
}

TEST_CASE("a 103 Early Hints response is forwarded before the final one", "[integration][http1]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "final");
        response.interim.push_back({103, {{"Link", "</style.css>; rel=preload; as=style"}}});
        return response;
    });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET / HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    REQUIRE(r->interim.size() == 1);
    CHECK(r->interim[0].status == 103);
    CHECK(header_value(r->interim[0].headers, "link") == "</style.css>; rel=preload; as=style");
    CHECK(r->status() == 200);
    CHECK(r->body == "final");
}

TEST_CASE("an HTTP/1.0 client gets an unchunked body and a closed connection",
          "[integration][http1]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "hello world");
        response.chunked = true;
        response.chunk_size = 3;
        return response;
    });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    SECTION("with Host") {
        BufferedSocket socket = connect_to(gantry.port());
        REQUIRE(socket.send_all("GET /old HTTP/1.0\r\nHost: a\r\n\r\n", deadline_in(2s)));
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        REQUIRE(r.has_value());
        CHECK(r->status() == 200);
        CHECK_FALSE(r->chunked);
        CHECK(r->complete);
        CHECK(r->body == "hello world");
        CHECK(socket.wait_closed(deadline_in(3s)));
    }
    SECTION("without Host, which HTTP/1.0 does not require") {
        BufferedSocket socket = connect_to(gantry.port());
        REQUIRE(socket.send_all("GET /old HTTP/1.0\r\n\r\n", deadline_in(2s)));
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        REQUIRE(r.has_value());
        CHECK(r->status() == 200);
        CHECK(r->body == "hello world");
        CHECK(socket.wait_closed(deadline_in(3s)));
    }
}

TEST_CASE("an idle keep-alive client connection is closed after limits.idle_timeout",
          "[integration][http1]") {
    HttpUpstream upstream(echo_target);
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig + "limits: { idle_timeout: 300ms }\n", options);
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET /once HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->status() == 200);
    auto answered = Clock::now();
    std::string extra;
    CHECK(socket.wait_closed(deadline_in(3s), &extra));
    CHECK(Clock::now() - answered >= 200ms);
    CHECK(extra.empty());
}

}  // namespace gantry::test
