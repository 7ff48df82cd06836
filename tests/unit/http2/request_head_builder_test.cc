#include <catch2/catch.hpp>

#include <gantry/http2/request_head_builder.h>

namespace gantry::http2 {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields request(const std::string& method = "GET", const std::string& path = "/a?b=1") {
    return {{":method", method},
            {":scheme", "https"},
            {":authority", "example.com:8443"},
            {":path", path}};
}

struct Built {
    std::pmr::monotonic_buffer_resource arena;
    http::RequestHead head{&arena};
    HeadError error;
};

void build(Built& out, const Fields& fields, bool end_stream = true, RequestLimits limits = {}) {
    RequestHeadBuilder builder;
    builder.reset(&out.head, limits);
    for (const auto& [name, value] : fields) {
        builder.add(name, value);
    }
    out.error = builder.finish(end_stream);
}

Fields with(Fields fields, const std::string& name, const std::string& value) {
    fields.emplace_back(name, value);
    return fields;
}

}  // namespace

TEST_CASE("pseudo-headers become the request line, authority and Host", "[http2]") {
    Built built;
    build(built, with(request(), "accept", "*/*"));
    REQUIRE_FALSE(built.error.is_error());
    CHECK(built.head.method == "GET");
    CHECK(built.head.target == "/a?b=1");
    CHECK(built.head.path == "/a");
    CHECK(built.head.query == "b=1");
    CHECK(built.head.authority == "example.com:8443");
    CHECK(built.head.version_major == 2);
    CHECK(built.head.version_minor == 0);
    CHECK_FALSE(built.head.has_body());
    REQUIRE(built.head.headers.get(http::HeaderId::Host) != nullptr);
    CHECK(built.head.headers.get(http::HeaderId::Host)->value == "example.com:8443");
    CHECK(built.head.headers.get("accept")->value == "*/*");
}

TEST_CASE("a Host field stands in for a missing :authority and must agree with it", "[http2]") {
    Fields no_authority{
        {":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {"host", "h.example"}};
    Built fallback;
    build(fallback, no_authority);
    REQUIRE_FALSE(fallback.error.is_error());
    CHECK(fallback.head.authority == "h.example");

    Built conflict;
    build(conflict, with(request(), "host", "other.example"));
    CHECK(conflict.error.status == 400);
    CHECK(std::string(conflict.error.reason) == "invalid-host");

    Built neither;
    build(neither, {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}});
    CHECK(std::string(neither.error.reason) == "missing-host");
}

TEST_CASE("fields that could smuggle a request through HTTP/1.1 are refused", "[http2]") {
    struct Case {
        std::string name;
        std::string value;
        std::string reason;
    };

    std::vector<Case> cases{
        {"x-a", std::string("a\rb"), "invalid-header-value"},
        {"x-a", std::string("a\nGET / HTTP/1.1"), "invalid-header-value"},
        {"x-a", std::string("a\0b", 3), "invalid-header-value"},
        {"x-a", " padded", "invalid-header-value"},
        {"X-Upper", "1", "invalid-header-name"},
        {"x a", "1", "invalid-header-name"},
        {"x:a", "1", "invalid-header-name"},
        {"connection", "close", "connection-specific-header"},
        {"keep-alive", "5", "connection-specific-header"},
        {"proxy-connection", "keep-alive", "connection-specific-header"},
        {"transfer-encoding", "chunked", "connection-specific-header"},
        {"upgrade", "h2c", "connection-specific-header"},
        {"te", "gzip", "connection-specific-header"},
        {"content-length", "5, 6", "invalid-content-length"},
        {"content-length", "-1", "invalid-content-length"},
    };
    for (const Case& c : cases) {
        INFO(c.name << ": " << c.value);
        Built built;
        build(built, with(request("POST"), c.name, c.value), false);
        CHECK(built.error.status == 400);
        CHECK(std::string(built.error.reason) == c.reason);
    }
    Built te_trailers;
    build(te_trailers, with(request(), "te", "trailers"));
    CHECK_FALSE(te_trailers.error.is_error());
    CHECK(te_trailers.head.headers.get(http::HeaderId::Te) == nullptr);  // hop-by-hop
}

TEST_CASE("pseudo-headers must be known, single, first and complete", "[http2]") {
    Built unknown;
    build(unknown, with(request(), ":status", "200"));
    CHECK(std::string(unknown.error.reason) == "unknown-pseudo-header");

    Fields late = request();
    late.insert(late.begin() + 2, {"accept", "*/*"});
    Built after_field;
    build(after_field, late);
    CHECK(std::string(after_field.error.reason) == "pseudo-header-after-field");

    Fields twice = request();
    twice.insert(twice.begin(), {":path", "/x"});
    Built duplicate;
    build(duplicate, twice);
    CHECK(std::string(duplicate.error.reason) == "duplicate-pseudo-header");

    Built missing;
    build(missing, {{":method", "GET"}, {":authority", "a"}, {":path", "/"}});
    CHECK(std::string(missing.error.reason) == "missing-pseudo-header");

    Built bad_scheme;
    build(bad_scheme,
          {{":method", "GET"}, {":scheme", "ftp"}, {":authority", "a"}, {":path", "/"}});
    CHECK(std::string(bad_scheme.error.reason) == "invalid-scheme");

    Built absolute;
    build(absolute, request("GET", "http://evil/"));
    CHECK(std::string(absolute.error.reason) == "invalid-target");

    Built star;
    build(star, request("OPTIONS", "*"));
    CHECK_FALSE(star.error.is_error());
}

TEST_CASE("CONNECT and extended CONNECT are refused with 501", "[http2]") {
    Built connect;
    build(connect, {{":method", "CONNECT"}, {":authority", "example.com:443"}});
    CHECK(connect.error.status == 501);
    CHECK(std::string(connect.error.reason) == "connect-not-supported");

    Built extended;
    Fields fields = request("CONNECT");
    fields.insert(fields.begin(), {":protocol", "websocket"});
    build(extended, fields);
    CHECK(extended.error.status == 501);
}

TEST_CASE("framing: declared length, unknown length and END_STREAM", "[http2]") {
    Built sized;
    build(sized, with(request("POST"), "content-length", "12"), false);
    REQUIRE_FALSE(sized.error.is_error());
    CHECK(sized.head.content_length == 12u);
    CHECK_FALSE(sized.head.is_chunked);
    CHECK(sized.head.headers.get(http::HeaderId::ContentLength) == nullptr);

    Built streamed;
    build(streamed, request("POST"), false);
    CHECK_FALSE(streamed.head.content_length.has_value());
    CHECK(streamed.head.is_chunked);  // HTTP/1.1 upstream gets chunked

    Built ended_early;
    build(ended_early, with(request("POST"), "content-length", "3"), true);
    CHECK(std::string(ended_early.error.reason) == "content-length-mismatch");

    RequestLimits small;
    small.max_body = 10;
    Built too_big;
    build(too_big, with(request("POST"), "content-length", "11"), false, small);
    CHECK(too_big.error.status == 413);
}

TEST_CASE("header list size and count limits give 431", "[http2]") {
    RequestLimits limits;
    limits.max_header_bytes = 1024;
    limits.max_headers = 10;
    Built big;
    build(big, with(request(), "x-big", std::string(1000, 'a')), true, limits);
    CHECK(big.error.status == 431);
    CHECK(std::string(big.error.reason) == "headers-too-large");

    Fields many = request();
    for (int i = 0; i < 10; ++i) {
        many.emplace_back("x-" + std::to_string(i), "v");
    }
    Built count;
    build(count, many, true, limits);
    CHECK(count.error.status == 431);
    CHECK(std::string(count.error.reason) == "too-many-headers");
}

TEST_CASE("cookie crumbs are joined for HTTP/1.1 and expectations are checked", "[http2]") {
    Fields fields = request();
    fields.emplace_back("cookie", "a=1");
    fields.emplace_back("x-other", "1");
    fields.emplace_back("cookie", "b=2");
    Built built;
    build(built, fields);
    REQUIRE_FALSE(built.error.is_error());
    size_t cookies = 0;
    for (const http::HeaderField& field : built.head.headers) {
        cookies += field.name == "cookie" ? 1 : 0;
    }
    CHECK(cookies == 1);
    CHECK(built.head.headers.get("cookie")->value == "a=1; b=2");

    Built expect;
    build(expect, with(request("POST"), "expect", "100-continue"), false);
    CHECK(expect.head.expects_continue);
    Built odd;
    build(odd, with(request("POST"), "expect", "something"), false);
    CHECK(odd.error.status == 417);
}

TEST_CASE("trailer blocks take plain fields only", "[http2]") {
    std::pmr::monotonic_buffer_resource arena;
    http::HeaderMap trailers(&arena);
    RequestHeadBuilder builder;
    builder.reset_trailers(&trailers, {});
    builder.add("grpc-status", "0");
    CHECK_FALSE(builder.finish_trailers().is_error());
    CHECK(trailers.get("grpc-status")->value == "0");

    builder.reset_trailers(&trailers, {});
    builder.add(":path", "/");
    CHECK(builder.finish_trailers().is_error());
    builder.reset_trailers(&trailers, {});
    builder.add("content-length", "1");
    CHECK(builder.finish_trailers().is_error());
}

}  // namespace gantry::http2
