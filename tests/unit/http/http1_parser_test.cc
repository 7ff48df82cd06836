#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/http/http1_parser.h>

namespace {

using gantry::http::Http1Event;
using gantry::http::Http1EventKind;
using gantry::http::Http1Limits;
using gantry::http::Http1Parser;
using Kind = Http1Parser::Kind;

std::string describe_headers(const gantry::http::HeaderMap& headers) {
    std::string out;
    for (const auto& f : headers) {
        out += std::string(f.name) + "=" + std::string(f.value) + ";";
    }
    return out;
}

std::string describe_request(const gantry::http::RequestHead& h) {
    std::string out = std::string(h.method) + " " + std::string(h.target) +
                      " path=" + std::string(h.path) + " query=" + std::string(h.query) +
                      " authority=" + std::string(h.authority) + " v" +
                      std::to_string(h.version_major) + "." + std::to_string(h.version_minor);
    out += " cl=" + (h.content_length ? std::to_string(*h.content_length) : std::string("-"));
    out += h.is_chunked ? " chunked" : "";
    out += h.keep_alive ? " keep-alive" : " close";
    out += h.expects_continue ? " continue" : "";
    out += h.wants_upgrade ? " upgrade=" + std::string(h.upgrade) : "";
    return out + " {" + describe_headers(h.headers) + "}";
}

std::string describe_response(const gantry::http::ResponseHead& h) {
    std::string out = std::to_string(h.status) + " '" + std::string(h.reason) + "' v" +
                      std::to_string(h.version_major) + "." + std::to_string(h.version_minor);
    out += " cl=" + (h.content_length ? std::to_string(*h.content_length) : std::string("-"));
    out += h.is_chunked ? " chunked" : "";
    out += h.is_close_delimited ? " close-delimited" : "";
    out += h.keep_alive ? " keep-alive" : " close";
    return out + " {" + describe_headers(h.headers) + "}";
}

// What a caller observed: non-body events in order (bodies merged per message), the error if
// any, and how many input bytes were left unconsumed.
struct Trace {
    std::vector<std::string> events;
    std::vector<std::string> bodies;
    int error_status = 0;
    std::string error_reason;
    size_t unconsumed = 0;

    bool operator==(const Trace& o) const {
        return events == o.events && bodies == o.bodies && error_status == o.error_status &&
               error_reason == o.error_reason && unconsumed == o.unconsumed;
    }
};

struct Options {
    Http1Limits limits;
    std::string request_method = "GET";
    bool pipelined = false;  // reset() after each MessageComplete and keep going
    bool finish = false;     // call finish() once the input is exhausted
};

// Drives a parser the way a connection does: a buffer that receives pieces, events pulled until
// NeedMore, consumed bytes dropped from the front.
Trace drive(Kind kind, const std::string& input, const std::vector<size_t>& cuts,
            const Options& opt) {
    std::pmr::monotonic_buffer_resource arena;
    Http1Parser parser(kind, opt.limits);
    parser.reset(&arena);
    parser.set_request_method(opt.request_method);
    Trace trace;
    std::string buffer;
    size_t fed = 0;
    size_t cut_index = 0;
    bool message_open = false;
    for (;;) {
        std::string_view view(buffer);
        Http1Event ev = parser.next(view);
        size_t consumed = buffer.size() - view.size();
        REQUIRE(view.data() == buffer.data() + consumed);  // consumes a prefix, never more
        std::string body_piece(ev.data);
        buffer.erase(0, consumed);
        switch (ev.kind) {
            case Http1EventKind::NeedMore: {
                if (fed == input.size()) {
                    if (opt.finish) {
                        Http1Event fin = parser.finish();
                        if (fin.kind == Http1EventKind::MessageComplete) {
                            trace.events.push_back("complete");
                        } else if (fin.kind == Http1EventKind::Error) {
                            trace.error_status = fin.status;
                            trace.error_reason = fin.reason;
                        }
                    }
                    trace.unconsumed = buffer.size();
                    return trace;
                }
                size_t end = cut_index < cuts.size() ? cuts[cut_index++] : input.size();
                buffer.append(input, fed, end - fed);
                fed = end;
                break;
            }
            case Http1EventKind::HeadComplete:
                trace.events.push_back(kind == Kind::Request
                                           ? describe_request(parser.request())
                                           : describe_response(parser.response()));
                trace.bodies.emplace_back();
                message_open = true;
                break;
            case Http1EventKind::Body:
                REQUIRE(message_open);
                REQUIRE_FALSE(body_piece.empty());
                trace.bodies.back() += body_piece;
                break;
            case Http1EventKind::TrailersComplete:
                trace.events.push_back("trailers {" + describe_headers(parser.trailers()) + "}");
                break;
            case Http1EventKind::MessageComplete:
                trace.events.push_back("complete");
                message_open = false;
                if (!opt.pipelined) {
                    trace.unconsumed = buffer.size() + (input.size() - fed);
                    return trace;
                }
                parser.reset(&arena);
                break;
            case Http1EventKind::Error: {
                trace.error_status = ev.status;
                trace.error_reason = ev.reason;
                // Errors are sticky: no Body (or anything else) after an Error.
                std::string_view again(buffer);
                REQUIRE(parser.next(again).kind == Http1EventKind::Error);
                trace.unconsumed = 0;
                return trace;
            }
        }
    }
}

// Parses `input` whole, then split at every offset and byte by byte, requiring identical
// traces (Proxygen's split-parsing pattern).
Trace parse(Kind kind, const std::string& input, const Options& opt = {}) {
    Trace whole = drive(kind, input, {}, opt);
    for (size_t i = 1; i < input.size(); ++i) {
        Trace split = drive(kind, input, {i}, opt);
        INFO("split at " << i);
        REQUIRE(split == whole);
    }
    std::vector<size_t> bytewise;
    for (size_t i = 1; i < input.size(); ++i) {
        bytewise.push_back(i);
    }
    Trace bytes = drive(kind, input, bytewise, opt);
    REQUIRE(bytes == whole);
    return whole;
}

Trace request(const std::string& input, const Options& opt = {}) {
    return parse(Kind::Request, input, opt);
}

Trace response(const std::string& input, const Options& opt = {}) {
    return parse(Kind::Response, input, opt);
}

void require_request_error(const std::string& input, int status, const Options& opt = {}) {
    Trace t = request(input, opt);
    INFO(input);
    CHECK(t.error_status == status);
    CHECK_FALSE(t.error_reason.empty());
    for (const auto& ev : t.events) {
        CHECK(ev.rfind("complete", 0) != 0);
    }
}

void require_response_error(const std::string& input, const Options& opt = {}) {
    Trace t = response(input, opt);
    INFO(input);
    CHECK(t.error_status == 502);
    CHECK_FALSE(t.error_reason.empty());
}

}  // namespace

// ---------------------------------------------------------------- valid requests

TEST_CASE("a simple GET yields its head and completes without a body", "[http][parser]") {
    Trace t = request("GET /a/b?x=1&y HTTP/1.1\r\nHost: example.com\r\nX-A:  v  \r\n\r\n");
    REQUIRE(t.error_status == 0);
    REQUIRE(t.events.size() == 2);
    CHECK(t.events[0] ==
          "GET /a/b?x=1&y path=/a/b query=x=1&y authority=example.com v1.1 cl=- keep-alive "
          "{Host=example.com;X-A=v;}");
    CHECK(t.events[1] == "complete");
    CHECK(t.bodies[0].empty());
}

TEST_CASE("a request with Content-Length delivers exactly that body", "[http][parser]") {
    Trace t = request("POST /u HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 5\r\n\r\nhelloEXTRA");
    REQUIRE(t.error_status == 0);
    CHECK(t.events[0] ==
          "POST /u path=/u query= authority=h:8080 v1.1 cl=5 keep-alive "
          "{Host=h:8080;Content-Length=5;}");
    CHECK(t.bodies[0] == "hello");
    CHECK(t.unconsumed == 5);  // the next message's bytes stay with the caller
}

TEST_CASE("identical duplicate Content-Length values are folded to one", "[http][parser]") {
    Trace a =
        request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
    CHECK(a.error_status == 0);
    CHECK(a.bodies[0] == "abc");
    Trace b = request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc");
    CHECK(b.error_status == 0);
    CHECK(b.bodies[0] == "abc");
}

// llhttp 8.1.0 rejects an extension with a value followed by another extension ("5;a=b;c=d");
// these inputs avoid that known limitation.
TEST_CASE("a chunked request with extensions and trailers is de-framed", "[http][parser]") {
    Trace t = request(
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;name=value\r\nhello\r\n"
        "6;flag;q=\"quo;ted\"\r\n world\r\n"
        "0\r\nX-Checksum: abc\r\nContent-Length: 9\r\nHost: evil\r\n\r\n");
    INFO(t.error_reason);
    REQUIRE(t.error_status == 0);
    REQUIRE(t.events.size() == 3);
    CHECK(t.events[0] ==
          "POST /c path=/c query= authority=h v1.1 cl=- chunked keep-alive "
          "{Host=h;Transfer-Encoding=chunked;}");
    CHECK(t.bodies[0] == "hello world");
    CHECK(t.events[1] == "trailers {X-Checksum=abc;}");
    CHECK(t.events[2] == "complete");
}

TEST_CASE("a chunked request without trailers has no TrailersComplete", "[http][parser]") {
    Trace t = request(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
        "Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n");
    REQUIRE(t.error_status == 0);
    CHECK(t.bodies[0] == "0123456789");
    CHECK(t.events.back() == "complete");
    CHECK(t.events.size() == 2);
}

TEST_CASE("Expect: 100-continue is reported before the body", "[http][parser]") {
    Trace t = request(
        "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok");
    REQUIRE(t.error_status == 0);
    CHECK(t.events[0].find(" continue ") != std::string::npos);
    CHECK(t.bodies[0] == "ok");
}

TEST_CASE("an HTTP/1.0 Expect is ignored", "[http][parser]") {
    Trace t = request("GET / HTTP/1.0\r\nExpect: something\r\n\r\n");
    CHECK(t.error_status == 0);
    CHECK(t.events[0].find("continue") == std::string::npos);
}

TEST_CASE("an upgrade request reports the protocol and leaves tunnel bytes", "[http][parser]") {
    Trace t = request(
        "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: "
        "websocket\r\n\r\n"
        "\x81\x05hello");
    REQUIRE(t.error_status == 0);
    CHECK(t.events[0].find(" upgrade=websocket ") != std::string::npos);
    CHECK(t.events[1] == "complete");
    CHECK(t.unconsumed == 7);
}

TEST_CASE("Upgrade without the Connection token is not an upgrade", "[http][parser]") {
    Trace t = request("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
    CHECK(t.error_status == 0);
    CHECK(t.events[0].find("upgrade=") == std::string::npos);
}

TEST_CASE("HTTP/1.0 closes unless keep-alive is asked for; 1.1 keeps alive unless close",
          "[http][parser]") {
    CHECK(request("GET / HTTP/1.0\r\n\r\n").events[0].find(" close ") != std::string::npos);
    Trace ka = request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    CHECK(ka.events[0].find(" keep-alive ") != std::string::npos);
    CHECK(ka.events[0].find("authority= ") != std::string::npos);
    Trace close = request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    CHECK(close.events[0].find(" close ") != std::string::npos);
}

TEST_CASE("absolute-form targets take the authority from the target", "[http][parser]") {
    Trace t = request("GET http://Example.com:81/p/q?z=9 HTTP/1.1\r\nHost: other\r\n\r\n");
    REQUIRE(t.error_status == 0);
    CHECK(t.events[0].rfind("GET http://Example.com:81/p/q?z=9 path=/p/q query=z=9 "
                            "authority=Example.com:81 ",
                            0) == 0);
    Trace bare = request("GET https://h.example HTTP/1.1\r\nHost: h.example\r\n\r\n");
    CHECK(bare.events[0].find(" path=/ ") != std::string::npos);
}

TEST_CASE("asterisk-form is accepted for OPTIONS only", "[http][parser]") {
    Trace t = request("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(t.error_status == 0);
    CHECK(t.events[0].find(" path=* ") != std::string::npos);
    require_request_error("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

TEST_CASE("hosts in every valid shape are accepted", "[http][parser]") {
    for (const char* host : {"a", "a.b-c_d~e", "10.0.0.1", "10.0.0.1:65535", "[::1]", "[::1]:8443",
                             "[2001:db8::7]:1", "xn--bcher-kva.example", "a%41b"}) {
        INFO(host);
        Trace t = request(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n");
        CHECK(t.error_status == 0);
    }
}

TEST_CASE("pipelined requests in one buffer produce one message each", "[http][parser]") {
    Options opt;
    opt.pipelined = true;
    Trace t = request(
        "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        "\r\nGET /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
        opt);
    REQUIRE(t.error_status == 0);
    REQUIRE(t.events.size() == 6);
    CHECK(t.events[0].rfind("GET /1 ", 0) == 0);
    CHECK(t.events[1] == "complete");
    CHECK(t.events[2].rfind("POST /2 ", 0) == 0);
    CHECK(t.events[3] == "complete");
    CHECK(t.events[4].rfind("GET /3 ", 0) == 0);
    CHECK(t.bodies == std::vector<std::string>{"", "abc", "z"});
    CHECK(t.unconsumed == 0);
}

TEST_CASE("the parser waits for reset() after MessageComplete", "[http][parser]") {
    std::pmr::monotonic_buffer_resource arena;
    Http1Parser parser(Kind::Request, {});
    parser.reset(&arena);
    CHECK_FALSE(parser.is_message_started());
    std::string bytes = "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\n";
    std::string_view in(bytes);
    CHECK(parser.next(in).kind == Http1EventKind::HeadComplete);
    CHECK(parser.is_message_started());
    CHECK(parser.next(in).kind == Http1EventKind::MessageComplete);
    size_t left = in.size();
    CHECK(parser.next(in).kind == Http1EventKind::NeedMore);
    CHECK(in.size() == left);
    parser.reset(&arena);
    CHECK_FALSE(parser.is_message_started());
    CHECK(parser.next(in).kind == Http1EventKind::NeedMore);
    CHECK(in.empty());
    CHECK(parser.is_message_started());
}

TEST_CASE("request heads are built in the resource given to reset()", "[http][parser]") {
    std::pmr::monotonic_buffer_resource arena;
    Http1Parser parser(Kind::Request, {});
    parser.reset(&arena);
    std::string bytes = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string_view in(bytes);
    REQUIRE(parser.next(in).kind == Http1EventKind::HeadComplete);
    CHECK(parser.request().headers.resource() == &arena);
    bytes.assign(bytes.size(), 'Z');  // the head must not view the caller's buffer
    CHECK(parser.request().target == "/x");
    CHECK(parser.request().headers.get(gantry::http::HeaderId::Host)->value == "h");
}

TEST_CASE("a head that arrives in pieces never views a buffer the caller reused",
          "[http][parser]") {
    std::pmr::monotonic_buffer_resource arena;
    Http1Parser parser(Kind::Request, {});
    parser.reset(&arena);
    const std::string head =
        "GET /pieces?q=1 HTTP/1.1\r\nHost: example.com\r\nX-Long: abcdefghijklmnop\r\n"
        "X-Other: 1\r\n\r\n";
    // Every split point, with the first buffer overwritten before the rest arrives.
    for (size_t cut = 1; cut < head.size(); ++cut) {
        INFO("cut at " << cut);
        parser.reset(&arena);
        std::string first = head.substr(0, cut);
        std::string_view in(first);
        REQUIRE(parser.next(in).kind == Http1EventKind::NeedMore);
        std::string rest = std::string(in) + head.substr(cut);
        first.assign(first.size(), '#');
        std::string_view in2(rest);
        REQUIRE(parser.next(in2).kind == Http1EventKind::HeadComplete);
        rest.assign(rest.size(), '#');
        const auto& req = parser.request();
        CHECK(req.target == "/pieces?q=1");
        CHECK(req.query == "q=1");
        CHECK(req.authority == "example.com");
        CHECK(describe_headers(req.headers) ==
              "Host=example.com;X-Long=abcdefghijklmnop;X-Other=1;");
    }
}

TEST_CASE("reset() never touches the previous message's arena", "[http][parser]") {
    Http1Parser parser(Kind::Request, {});
    std::optional<gantry::http::RequestHead> kept;
    {
        auto first = std::make_unique<std::pmr::monotonic_buffer_resource>();
        parser.reset(first.get());
        std::string bytes = "GET /first HTTP/1.1\r\nHost: one\r\n\r\n";
        std::string_view in(bytes);
        REQUIRE(parser.next(in).kind == Http1EventKind::HeadComplete);
        kept.emplace(std::move(parser.request()));
        CHECK(kept->target == "/first");
        CHECK(kept->headers.get(gantry::http::HeaderId::Host)->value == "one");
        kept.reset();
        // A second message whose arena dies before the next reset() (a finished stream).
        parser.reset(first.get());
        in = bytes;
        REQUIRE(parser.next(in).kind == Http1EventKind::HeadComplete);
    }
    std::pmr::monotonic_buffer_resource third;
    parser.reset(&third);
    std::string bytes = "GET /again HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string_view in(bytes);
    CHECK(parser.next(in).kind == Http1EventKind::HeadComplete);
    CHECK(parser.request().path == "/again");
}

TEST_CASE("heads built on the global heap are freed", "[http][parser]") {
    // LeakSanitizer fails this test if the parser abandons heap-backed heads.
    Http1Parser parser(Kind::Request, {});
    for (int i = 0; i < 3; ++i) {
        parser.reset(std::pmr::new_delete_resource());
        std::string bytes =
            "GET /heap HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(100, 'v') + "\r\n\r\n";
        std::string_view in(bytes);
        REQUIRE(parser.next(in).kind == Http1EventKind::HeadComplete);
    }
}

// ---------------------------------------------------------------- malformed requests

TEST_CASE("framing conflicts are rejected with 400", "[http][parser]") {
    require_request_error(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400);
    require_request_error(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        400);
    require_request_error(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
    require_request_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\nabcd", 400);
    require_request_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc", 400);
    require_request_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3,\r\n\r\nabc", 400);
    require_request_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400);
    require_request_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400);
    require_request_error(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
}

TEST_CASE("Transfer-Encoding other than a single final chunked is rejected", "[http][parser]") {
    const char* base = "POST / HTTP/1.1\r\nHost: h\r\n";
    require_request_error(std::string(base) + "Transfer-Encoding: gzip\r\n\r\n", 400);
    require_request_error(std::string(base) + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400);
    require_request_error(std::string(base) + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400);
    require_request_error(
        std::string(base) + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        400);
    require_request_error(std::string(base) + "Transfer-Encoding: identity\r\n\r\n", 400);
    require_request_error(std::string(base) + "Transfer-Encoding: ,chunked\r\n\r\n", 400);
    require_request_error(std::string(base) + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501);
    require_request_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

TEST_CASE("malformed chunk framing is rejected", "[http][parser]") {
    const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    require_request_error(head + "0x5\r\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "-5\r\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "5 \r\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "\r\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "fffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "5\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "5\r\nhelloXX0\r\n\r\n", 400);
    require_request_error(head + "5\r\nhello\n0\r\n\r\n", 400);
    require_request_error(head + "5\r\nhello\r0\r\n\r\n", 400);
    require_request_error(head + "5;a=b\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "5;a=\"b\rc\"\r\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "5;a\rb\r\nhello\r\n0\r\n\r\n", 400);
    require_request_error(head + "0\r\nX: a\nY: b\r\n\r\n", 400);
    require_request_error(head + "0\r\nX: a\r\n folded\r\n\r\n", 400);
}

TEST_CASE("a malformed chunk never yields the bytes after it", "[http][parser]") {
    Trace t = request(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
        "chunked\r\n\r\n3\r\nabcXY3\r\ndef\r\n0\r\n\r\n");
    CHECK(t.error_status == 400);
    CHECK(t.bodies[0] == "abc");
}

TEST_CASE("line folding, bare CR and bare LF in the head are rejected", "[http][parser]") {
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\rX: b\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\rHost: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\nHost: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\n\n", 400);
}

TEST_CASE("control bytes in field names or values are rejected", "[http][parser]") {
    for (int c = 0; c < 0x20; ++c) {
        if (c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        INFO("byte " << c);
        std::string ctl(1, static_cast<char>(c));
        require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX: a" + ctl + "b\r\n\r\n", 400);
        require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX" + ctl + "Y: a\r\n\r\n", 400);
    }
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX\x7f: a\r\n\r\n", 400);
    // HTAB and obs-text are allowed in values.
    Trace ok = request("GET / HTTP/1.1\r\nHost: h\r\nX: a\tb\xe9\r\n\r\n");
    CHECK(ok.error_status == 0);
}

TEST_CASE("control bytes are found at every offset of long and short lines", "[http][parser]") {
    // Lines of every length around the 16-byte blocks the scanner reads, with the bad byte at
    // each position, and heads shorter than one block.
    for (size_t len = 0; len < 40; ++len) {
        std::string value(len, 'v');
        std::string ok = "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n";
        CHECK(request(ok).error_status == 0);
        for (size_t at = 0; at < len; ++at) {
            INFO("length " << len << " at " << at);
            for (char bad : {'\x01', '\x7f', '\n', '\r'}) {
                std::string v = value;
                v[at] = bad;
                Trace t = drive(Kind::Request, "GET / HTTP/1.1\r\nHost: h\r\nX: a" + v + "\r\n\r\n",
                                {}, {});
                CHECK(t.error_status == 400);
            }
        }
    }
    CHECK(request("GET / HTTP/1.0\r\n\r\n").error_status == 0);
    require_request_error("GET / HTTP/1.0\r\n\n", 400);
    require_request_error("GET / HTTP/1.0\r\nX:\x01\r\n\r\n", 400);
}

TEST_CASE("malformed field names are rejected", "[http][parser]") {
    require_request_error("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHo st: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nContent Length: 5\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\n: h\r\nHost: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHo(st: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nX\xe9: a\r\n\r\n", 400);
}

TEST_CASE("Host must be present once and be a valid host[:port]", "[http][parser]") {
    require_request_error("GET / HTTP/1.1\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    for (const char* host : {"", "a b", "a:", "a:65536", "a:123456", "a:x", "a/b", "a@b", "[::1",
                             "[]", "[zz::1]", "[::1]x", "a%4", "a%zz", "a:1:2", "\xe9x"}) {
        INFO(host);
        require_request_error(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n", 400);
    }
}

TEST_CASE("invalid methods, versions and request lines are rejected", "[http][parser]") {
    require_request_error("get / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    require_request_error("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 400);
    require_request_error("GET /\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
    require_request_error("GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400);
    require_request_error("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    require_request_error("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
    require_request_error("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

TEST_CASE("request-targets outside the allowed forms are rejected", "[http][parser]") {
    for (const char* target : {"a/b", "h:80", "ftp://h/x", "http://", "http:///x", "http://u@h/",
                               "/a#frag", "/a\x7f", "/\xe9", "//h\x01"}) {
        INFO(target);
        require_request_error(std::string("GET ") + target + " HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    }
}

TEST_CASE("CONNECT is refused with 405", "[http][parser]") {
    require_request_error("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 405);
}

TEST_CASE("an unsupported expectation is refused with 417", "[http][parser]") {
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nExpect: fancy\r\n\r\n", 417);
}

TEST_CASE("header limits answer 431", "[http][parser]") {
    Options opt;
    opt.limits.max_headers = 3;
    require_request_error("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, opt);
    CHECK(request("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", opt).error_status == 0);

    const std::string ok = "GET / HTTP/1.1\r\nHost: h\r\nX: 0123456789\r\n\r\n";
    Options exact;
    exact.limits.max_header_bytes = ok.size();
    CHECK(request(ok, exact).error_status == 0);
    Options small;
    small.limits.max_header_bytes = ok.size() - 1;
    require_request_error(ok, 431, small);
    // A head that never ends is cut off at the limit, not buffered forever.
    require_request_error("GET / HTTP/1.1\r\nX: " + std::string(200, 'a'), 431, small);
}

TEST_CASE("trailer limits answer 431", "[http][parser]") {
    Options opt;
    opt.limits.max_header_bytes = 64;
    require_request_error(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
            std::string(100, 'a') + "\r\n\r\n",
        431, opt);
}

TEST_CASE("bodies over max_body answer 413", "[http][parser]") {
    Options opt;
    opt.limits.max_body = 4;
    require_request_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", 413, opt);
    CHECK(
        request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nhell", opt).error_status ==
        0);
    Trace t = request(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
        "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        opt);
    CHECK(t.error_status == 413);
    CHECK(t.bodies[0] == "abc");
}

TEST_CASE("finish() on a request parser reports truncation", "[http][parser]") {
    Options opt;
    opt.finish = true;
    Trace t = request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel", opt);
    CHECK(t.error_status == 400);
    CHECK(request("", opt).error_status == 0);
}

// ---------------------------------------------------------------- responses

TEST_CASE("a response with Content-Length delivers its body", "[http][parser]") {
    Trace t = response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\nok");
    REQUIRE(t.error_status == 0);
    CHECK(t.events[0] == "200 'OK' v1.1 cl=2 keep-alive {Content-Length=2;Server=x;}");
    CHECK(t.bodies[0] == "ok");
    Trace no_reason = response("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n");
    CHECK(no_reason.events[0].rfind("404 '' v1.1", 0) == 0);
}

TEST_CASE("a response to HEAD has no body even with Content-Length", "[http][parser]") {
    Options opt;
    opt.request_method = "HEAD";
    Trace t = response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1", opt);
    REQUIRE(t.error_status == 0);
    CHECK(t.events[0].find("cl=10") != std::string::npos);
    CHECK(t.events[1] == "complete");
    CHECK(t.bodies[0].empty());
    CHECK(t.unconsumed == 8);
    Trace chunked = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", opt);
    CHECK(chunked.events.back() == "complete");
}

TEST_CASE("204 and 304 responses have no body", "[http][parser]") {
    Trace no_content = response("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
    CHECK(no_content.events.back() == "complete");
    CHECK(no_content.bodies[0].empty());
    Trace not_modified = response("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nabcde");
    CHECK(not_modified.events.back() == "complete");
    CHECK(not_modified.unconsumed == 5);
    Options opt;
    opt.finish = true;
    CHECK(response("HTTP/1.1 204 No Content\r\n\r\n", opt).events.back() == "complete");
}

TEST_CASE("a 1xx is its own message and the final response follows", "[http][parser]") {
    Options opt;
    opt.pipelined = true;
    Trace t = response(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        opt);
    REQUIRE(t.error_status == 0);
    REQUIRE(t.events.size() == 6);
    CHECK(t.events[0].rfind("100 'Continue'", 0) == 0);
    CHECK(t.events[1] == "complete");
    CHECK(t.events[2].rfind("103 ", 0) == 0);
    CHECK(t.events[4].rfind("200 ", 0) == 0);
    CHECK(t.bodies[2] == "abc");
}

TEST_CASE("a 101 ends the message after the head and leaves tunnel bytes", "[http][parser]") {
    Trace t = response(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nRAW");
    REQUIRE(t.error_status == 0);
    CHECK(t.events.size() == 2);
    CHECK(t.events[1] == "complete");
    CHECK(t.unconsumed == 3);
}

TEST_CASE("a 2xx to CONNECT starts a tunnel; a refusal keeps its body", "[http][parser]") {
    Options opt;
    opt.request_method = "CONNECT";
    Trace ok = response("HTTP/1.1 200 Connection Established\r\n\r\nTLS...", opt);
    CHECK(ok.events.back() == "complete");
    CHECK(ok.unconsumed == 6);
    Trace refused = response("HTTP/1.1 407 Auth\r\nContent-Length: 2\r\n\r\nno", opt);
    CHECK(refused.bodies[0] == "no");
}

TEST_CASE("a close-delimited response ends at finish()", "[http][parser]") {
    Options opt;
    opt.finish = true;
    Trace t = response("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nuntil the end", opt);
    REQUIRE(t.error_status == 0);
    CHECK(t.events[0] == "200 'OK' v1.1 cl=- close-delimited close {Server=x;}");
    CHECK(t.bodies[0] == "until the end");
    CHECK(t.events.back() == "complete");
    Trace http10 = response("HTTP/1.0 200 OK\r\n\r\nabc", opt);
    CHECK(http10.bodies[0] == "abc");
    CHECK(http10.events.back() == "complete");
}

TEST_CASE("HTTP/1.0 responses keep alive only when asked", "[http][parser]") {
    Trace t = response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    CHECK(t.events[0].find(" keep-alive ") != std::string::npos);
    Trace c = response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    CHECK(c.events[0].find(" close ") != std::string::npos);
}

TEST_CASE("a truncated response is an upstream-truncated error at finish()", "[http][parser]") {
    Options opt;
    opt.finish = true;
    Trace cl = response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", opt);
    CHECK(cl.error_status == 502);
    CHECK(cl.error_reason == "upstream-truncated");
    Trace chunked = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", opt);
    CHECK(chunked.error_reason == "upstream-truncated");
    Trace head = response("HTTP/1.1 200 OK\r\nContent-Le", opt);
    CHECK(head.error_reason == "upstream-truncated");
    Trace nothing = response("", opt);
    CHECK(nothing.error_status == 0);
    CHECK(nothing.events.empty());
}

TEST_CASE("chunked responses deliver trailers", "[http][parser]") {
    Trace t = response(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nGrpc-Status: 0\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    REQUIRE(t.error_status == 0);
    CHECK(t.bodies[0] == "abc");
    CHECK(t.events[1] == "trailers {Grpc-Status=0;}");
    CHECK(t.events[2] == "complete");
}

TEST_CASE("invalid status lines are rejected with 502", "[http][parser]") {
    for (const char* line :
         {"HTTP/1.1 99 X", "HTTP/1.1 600 X", "HTTP/1.1 20 OK", "HTTP/1.1 1000 X", "HTTP/1.1 2000",
          "HTTP/1.1 200OK", "HTTP/1.1  200 OK", "HTTP/1.1 abc X", "HTTP/2.0 200 OK",
          "HTTP/0.9 200 OK", "HTTX/1.1 200 OK", "HTTP/1.1 200 O\x01K", "HTTP/1.1",
          "http/1.1 200 OK"}) {
        INFO(line);
        require_response_error(std::string(line) + "\r\nContent-Length: 0\r\n\r\n");
    }
}

TEST_CASE("conflicting response framing is rejected with 502", "[http][parser]") {
    require_response_error(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n");
    require_response_error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n");
    require_response_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc");
    require_response_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc");
    require_response_error("HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n");
    require_response_error("HTTP/1.1 200 OK\r\nX: a\x01\r\nContent-Length: 0\r\n\r\n");
    require_response_error("HTTP/1.1 200 OK\nContent-Length: 0\n\n");
    require_response_error(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n");
    require_response_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
}

// A plain response head that arrives whole takes the parser's plain path, while a split one goes
// through llhttp (parse() compares whole, split and byte-wise): both must build the same heads,
// bodies and errors, at the edges of each rule the plain path applies.
TEST_CASE("plain response heads read whole agree with the general parse", "[http][parser]") {
    Options opt;
    opt.pipelined = true;
    opt.finish = true;
    for (const char* input : {
             "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\n\r\nabc"
             "HTTP/1.0 404 Not \t Found\r\nX-Empty:\r\nX-Ows: \t a b \t\r\nContent-Length: "
             "0\r\n\r\n",
             "HTTP/1.1 200 \r\nX-Obs: caf\xc3\xa9\r\nContent-Length: 1, 1\r\n\r\nz",
             "HTTP/1.1 599 X\r\nConnection: close\r\n\r\nuntil the end",
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, close\r\n\r\nok",
             "HTTP/1.1 200 OK\r\nX: \x7f\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\nX : y\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\n: y\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
             "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n",
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
         }) {
        INFO(input);
        Trace t = response(input, opt);
        CHECK(t.events.size() + static_cast<size_t>(t.error_status != 0) > 0);
    }
    Options head;
    head.request_method = "HEAD";
    head.pipelined = true;
    Trace t = response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nHTTP/1.1 204 No\r\n\r\n", head);
    REQUIRE(t.events.size() == 4);
    CHECK(t.bodies[0].empty());
}

TEST_CASE("plain response heads keep the header limits", "[http][parser]") {
    Options opt;
    opt.limits.max_headers = 3;
    std::string three = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n";
    CHECK(response(three, opt).error_status == 0);
    require_response_error("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n",
                           opt);
    Options bytes;
    bytes.limits.max_header_bytes = three.size();
    CHECK(response(three, bytes).error_status == 0);
    bytes.limits.max_header_bytes = three.size() - 1;
    require_response_error(three, bytes);
}
