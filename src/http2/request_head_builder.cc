#include <array>
#include <cstdint>

#include <gantry/http2/request_head_builder.h>

#include "../http/http1_validation.h"

namespace gantry::http2 {

namespace {

// RFC 9113 6.5.2: the size of a field is its name, its value and 32 bytes of overhead.
constexpr uint64_t kFieldOverhead = 32;

bool is_token_byte(unsigned char c) {
    if (c >= '0' && c <= '9') {
        return true;
    }
    if (c >= 'a' && c <= 'z') {
        return true;
    }
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

}  // namespace

bool is_valid_h2_field_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (char c : name) {
        if (!is_token_byte(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

// Bytes a field value must not carry: NUL, CR, LF and the other controls except HTAB, and DEL.
// Never passed to HTTP/1.1. A table and an OR per byte, with no branch in the loop: values are
// most of a request's header bytes.
constexpr std::array<uint8_t, 256> kForbiddenInValue = [] {
    std::array<uint8_t, 256> table{};
    for (int c = 0; c < 0x20; ++c) {
        table[static_cast<size_t>(c)] = c != '\t';
    }
    table[0x7f] = 1;
    return table;
}();

bool is_valid_h2_field_value(std::string_view value) {
    uint8_t forbidden = 0;
    for (char c : value) {
        forbidden |= kForbiddenInValue[static_cast<unsigned char>(c)];
    }
    if (forbidden != 0) {
        return false;
    }
    if (!value.empty()) {
        char first = value.front();
        char last = value.back();
        if (first == ' ' || first == '\t' || last == ' ' || last == '\t') {
            return false;
        }
    }
    return true;
}

bool is_connection_specific(std::string_view lower_name, std::string_view value) {
    if (lower_name == "te") {
        return value != "trailers";
    }
    return lower_name == "connection" || lower_name == "keep-alive" ||
           lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
           lower_name == "upgrade";
}

void RequestHeadBuilder::reset(http::RequestHead* head, const RequestLimits& limits) {
    *this = RequestHeadBuilder{};
    head_ = head;
    limits_ = limits;
    head_->headers.reserve(16);  // as the HTTP/1.1 parser does: no regrowth for a typical head
}

void RequestHeadBuilder::reset_trailers(http::HeaderMap* trailers, const RequestLimits& limits) {
    *this = RequestHeadBuilder{};
    trailers_ = trailers;
    limits_ = limits;
    seen_regular_ = true;  // no pseudo-header may follow
}

void RequestHeadBuilder::fail(int status, const char* reason) {
    if (!error_.is_error()) {
        error_ = HeadError{status, reason};
    }
}

void RequestHeadBuilder::add(std::string_view name, std::string_view value) {
    header_bytes_ += name.size() + value.size() + kFieldOverhead;
    ++field_count_;
    if (header_bytes_ > limits_.max_header_bytes) {
        fail(431, "headers-too-large");
    } else if (field_count_ > limits_.max_headers) {
        fail(431, "too-many-headers");
    }
    if (error_.is_error()) {
        return;
    }
    if (!name.empty() && name.front() == ':') {
        add_pseudo(name, value);
    } else {
        add_field(name, value);
    }
}

void RequestHeadBuilder::add_pseudo(std::string_view name, std::string_view value) {
    if (seen_regular_) {
        fail(400, "pseudo-header-after-field");
        return;
    }
    if (!is_valid_h2_field_value(value)) {
        fail(400, "invalid-header-value");
        return;
    }
    auto take = [&](bool& seen, std::string_view& slot) {
        if (seen) {
            fail(400, "duplicate-pseudo-header");
            return;
        }
        seen = true;
        slot = head_->headers.store(value);
    };
    if (name == ":method") {
        take(has_method_, method_);
    } else if (name == ":scheme") {
        take(has_scheme_, scheme_);
    } else if (name == ":authority") {
        take(has_authority_, authority_);
    } else if (name == ":path") {
        take(has_path_, path_);
    } else if (name == ":protocol") {
        fail(501, "extended-connect-not-supported");
    } else {
        fail(400, "unknown-pseudo-header");
    }
}

void RequestHeadBuilder::add_field(std::string_view name, std::string_view value) {
    seen_regular_ = true;
    if (!is_valid_h2_field_name(name)) {
        fail(400, "invalid-header-name");
        return;
    }
    if (!is_valid_h2_field_value(value)) {
        fail(400, "invalid-header-value");
        return;
    }
    if (is_connection_specific(name, value)) {
        fail(400, "connection-specific-header");
        return;
    }
    http::HeaderMap& map = trailers_ != nullptr ? *trailers_ : head_->headers;
    if (trailers_ != nullptr) {
        if (name == "content-length" || name == "host") {
            fail(400, "invalid-trailer");
            return;
        }
        map.add(name, value);
        return;
    }
    http::HeaderId id = http::header_id(name);
    switch (id) {
        case http::HeaderId::Host:
            ++host_count_;
            break;
        case http::HeaderId::ContentLength: {
            uint64_t length = 0;
            if (http::detail::parse_content_length(value, length) !=
                    http::detail::ContentLengthResult::Ok ||
                (has_content_length_ && length != content_length_)) {
                fail(400, "invalid-content-length");
                return;
            }
            has_content_length_ = true;
            content_length_ = length;
            return;  // framing, not a field: the HTTP/1.1 side writes its own
        }
        case http::HeaderId::Expect:
            if (value.size() == 12 && http::iequals(value, "100-continue")) {
                expect_continue_ = true;
            } else {
                expect_other_ = true;
            }
            return;
        case http::HeaderId::Te:
            return;  // "trailers": meaningful hop by hop only
        default:
            if (name == "cookie") {
                ++cookie_count_;
            }
            break;
    }
    map.add_unowned(map.store(name), map.store(value), id);
}

HeadError RequestHeadBuilder::finish_trailers() {
    return error_;
}

HeadError RequestHeadBuilder::finish(bool end_stream) {
    if (error_.is_error()) {
        return error_;
    }
    http::RequestHead& head = *head_;
    if (!has_method_ || method_.empty()) {
        fail(400, "missing-method");
        return error_;
    }
    head.method = method_;
    head.version_major = 2;
    head.version_minor = 0;
    if (method_ == "CONNECT") {
        fail(501, "connect-not-supported");  // no tunnels over HTTP/2 (yet)
        return error_;
    }
    for (char c : method_) {
        if (!is_token_byte(static_cast<unsigned char>(c)) && !(c >= 'A' && c <= 'Z')) {
            fail(400, "invalid-method");
            return error_;
        }
    }
    if (!has_scheme_ || !has_path_ || path_.empty()) {
        fail(400, "missing-pseudo-header");
        return error_;
    }
    if (scheme_ != "http" && scheme_ != "https") {
        fail(400, "invalid-scheme");
        return error_;
    }
    if (path_.front() != '/' && path_ != "*") {
        fail(400, "invalid-target");
        return error_;
    }
    http::detail::TargetParts parts = http::detail::parse_target(method_, path_);
    if (parts.error != nullptr) {
        fail(400, parts.error);
        return error_;
    }
    head.target = path_;
    head.path = parts.path;
    head.query = parts.query;
    const http::HeaderField* host = head.headers.get(http::HeaderId::Host);
    if (host_count_ > 1) {
        fail(400, "duplicate-host");
        return error_;
    }
    if (has_authority_) {
        // RFC 9113 8.3.1: no userinfo; a Host naming another authority is refused rather
        // than letting the HTTP/1.1 upstream pick one of the two.
        if (!http::detail::is_valid_authority(authority_) ||
            (host != nullptr && host->value != authority_)) {
            fail(400, "invalid-host");
            return error_;
        }
        head.authority = authority_;
        if (host == nullptr) {
            head.headers.add_unowned("host", authority_, http::HeaderId::Host);
        }
    } else {
        if (host == nullptr) {
            fail(400, "missing-host");
            return error_;
        }
        if (!http::detail::is_valid_authority(host->value)) {
            fail(400, "invalid-host");
            return error_;
        }
        head.authority = host->value;
    }
    if (expect_other_) {
        fail(417, "unsupported-expectation");
        return error_;
    }
    if (cookie_count_ > 1) {
        merge_cookies();
    }
    return check_framing(end_stream);
}

HeadError RequestHeadBuilder::check_framing(bool end_stream) {
    http::RequestHead& head = *head_;
    if (end_stream && has_content_length_ && content_length_ != 0) {
        fail(400, "content-length-mismatch");
        return error_;
    }
    if (has_content_length_ && limits_.max_body != 0 && content_length_ > limits_.max_body) {
        fail(413, "body-too-large");
        return error_;
    }
    head.keep_alive = true;
    head.wants_upgrade = false;
    head.expects_continue = expect_continue_ && !end_stream;
    if (has_content_length_) {
        head.content_length = content_length_;
        head.is_chunked = false;
    } else if (!end_stream) {
        // A body of unknown length: the HTTP/1.1 upstream gets it chunked.
        head.content_length.reset();
        head.is_chunked = true;
    } else {
        head.content_length.reset();
        head.is_chunked = false;
    }
    return error_;
}

void RequestHeadBuilder::merge_cookies() {
    // RFC 9113 8.2.3: crumbs split over several fields are joined with "; " for HTTP/1.1.
    http::HeaderMap& headers = head_->headers;
    size_t total = 0;
    for (const http::HeaderField& field : headers) {
        if (field.name == "cookie") {
            total += field.value.size() + 2;
        }
    }
    std::pmr::polymorphic_allocator<char> alloc(headers.resource());
    char* joined = alloc.allocate(total);
    size_t used = 0;
    for (const http::HeaderField& field : headers) {
        if (field.name == "cookie") {
            if (used != 0) {
                joined[used++] = ';';
                joined[used++] = ' ';
            }
            std::copy(field.value.begin(), field.value.end(), joined + used);
            used += field.value.size();
        }
    }
    std::string_view value = headers.store(std::string_view(joined, used));
    alloc.deallocate(joined, total);
    headers.remove("cookie");
    headers.add_unowned("cookie", value, http::HeaderId::Other);
}

bool is_http1_connection_field(http::HeaderId id) {
    switch (id) {
        case http::HeaderId::Connection:
        case http::HeaderId::KeepAlive:
        case http::HeaderId::ProxyConnection:
        case http::HeaderId::TransferEncoding:
        case http::HeaderId::Upgrade:
        case http::HeaderId::Te:
        case http::HeaderId::ContentLength:
            return true;
        default:
            return false;
    }
}

std::string_view lower_case_name(std::string_view name, std::pmr::memory_resource* arena) {
    bool has_upper = false;
    for (char c : name) {
        has_upper = has_upper || (c >= 'A' && c <= 'Z');
    }
    if (!has_upper) {
        return name;
    }
    auto* copy = static_cast<char*>(arena->allocate(name.size(), 1));
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        copy[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    return {copy, name.size()};
}

}  // namespace gantry::http2
