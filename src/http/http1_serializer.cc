#include <charconv>
#include <cstring>

#include <gantry/http/http1_serializer.h>

namespace gantry::http {
namespace {

// Writes into a buffer sized up front, so a head costs one growth of `out` and plain copies.
class HeadWriter {
public:
    HeadWriter(std::string& out, size_t max_size) : out_(out), start_(out.size()) {
        out_.resize(start_ + max_size);
        p_ = out_.data() + start_;
    }

    ~HeadWriter() { out_.resize(static_cast<size_t>(p_ - out_.data())); }

    HeadWriter(const HeadWriter&) = delete;
    HeadWriter& operator=(const HeadWriter&) = delete;

    void put(std::string_view s) {
        if (!s.empty()) {  // an empty view may carry a null pointer, which memcpy must not see
            std::memcpy(p_, s.data(), s.size());
            p_ += s.size();
        }
    }

    void put(char c) { *p_++ = c; }

    void put_decimal(uint64_t value) { p_ = std::to_chars(p_, p_ + 20, value).ptr; }

    void put_fields(const HeaderMap& headers) {
        for (const HeaderField& f : headers) {
            put(f.name);
            put(": ");
            put(f.value);
            put("\r\n");
        }
    }

    void put_framing(BodyFraming framing, uint64_t content_length) {
        switch (framing) {
            case BodyFraming::ContentLength:
                put("Content-Length: ");
                put_decimal(content_length);
                put("\r\n");
                break;
            case BodyFraming::Chunked:
                put("Transfer-Encoding: chunked\r\n");
                break;
            case BodyFraming::None:
            case BodyFraming::CloseDelimited:
                break;
        }
    }

private:
    std::string& out_;
    size_t start_;
    char* p_;
};

size_t fields_size(const HeaderMap& headers) {
    size_t n = 0;
    for (const HeaderField& f : headers) {
        n += f.name.size() + f.value.size() + 4;
    }
    return n;
}

// Room for the longest framing line ("Content-Length: " + 20 digits + CRLF) and the final CRLF.
constexpr size_t kFramingReserve = 48;

}  // namespace

void serialize_request_head(const RequestHead& head, std::string_view target, BodyFraming framing,
                            uint64_t content_length, std::string& out) {
    if (target.empty()) {
        target = head.target.empty() ? std::string_view("/") : head.target;
    }
    HeadWriter w(
        out, head.method.size() + target.size() + 11 + fields_size(head.headers) + kFramingReserve);
    w.put(head.method);
    w.put(' ');
    w.put(target);
    w.put(" HTTP/1.1\r\n");
    w.put_fields(head.headers);
    w.put_framing(framing, content_length);
    w.put("\r\n");
}

void serialize_response_head(const ResponseHead& head, BodyFraming framing, uint64_t content_length,
                             std::string& out) {
    std::string_view reason = head.reason.empty() ? reason_phrase(head.status) : head.reason;
    HeadWriter w(out, 15 + reason.size() + fields_size(head.headers) + kFramingReserve);
    w.put("HTTP/1.1 ");
    int status = head.status;
    if (status < 100 || status > 999) {
        status = 500;  // never emit a status line a peer cannot parse
    }
    w.put_decimal(static_cast<uint64_t>(status));
    w.put(' ');
    w.put(reason);
    w.put("\r\n");
    w.put_fields(head.headers);
    w.put_framing(framing, content_length);
    w.put("\r\n");
}

void append_chunk_header(uint64_t size, std::string& out) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), size, 16);
    out.append(buf, end);
    out.append("\r\n");
}

void append_last_chunk(const HeaderMap& trailers, std::string& out) {
    HeadWriter w(out, 5 + fields_size(trailers));
    w.put("0\r\n");
    w.put_fields(trailers);
    w.put("\r\n");
}

}  // namespace gantry::http
