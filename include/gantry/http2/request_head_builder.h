#pragma once

// RequestHeadBuilder: turns the decoded header block of an HTTP/2 request (pseudo-headers plus
// fields, in order) into the protocol-neutral http::RequestHead that routing, the forwarding
// rules, the HTTP/1.1 upstream serializer and the access log already use. It is also the place
// where HTTP/2-to-HTTP/1.1 translation refuses anything that could smuggle a second message or
// change framing on the way: CR, LF, NUL or other control bytes in values, upper-case or
// non-token names, connection-specific fields, a `te` other than "trailers", a Host that names
// another authority, lengths that disagree. nghttp2 checks most of these too; this layer does not
// rely on it. Pure (no I/O); the bytes it keeps are copied into the head's memory resource (the
// stream's arena). One per HTTP/2 stream, touched only by that stream's worker thread.

#include <cstdint>
#include <memory_resource>
#include <string_view>

#include <gantry/http/message.h>

namespace gantry::http2 {

struct RequestLimits {
    uint64_t max_header_bytes = 60 * 1024;  // sum of name + value + 32 per field (RFC 9113 6.5.2)
    uint32_t max_headers = 100;
    uint64_t max_body = 1024 * 1024;  // 0 = unlimited
};

// A rejected header block: the status the client gets and a static reason for x-gantry-error
// and the log. status == 0 means no error.
struct HeadError {
    int status = 0;
    const char* reason = "";

    bool is_error() const { return status != 0; }
};

class RequestHeadBuilder {
public:
    // Starts a request head (or a trailer block when `is_trailers`) written into `head`.
    void reset(http::RequestHead* head, const RequestLimits& limits);
    void reset_trailers(http::HeaderMap* trailers, const RequestLimits& limits);

    // One decoded field, in order. After the first error further fields are counted, not kept.
    void add(std::string_view name, std::string_view value);

    // Ends the header block. `end_stream`: the HEADERS frame ended the stream (no body).
    // Fills method, target, path, query, authority, Host and the framing facts.
    HeadError finish(bool end_stream);

    // Ends a trailer block.
    HeadError finish_trailers();

    HeadError error() const { return error_; }

private:
    void fail(int status, const char* reason);
    void add_pseudo(std::string_view name, std::string_view value);
    void add_field(std::string_view name, std::string_view value);
    HeadError check_framing(bool end_stream);
    void merge_cookies();

    http::RequestHead* head_ = nullptr;
    http::HeaderMap* trailers_ = nullptr;
    RequestLimits limits_;
    HeadError error_;
    uint64_t header_bytes_ = 0;
    uint32_t field_count_ = 0;
    std::string_view method_;
    std::string_view scheme_;
    std::string_view authority_;
    std::string_view path_;
    bool has_method_ = false;
    bool has_scheme_ = false;
    bool has_authority_ = false;
    bool has_path_ = false;
    bool seen_regular_ = false;
    uint32_t cookie_count_ = 0;
    uint32_t host_count_ = 0;
    bool expect_continue_ = false;
    bool expect_other_ = false;
    bool has_content_length_ = false;
    uint64_t content_length_ = 0;
};

// Validation of single fields, exposed for the response side and tests.
// True when `name` is a lower-case RFC 9110 token (HTTP/2 field names must be lower-case).
bool is_valid_h2_field_name(std::string_view name);
// True when `value` has no control byte other than HTAB and no leading or trailing whitespace.
bool is_valid_h2_field_value(std::string_view value);
// True for fields HTTP/2 forbids because they are about one HTTP/1 connection (RFC 9113 8.2.2);
// `te` counts as one unless its value is exactly "trailers".
bool is_connection_specific(std::string_view lower_name, std::string_view value);

// HTTP/2 field names are lower-case; an HTTP/1.1 peer may send any case. Returns `name` itself
// when it has no upper-case letter, else a lower-cased copy allocated from `arena`.
std::string_view lower_case_name(std::string_view name, std::pmr::memory_resource* arena);

// A field that means something only on one HTTP/1.1 connection (RFC 9113 8.2.2: Connection,
// Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, TE) or is framing gantry writes
// itself from the head (Content-Length): never copied into an HTTP/2 header block.
bool is_http1_connection_field(http::HeaderId id);

}  // namespace gantry::http2
