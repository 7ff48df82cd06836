// Requests that break RFC 9112 (or the configured limits) are answered by gantry itself with
// 400 / 408 / 413 / 431, the client connection is closed, and the upstream never gets them.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

const std::string kConfig = proxy_config({}, {}, std::string(kQuietGlobals) + R"(limits:
  max_headers: 20
  max_request_headers: 4KiB
  max_request_body: 1KiB
  header_timeout: 500ms
)");

struct Rejection {
    std::optional<HttpResponse> response;
    bool closed = false;
};

// Sends `bytes` on a fresh connection, reads gantry's answer and waits for the close.
Rejection send_bad(uint16_t port, const std::string& bytes) {
    BufferedSocket socket = connect_to(port);
    REQUIRE(socket.is_open());
    REQUIRE(socket.send_all(bytes, deadline_in(5s)));
    Rejection r;
    r.response = read_response(socket, deadline_in(5s));
    r.closed = socket.wait_closed(deadline_in(3s));
    return r;
}

// Checks the usual shape of a rejection: status, error header, closed, upstream untouched.
void check_rejected(const Rejection& r, int status, const HttpUpstream& upstream) {
    REQUIRE(r.response.has_value());
    CHECK(r.response->status() == status);
    std::optional<std::string> reason = r.response->header("x-gantry-error");
    CHECK(reason.has_value());
    CHECK_FALSE(reason.value_or("").empty());
    CHECK(r.closed);
    CHECK(upstream.request_count() == 0);
}

struct BadCase {
    const char* name;
    std::string bytes;
    int status;
};

std::vector<BadCase> bad_cases() {
    const std::string get = "GET / HTTP/1.1\r\nHost: example.com\r\n";
    const std::string post = "POST / HTTP/1.1\r\nHost: example.com\r\n";
    std::string many_headers = get;
    for (int i = 0; i < 30; ++i) {
        many_headers += "X-H" + std::to_string(i) + ": v\r\n";
    }
    return {
        {"Content-Length with Transfer-Encoding",
         post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"two different Content-Length values",
         post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
        {"a Content-Length list with different values", post + "Content-Length: 5, 6\r\n\r\nhello!",
         400},
        {"Transfer-Encoding gzip", post + "Transfer-Encoding: gzip\r\n\r\nxxxx", 400},
        {"Transfer-Encoding chunked, gzip",
         post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
        {"a malformed chunk size",
         post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
        {"obs-fold in a header", get + "X-Folded: one\r\n two\r\n\r\n", 400},
        {"a bare CR in a header value", get + "X-Bad: a\rb\r\n\r\n", 400},
        {"a bare CR ending a line", "GET / HTTP/1.1\rHost: example.com\r\n\r\n", 400},
        {"a control byte in a header name",
         get + "X-B\x01"
               "ad: v\r\n\r\n",
         400},
        {"a control byte in a header value",
         get + "X-Bad: a\x01"
               "b\r\n\r\n",
         400},
        {"a NUL in a header value", get + std::string("X-Bad: a\0b\r\n\r\n", 13), 400},
        {"whitespace before the colon", get + "X-Bad : v\r\n\r\n", 400},
        {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
        {"two Host headers", get + "Host: other.example.com\r\n\r\n", 400},
        {"an invalid method token", "GE@T / HTTP/1.1\r\nHost: example.com\r\n\r\n", 400},
        {"an invalid version", "GET / HTTP/1.x\r\nHost: example.com\r\n\r\n", 400},
        {"a space in Host", "GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", 400},
        {"a slash in Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        {"too many header fields", many_headers + "\r\n", 431},
        {"a header block over max_request_headers",
         get + "X-Big: " + std::string(8 * 1024, 'a') + "\r\n\r\n", 431},
        {"a Content-Length over max_request_body", post + "Content-Length: 4096\r\n\r\n", 413},
    };
}

}  // namespace

TEST_CASE("malformed requests are rejected, the connection closed, the upstream untouched",
          "[integration][malformed]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    for (const BadCase& c : bad_cases()) {
        SECTION(c.name) {
            Rejection r = send_bad(gantry.port(), c.bytes);
            check_rejected(r, c.status, upstream);
        }
    }
}

TEST_CASE("a chunked body over max_request_body is refused with 413", "[integration][malformed]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    std::string chunk(600, 'x');
    std::string body = "258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n";
    Rejection r = send_bad(
        gantry.port(), "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    REQUIRE(r.response.has_value());
    CHECK(r.response->status() == 413);
    CHECK(r.closed);
    CHECK(upstream.request_count() == 0);
}

TEST_CASE("a request head that does not arrive in header_timeout gets 408",
          "[integration][malformed]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.is_open());
    auto start = Clock::now();
    REQUIRE(socket.send_all("GET / HTTP/1.1\r\nHost: example.com\r\nX-Slow: ", deadline_in(2s)));
    std::optional<HttpResponse> response = read_response(socket, deadline_in(5s));
    auto elapsed = Clock::now() - start;
    REQUIRE(response.has_value());
    CHECK(response->status() == 408);
    CHECK(response->header("x-gantry-error").has_value());
    CHECK(elapsed >= 400ms);
    CHECK(elapsed < 3s);
    CHECK(socket.wait_closed(deadline_in(3s)));
    CHECK(upstream.request_count() == 0);
}

TEST_CASE("a well-formed request on the same listener still works after rejections",
          "[integration][malformed]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    Rejection bad = send_bad(gantry.port(), "GET / HTTP/1.1\r\nX-Bad : v\r\nHost: a\r\n\r\n");
    REQUIRE(bad.response.has_value());
    CHECK(bad.response->status() == 400);
    CurlResult good = run_curl({gantry.url("/fine")});
    CHECK(good.status == 200);
    CHECK(upstream.request_count() == 1);
}

}  // namespace gantry::test
