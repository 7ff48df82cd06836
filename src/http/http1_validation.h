#pragma once

// Byte-level checks for the HTTP/1 parser that llhttp leaves to its user: field-name tokens,
// Host syntax, Content-Length lists, request-target forms, and a line/chunk framing scanner that
// enforces CRLF, rejects obs-fold and control bytes, and checks the CRLF after each chunk's data.
// Pure functions and a small value type; no allocation.

#include <cstdint>
#include <string_view>

#include "token_list.h"

namespace gantry::http::detail {

// True when `name` is a non-empty RFC 9110 token.
bool is_valid_field_name(std::string_view name);

// True when `authority` is host[:port]: reg-name, IPv4 or [IPv6], port 1-5 digits <= 65535.
bool is_valid_authority(std::string_view authority);

enum class ContentLengthResult : uint8_t { Ok, Invalid, Conflicting };

// Parses a Content-Length value that may be a list of identical values ("5, 5").
ContentLengthResult parse_content_length(std::string_view value, uint64_t& out);

struct TargetParts {
    std::string_view path;
    std::string_view query;
    std::string_view authority;   // absolute-form only
    const char* error = nullptr;  // static reason when the target is rejected
};

// Splits a request-target into its parts, accepting origin-form, absolute-form (http/https)
// and asterisk-form for OPTIONS. Authority-form (CONNECT) is rejected by the caller earlier.
TargetParts parse_target(std::string_view method, std::string_view target);

// The status line of a plain response head (see scan_plain_response_head).
struct PlainStatusLine {
    int status = 0;
    uint8_t version_minor = 0;
    std::string_view reason;
};

// Called for each field of a plain head, in order, with the value's OWS trimmed; returns false to
// give the head up.
using PlainFieldSink = bool (*)(void* context, std::string_view name, std::string_view value);

// Reads a whole response head at the front of `bytes` when it has its plainest strict form:
// "HTTP/1.0" or "HTTP/1.1", SP, three digits, then CRLF or SP and a reason phrase; then lines of
// a token, ':', OWS, a value, OWS and CRLF; then an empty line. No byte of a line may be a
// control other than HTAB, or DEL. Returns the head's length through its empty line, or 0 when
// the head is incomplete, has any other form or the sink gave it up: the caller then parses those
// bytes the general way, which alone judges (and names) what is wrong with them.
size_t scan_plain_response_head(std::string_view bytes, PlainStatusLine& line, PlainFieldSink sink,
                                void* context);

struct ScanError {
    int status = 0;  // 0: no error; otherwise the request-side status (400 or 431)
    const char* reason = "";
};

// Checks the bytes llhttp consumed, in order, across next() calls. The parser tells it where the
// head ends and whether a chunked body follows; Content-Length and close-delimited bodies are not
// scanned. Whole lines are checked a block of bytes at a time; a line that is incomplete or would
// fail goes through the byte-wise state machine, which alone decides every error and its reason.
class FramingScanner {
public:
    void reset(bool request, uint64_t max_trailer_bytes);
    void start_chunked_body();
    void stop();

    // False once the bytes still to come are not scanned (after the head of a message whose body
    // is not chunked, or after the trailers).
    bool active() const { return mode_ != Mode::Off; }

    ScanError scan(std::string_view bytes);

private:
    enum class Mode : uint8_t {
        StartLine,
        Headers,
        ChunkSize,
        ChunkExt,
        ChunkSizeLf,
        ChunkData,
        ChunkDataCr,
        ChunkDataLf,
        Trailers,
        Off,
    };

    const char* scan_header_lines(const char* begin, const char* p, const char* end);
    const char* scan_whole_line(const char* begin, const char* p, const char* end);
    ScanError line_byte(unsigned char c);
    ScanError end_line();
    ScanError start_line_byte(unsigned char c);
    ScanError end_start_line();
    ScanError chunk_byte(unsigned char c);

    bool request_ = true;
    Mode mode_ = Mode::StartLine;
    bool cr_ = false;
    uint32_t line_len_ = 0;
    uint32_t spaces_ = 0;
    char status_line_[13] = {};
    uint64_t chunk_size_ = 0;
    uint32_t chunk_digits_ = 0;
    uint64_t trailer_bytes_ = 0;
    uint64_t max_trailer_bytes_ = 0;
};

}  // namespace gantry::http::detail
