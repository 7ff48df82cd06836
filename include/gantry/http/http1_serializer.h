#pragma once

// HTTP/1.1 serialization: heads and chunk framing appended to an output buffer. No I/O.
// The caller decides the framing: these functions write exactly the fields in the head plus the
// framing header the caller asks for, so hop-by-hop removal happens before serializing.

#include <cstdint>
#include <string>
#include <string_view>

#include <gantry/http/message.h>

namespace gantry::http {

enum class BodyFraming : uint8_t {
    None,            // no body and no framing header (GET without body, 204, 304, HEAD replies)
    ContentLength,   // write Content-Length: <length>
    Chunked,         // write Transfer-Encoding: chunked
    CloseDelimited,  // response body runs to connection close (no framing header)
};

// Appends "METHOD target HTTP/1.1\r\n", every header field, the framing header and "\r\n".
// `target` overrides head.target when not empty (route rewrites).
void serialize_request_head(const RequestHead& head, std::string_view target, BodyFraming framing,
                            uint64_t content_length, std::string& out);

// Appends "HTTP/1.1 STATUS REASON\r\n", every header field, the framing header and "\r\n".
void serialize_response_head(const ResponseHead& head, BodyFraming framing, uint64_t content_length,
                             std::string& out);

// Appends a chunk-size line ("1a2b\r\n"); the caller then writes the data and "\r\n".
void append_chunk_header(uint64_t size, std::string& out);

// Appends the last chunk "0\r\n", the trailer fields (may be empty) and the final "\r\n".
void append_last_chunk(const HeaderMap& trailers, std::string& out);

}  // namespace gantry::http
