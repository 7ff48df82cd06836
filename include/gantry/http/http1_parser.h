#pragma once

// Http1Parser: turns HTTP/1.x bytes into events, one at a time (pull style). No sockets, no
// timers, no threads: it is tested and fuzzed on bytes alone. Built on llhttp in strict mode,
// plus the RFC 9110/9112 rules llhttp leaves to its user (Host validity, duplicate
// Content-Length, Transfer-Encoding other than a final chunked, header limits, ...).
//
// Owned by one connection (downstream: Kind::Request; upstream: Kind::Response) and touched only
// by that connection's worker thread.
//
// Usage:
//   parser.reset(arena);                    // before each message
//   for (;;) {
//       Http1Event ev = parser.next(input); // consumes a prefix of `input`
//       switch (ev.kind) { ... }            // NeedMore: read more bytes and call again
//   }
// A Body event's `data` views bytes of the caller's input buffer: use it before the buffer is
// compacted or refilled. After MessageComplete the parser returns NeedMore/stops consuming until
// reset() is called, so pipelined bytes stay in the caller's buffer untouched.
//
// Policy choices (see also the unit tests):
//  - Transfer-Encoding must be exactly one "chunked" coding; "gzip, chunked" answers 501 (we do
//    not decode other codings), anything else 400; Transfer-Encoding in HTTP/1.0 answers 400.
//    Responses: 502 for anything but a single "chunked".
//  - CONNECT requests answer 405 (no tunnelling yet); an Expect other than 100-continue in
//    HTTP/1.1 answers 417; HTTP/2.0+ in a request line answers 505.
//  - Trailer fields that frame, route or are hop-by-hop (Content-Length, Host, Connection, ...)
//    are dropped; TrailersComplete is only reported when a trailer remains.
//  - llhttp 8.1.0 rejects a chunk extension with a value followed by another extension
//    ("5;a=b;c=d"); such chunks answer 400.

#include <cstdint>
#include <memory>
#include <memory_resource>
#include <string_view>

#include <gantry/http/message.h>

namespace gantry::http {

struct Http1Limits {
    uint64_t max_header_bytes = 60 * 1024;  // request line/status line + all header lines
    uint32_t max_headers = 100;
    uint64_t max_body = 0;  // requests only; 0 = unlimited. Over it: error 413.
};

enum class Http1EventKind : uint8_t {
    NeedMore,          // the input is used up (or the parser is waiting for reset())
    HeadComplete,      // request() or response() holds the head
    Body,              // `data` is a piece of the de-framed body
    TrailersComplete,  // trailers() holds the chunked trailers
    MessageComplete,   // the message ended; call reset() before parsing the next one
    Error,             // `status` and `reason` say why; the connection must be closed
};

struct Http1Event {
    Http1EventKind kind = Http1EventKind::NeedMore;
    std::string_view data;    // Body only
    int status = 0;           // Error only: 400, 413, 431 for requests; 502 for responses
    const char* reason = "";  // Error only: static text, e.g. "invalid-header-name"
};

class Http1Parser {
public:
    enum class Kind { Request, Response };

    Http1Parser(Kind kind, const Http1Limits& limits);
    ~Http1Parser();
    Http1Parser(const Http1Parser&) = delete;
    Http1Parser& operator=(const Http1Parser&) = delete;

    // Prepares for the next message; heads and trailers are built in `mr`, which must outlive
    // the use of request()/response()/trailers() for this message. The previous heads are
    // abandoned without touching their resource (an arena reclaims them), so it may already be
    // gone; only heads built in std::pmr::new_delete_resource() are destroyed normally.
    void reset(std::pmr::memory_resource* mr);

    // Response parsers only: the method of the request this response answers (HEAD responses
    // have no body; a 2xx to CONNECT and a 101 end the HTTP message and start a tunnel).
    void set_request_method(std::string_view method);

    // Consumes bytes from the front of `input` (advancing it) until one event is ready.
    Http1Event next(std::string_view& input);

    // Response parsers only: the peer closed. Returns MessageComplete for a close-delimited body,
    // NeedMore when nothing of a message had arrived, and Error for a truncated message.
    Http1Event finish();

    // True when bytes of a message have been consumed since reset() (for 408 vs silent close).
    bool is_message_started() const;

    RequestHead& request();
    ResponseHead& response();
    HeaderMap& trailers();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace gantry::http
