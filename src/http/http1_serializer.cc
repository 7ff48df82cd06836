#include <charconv>

#include <gantry/http/http1_serializer.h>

namespace gantry::http {
namespace {

void append_decimal(uint64_t value, std::string& out) {
    char buf[20];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, end);
}

size_t fields_size(const HeaderMap& headers) {
    size_t n = 0;
    for (const HeaderField& f : headers) {
        n += f.name.size() + f.value.size() + 4;
    }
    return n;
}

void append_fields(const HeaderMap& headers, std::string& out) {
    for (const HeaderField& f : headers) {
        out.append(f.name);
        out.append(": ");
        out.append(f.value);
        out.append("\r\n");
    }
}

void append_framing(BodyFraming framing, uint64_t content_length, std::string& out) {
    switch (framing) {
        case BodyFraming::ContentLength:
            out.append("Content-Length: ");
            append_decimal(content_length, out);
            out.append("\r\n");
            break;
        case BodyFraming::Chunked:
            out.append("Transfer-Encoding: chunked\r\n");
            break;
        case BodyFraming::None:
        case BodyFraming::CloseDelimited:
            break;
    }
}

// Room for the longest framing line, so a head costs one reservation.
constexpr size_t kFramingReserve = 48;

}  // namespace

void serialize_request_head(const RequestHead& head, std::string_view target, BodyFraming framing,
                            uint64_t content_length, std::string& out) {
    if (target.empty()) {
        target = head.target.empty() ? std::string_view("/") : head.target;
    }
    out.reserve(out.size() + head.method.size() + target.size() + 13 + fields_size(head.headers) +
                kFramingReserve);
    out.append(head.method);
    out.push_back(' ');
    out.append(target);
    out.append(" HTTP/1.1\r\n");
    append_fields(head.headers, out);
    append_framing(framing, content_length, out);
    out.append("\r\n");
}

void serialize_response_head(const ResponseHead& head, BodyFraming framing, uint64_t content_length,
                             std::string& out) {
    std::string_view reason = head.reason.empty() ? reason_phrase(head.status) : head.reason;
    out.reserve(out.size() + 15 + reason.size() + fields_size(head.headers) + kFramingReserve);
    out.append("HTTP/1.1 ");
    int status = head.status;
    if (status < 100 || status > 999) {
        status = 500;  // never emit a status line a peer cannot parse
    }
    append_decimal(static_cast<uint64_t>(status), out);
    out.push_back(' ');
    out.append(reason);
    out.append("\r\n");
    append_fields(head.headers, out);
    append_framing(framing, content_length, out);
    out.append("\r\n");
}

void append_chunk_header(uint64_t size, std::string& out) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), size, 16);
    out.append(buf, end);
    out.append("\r\n");
}

void append_last_chunk(const HeaderMap& trailers, std::string& out) {
    out.append("0\r\n");
    append_fields(trailers, out);
    out.append("\r\n");
}

}  // namespace gantry::http
