#include <memory_resource>
#include <string>

#include <catch2/catch.hpp>

#include <gantry/http/http1_parser.h>
#include <gantry/http/http1_serializer.h>

namespace {

using gantry::http::BodyFraming;
using gantry::http::HeaderId;
using gantry::http::Http1EventKind;
using gantry::http::Http1Parser;

// Parses one whole message from `bytes`, returning the concatenated body.
std::string parse_all(Http1Parser& parser, std::string_view bytes, bool& trailers_seen) {
    std::string body;
    trailers_seen = false;
    for (;;) {
        auto ev = parser.next(bytes);
        switch (ev.kind) {
            case Http1EventKind::Body:
                body += ev.data;
                break;
            case Http1EventKind::TrailersComplete:
                trailers_seen = true;
                break;
            case Http1EventKind::MessageComplete:
                REQUIRE(bytes.empty());
                return body;
            case Http1EventKind::Error:
                FAIL("parse error: " << ev.reason);
                return body;
            case Http1EventKind::NeedMore:
                FAIL("message incomplete");
                return body;
            case Http1EventKind::HeadComplete:
                break;
        }
    }
}

}  // namespace

TEST_CASE("a serialized request head parses back to the same head", "[http][serializer]") {
    std::pmr::monotonic_buffer_resource arena;
    gantry::http::RequestHead head(&arena);
    head.method = "POST";
    head.target = "/orig?q=1";
    head.headers.add("Host", "example.com");
    head.headers.add("X-Multi", "a");
    head.headers.add("x-multi", "b");
    std::string out;
    gantry::http::serialize_request_head(head, "/rewritten?z=2", BodyFraming::ContentLength, 4,
                                         out);
    CHECK(out ==
          "POST /rewritten?z=2 HTTP/1.1\r\nHost: example.com\r\nX-Multi: a\r\nx-multi: b\r\n"
          "Content-Length: 4\r\n\r\n");
    out += "data";

    Http1Parser parser(Http1Parser::Kind::Request, {});
    parser.reset(&arena);
    bool trailers = false;
    CHECK(parse_all(parser, out, trailers) == "data");
    const auto& parsed = parser.request();
    CHECK(parsed.method == "POST");
    CHECK(parsed.path == "/rewritten");
    CHECK(parsed.query == "z=2");
    CHECK(parsed.authority == "example.com");
    CHECK(parsed.content_length == 4u);
    REQUIRE(parsed.headers.size() == 4);
    CHECK(parsed.headers.fields()[1].value == "a");
    CHECK(parsed.headers.fields()[2].name == "x-multi");
}

TEST_CASE("request heads are always written as HTTP/1.1 with the head's target by default",
          "[http][serializer]") {
    gantry::http::RequestHead head;
    head.method = "GET";
    head.target = "/t";
    head.version_minor = 0;
    head.headers.add("Host", "h");
    std::string out = "prefix|";
    gantry::http::serialize_request_head(head, {}, BodyFraming::None, 99, out);
    CHECK(out == "prefix|GET /t HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST_CASE("a chunked request body round-trips with trailers", "[http][serializer]") {
    std::pmr::monotonic_buffer_resource arena;
    gantry::http::RequestHead head(&arena);
    head.method = "PUT";
    head.target = "/up";
    head.headers.add("Host", "h");
    std::string out;
    gantry::http::serialize_request_head(head, {}, BodyFraming::Chunked, 0, out);
    CHECK(out.find("Transfer-Encoding: chunked\r\n\r\n") != std::string::npos);
    std::string payload(300, 'x');
    gantry::http::append_chunk_header(payload.size(), out);
    CHECK(out.substr(out.size() - 5) == "12c\r\n");
    out += payload + "\r\n";
    gantry::http::HeaderMap trailers(&arena);
    trailers.add("X-Sum", "42");
    gantry::http::append_last_chunk(trailers, out);
    CHECK(out.substr(out.size() - 18) == "\r\n0\r\nX-Sum: 42\r\n\r\n");

    Http1Parser parser(Http1Parser::Kind::Request, {});
    parser.reset(&arena);
    bool trailers_seen = false;
    CHECK(parse_all(parser, out, trailers_seen) == payload);
    CHECK(trailers_seen);
    REQUIRE(parser.trailers().get("x-sum") != nullptr);
    CHECK(parser.trailers().get("x-sum")->value == "42");
    CHECK(parser.request().is_chunked);
}

TEST_CASE("the last chunk without trailers is 0 CRLF CRLF", "[http][serializer]") {
    std::string out;
    gantry::http::append_last_chunk(gantry::http::HeaderMap{}, out);
    CHECK(out == "0\r\n\r\n");
    out.clear();
    gantry::http::append_chunk_header(0xabcdef, out);
    CHECK(out == "abcdef\r\n");
}

TEST_CASE("a serialized response parses back to the same head", "[http][serializer]") {
    std::pmr::monotonic_buffer_resource arena;
    gantry::http::ResponseHead head(&arena);
    head.status = 404;
    head.headers.add("Server", "gantry");
    std::string out;
    gantry::http::serialize_response_head(head, BodyFraming::ContentLength, 3, out);
    CHECK(out == "HTTP/1.1 404 Not Found\r\nServer: gantry\r\nContent-Length: 3\r\n\r\n");
    out += "abc";

    Http1Parser parser(Http1Parser::Kind::Response, {});
    parser.reset(&arena);
    bool trailers = false;
    CHECK(parse_all(parser, out, trailers) == "abc");
    CHECK(parser.response().status == 404);
    CHECK(parser.response().reason == "Not Found");
    CHECK(parser.response().headers.get(HeaderId::Server)->value == "gantry");
}

TEST_CASE("a response keeps its own reason and writes framing as asked", "[http][serializer]") {
    gantry::http::ResponseHead head;
    head.status = 200;
    head.reason = "Fine";
    std::string out;
    gantry::http::serialize_response_head(head, BodyFraming::CloseDelimited, 0, out);
    CHECK(out == "HTTP/1.1 200 Fine\r\n\r\n");
    out.clear();
    head.status = 299;
    head.reason = {};
    gantry::http::serialize_response_head(head, BodyFraming::Chunked, 0, out);
    CHECK(out == "HTTP/1.1 299 Unknown\r\nTransfer-Encoding: chunked\r\n\r\n");
    out.clear();
    head.status = 204;
    gantry::http::serialize_response_head(head, BodyFraming::None, 0, out);
    CHECK(out == "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST_CASE("reason phrases and bodiless statuses follow RFC 9110", "[http][message]") {
    CHECK(gantry::http::reason_phrase(200) == "OK");
    CHECK(gantry::http::reason_phrase(413) == "Content Too Large");
    CHECK(gantry::http::reason_phrase(431) == "Request Header Fields Too Large");
    CHECK(gantry::http::reason_phrase(503) == "Service Unavailable");
    CHECK(gantry::http::reason_phrase(799) == "Unknown");
    CHECK(gantry::http::response_has_no_body(100, "GET"));
    CHECK(gantry::http::response_has_no_body(204, "POST"));
    CHECK(gantry::http::response_has_no_body(304, "GET"));
    CHECK(gantry::http::response_has_no_body(200, "HEAD"));
    CHECK_FALSE(gantry::http::response_has_no_body(200, "GET"));
    CHECK_FALSE(gantry::http::response_has_no_body(404, "POST"));
}

TEST_CASE("RequestHead::has_body reflects the framing facts", "[http][message]") {
    gantry::http::RequestHead head;
    CHECK_FALSE(head.has_body());
    head.content_length = 0;
    CHECK_FALSE(head.has_body());
    head.content_length = 1;
    CHECK(head.has_body());
    head.content_length.reset();
    head.is_chunked = true;
    CHECK(head.has_body());
}

TEST_CASE("serialized heads carry empty values and append to what the buffer holds",
          "[http][serializer]") {
    gantry::http::ResponseHead head;
    head.status = 204;
    head.headers.add("X-Empty", "");
    head.headers.add_unowned("X-Null", std::string_view{}, HeaderId::Other);
    std::string out = "previous bytes|";
    gantry::http::serialize_response_head(head, BodyFraming::None, 0, out);
    CHECK(out == "previous bytes|HTTP/1.1 204 No Content\r\nX-Empty: \r\nX-Null: \r\n\r\n");

    gantry::http::RequestHead req;
    req.method = "GET";
    std::string req_out;
    gantry::http::serialize_request_head(req, {}, BodyFraming::Chunked, 0, req_out);
    CHECK(req_out == "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    req_out.clear();
    gantry::http::serialize_request_head(req, "/x", BodyFraming::ContentLength,
                                         18446744073709551615ULL, req_out);
    CHECK(req_out == "GET /x HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n");
}
