// Headers gantry changes on the way through: hop-by-hop removal in both directions,
// X-Forwarded-For / X-Forwarded-Proto, X-Request-Id, and Host.

#include <set>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

const std::string kConfig = proxy_config();

// Sends one raw request on a new connection and reads the response.
std::optional<HttpResponse> exchange(uint16_t port, const std::string& request,
                                     BufferedSocket* keep = nullptr) {
    BufferedSocket socket = connect_to(port);
    REQUIRE(socket.is_open());
    REQUIRE(socket.send_all(request, deadline_in(5s)));
    std::optional<HttpResponse> response = read_response(socket, deadline_in(10s));
    if (keep != nullptr) {
        *keep = std::move(socket);
    }
    return response;
}

bool any_value_mentions(const Headers& headers, std::string_view name, std::string_view token) {
    return to_lower(joined_header(headers, name)).find(token) != std::string::npos;
}

}  // namespace

TEST_CASE("hop-by-hop request headers are not forwarded", "[integration][headers]") {
    HttpUpstream upstream;
    GantryProcess gantry(kConfig, with_upstream(upstream));
    std::optional<HttpResponse> response = exchange(gantry.port(),
                                                    "GET /hop HTTP/1.1\r\n"
                                                    "Host: example.com\r\n"
                                                    "Connection: keep-alive, X-Foo\r\n"
                                                    "X-Foo: must-go\r\n"
                                                    "Keep-Alive: timeout=5\r\n"
                                                    "Proxy-Connection: keep-alive\r\n"
                                                    "TE: trailers\r\n"
                                                    "X-Keep: stays\r\n"
                                                    "\r\n");
    REQUIRE(response);
    CHECK(response->status() == 200);
    REQUIRE(upstream.request_count() == 1);
    Headers seen = upstream.requests()[0].headers;
    CHECK_FALSE(has_header(seen, "x-foo"));
    CHECK_FALSE(has_header(seen, "keep-alive"));
    CHECK_FALSE(has_header(seen, "proxy-connection"));
    CHECK_FALSE(has_header(seen, "te"));
    CHECK_FALSE(has_header(seen, "upgrade"));
    CHECK_FALSE(any_value_mentions(seen, "connection", "x-foo"));
    CHECK(header_value(seen, "x-keep") == "stays");
}

TEST_CASE("a client's Connection: close is not forwarded and the upstream connection is reused",
          "[integration][headers]") {
    HttpUpstream upstream;
    GantryProcess gantry(kConfig, with_upstream(upstream));
    for (int i = 0; i < 3; ++i) {
        BufferedSocket socket;
        std::optional<HttpResponse> response = exchange(
            gantry.port(), "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &socket);
        REQUIRE(response);
        CHECK(response->status() == 200);
        CHECK(any_value_mentions(response->head.headers, "connection", "close"));
        // gantry closes the client connection after answering a Connection: close request.
        CHECK(socket.wait_closed(deadline_in(3s)));
    }
    REQUIRE(upstream.request_count() == 3);
    for (const UpstreamRequest& r : upstream.requests()) {
        CHECK_FALSE(any_value_mentions(r.headers, "connection", "close"));
    }
    CHECK(upstream.connection_count() == 1);
}

TEST_CASE("hop-by-hop response headers are not relayed", "[integration][headers]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "hello");
        response.headers.emplace_back("Connection", "X-Bar");
        response.headers.emplace_back("X-Bar", "must-go");
        response.headers.emplace_back("Keep-Alive", "timeout=5, max=100");
        response.headers.emplace_back("Proxy-Connection", "keep-alive");
        response.headers.emplace_back("X-Keep", "stays");
        return response;
    });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    std::optional<HttpResponse> response =
        exchange(gantry.port(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    REQUIRE(response);
    CHECK(response->status() == 200);
    CHECK(response->body == "hello");
    CHECK_FALSE(has_header(response->head.headers, "x-bar"));
    CHECK_FALSE(has_header(response->head.headers, "keep-alive"));
    CHECK_FALSE(has_header(response->head.headers, "proxy-connection"));
    CHECK_FALSE(any_value_mentions(response->head.headers, "connection", "x-bar"));
    CHECK(response->header("x-keep") == "stays");
}

TEST_CASE("X-Forwarded-For is appended and X-Forwarded-Proto is http", "[integration][headers]") {
    HttpUpstream upstream;
    GantryProcess gantry(kConfig, with_upstream(upstream));
    REQUIRE(exchange(gantry.port(), "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"));
    REQUIRE(exchange(gantry.port(),
                     "GET /2 HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"));
    REQUIRE(exchange(gantry.port(),
                     "GET /3 HTTP/1.1\r\nHost: a\r\n"
                     "X-Forwarded-For: 203.0.113.9, 198.51.100.7\r\n"
                     "X-Forwarded-Proto: https\r\n\r\n"));
    REQUIRE(upstream.request_count() == 3);
    std::vector<UpstreamRequest> seen = upstream.requests();
    CHECK(joined_header(seen[0].headers, "x-forwarded-for") == "127.0.0.1");
    CHECK(joined_header(seen[1].headers, "x-forwarded-for") == "203.0.113.9, 127.0.0.1");
    CHECK(joined_header(seen[2].headers, "x-forwarded-for") ==
          "203.0.113.9, 198.51.100.7, 127.0.0.1");
    for (const UpstreamRequest& r : seen) {
        // The client connection is plain HTTP, whatever the client claims.
        CHECK(header_values(r.headers, "x-forwarded-proto") == std::vector<std::string>{"http"});
    }
}

TEST_CASE("X-Request-Id is generated when absent and kept when present", "[integration][headers]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        return UpstreamResponse::text(200, r.header("x-request-id").value_or(""));
    });
    GantryProcess gantry(kConfig, with_upstream(upstream));
    std::set<std::string> generated;
    for (int i = 0; i < 5; ++i) {
        std::optional<HttpResponse> r =
            exchange(gantry.port(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        REQUIRE(r);
        const std::string& id = r->body;
        CHECK(id.size() >= 8);
        CHECK(std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; }));
        generated.insert(id);
    }
    CHECK(generated.size() == 5);

    std::optional<HttpResponse> kept =
        exchange(gantry.port(), "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-123\r\n\r\n");
    REQUIRE(kept);
    CHECK(kept->body == "abc-123");
    std::vector<UpstreamRequest> seen = upstream.requests();
    REQUIRE(seen.size() == 6);
    CHECK(header_values(seen[5].headers, "x-request-id") == std::vector<std::string>{"abc-123"});
}

TEST_CASE("the client's Host reaches the upstream unchanged", "[integration][headers]") {
    HttpUpstream upstream;
    GantryProcess gantry(kConfig, with_upstream(upstream));
    REQUIRE(exchange(gantry.port(), "GET / HTTP/1.1\r\nHost: Client.Example.com:8080\r\n\r\n"));
    REQUIRE(upstream.request_count() == 1);
    CHECK(header_values(upstream.requests()[0].headers, "host") ==
          std::vector<std::string>{"Client.Example.com:8080"});
}

}  // namespace gantry::test
