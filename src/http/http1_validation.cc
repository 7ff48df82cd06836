#include "http1_validation.h"

#include <algorithm>

#include <gantry/http/headers.h>

namespace gantry::http::detail {
namespace {

constexpr bool is_alpha(unsigned char c) {
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

constexpr bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

constexpr bool is_hex(unsigned char c) {
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

constexpr int hex_value(unsigned char c) {
    return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

constexpr bool is_ctl(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

bool is_tchar(unsigned char c) {
    if (is_alpha(c) || is_digit(c)) {
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

bool is_unreserved_or_sub_delim(unsigned char c) {
    if (is_alpha(c) || is_digit(c)) {
        return true;
    }
    switch (c) {
        case '-':
        case '.':
        case '_':
        case '~':
        case '!':
        case '$':
        case '&':
        case '\'':
        case '(':
        case ')':
        case '*':
        case '+':
        case ',':
        case ';':
        case '=':
            return true;
        default:
            return false;
    }
}

bool is_valid_reg_name(std::string_view host) {
    if (host.empty()) {
        return false;
    }
    for (size_t i = 0; i < host.size(); ++i) {
        auto c = static_cast<unsigned char>(host[i]);
        if (c == '%') {
            if (i + 2 >= host.size()) {
                return false;
            }
            if (!is_hex(static_cast<unsigned char>(host[i + 1])) ||
                !is_hex(static_cast<unsigned char>(host[i + 2]))) {
                return false;
            }
            i += 2;
            continue;
        }
        if (!is_unreserved_or_sub_delim(c)) {
            return false;
        }
    }
    return true;
}

bool is_valid_ipv6_literal(std::string_view inside) {
    if (inside.size() < 2) {
        return false;
    }
    bool colon = false;
    for (char ch : inside) {
        auto c = static_cast<unsigned char>(ch);
        colon = colon || c == ':';
        if (!is_hex(c) && c != ':' && c != '.') {
            return false;
        }
    }
    return colon;
}

bool is_valid_port(std::string_view port) {
    if (port.empty() || port.size() > 5) {
        return false;
    }
    uint32_t value = 0;
    for (char ch : port) {
        if (!is_digit(static_cast<unsigned char>(ch))) {
            return false;
        }
        value = value * 10 + static_cast<uint32_t>(ch - '0');
    }
    return value <= 65535;
}

bool parse_decimal(std::string_view digits, uint64_t& out) {
    // 18 digits keep the value below 2^63, far beyond any real body.
    if (digits.empty() || digits.size() > 18) {
        return false;
    }
    uint64_t value = 0;
    for (char ch : digits) {
        if (!is_digit(static_cast<unsigned char>(ch))) {
            return false;
        }
        value = value * 10 + static_cast<uint64_t>(ch - '0');
    }
    out = value;
    return true;
}

std::string_view split_query(std::string_view path_and_query, std::string_view& query) {
    size_t q = path_and_query.find('?');
    if (q == std::string_view::npos) {
        query = {};
        return path_and_query;
    }
    query = path_and_query.substr(q + 1);
    return path_and_query.substr(0, q);
}

TargetParts parse_absolute_form(std::string_view target) {
    TargetParts parts;
    size_t scheme_end = target.find("://");
    std::string_view scheme = target.substr(0, scheme_end);
    if (scheme_end == std::string_view::npos ||
        (!iequals(scheme, "http") && !iequals(scheme, "https"))) {
        parts.error = "invalid-target";
        return parts;
    }
    std::string_view rest = target.substr(scheme_end + 3);
    size_t end = rest.find_first_of("/?");
    parts.authority = rest.substr(0, end);
    if (!is_valid_authority(parts.authority)) {
        parts.error = "invalid-target";
        return parts;
    }
    std::string_view path = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    parts.path = split_query(path, parts.query);
    if (parts.path.empty()) {
        parts.path = "/";
    }
    return parts;
}

}  // namespace

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool is_valid_field_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (char c : name) {
        if (!is_tchar(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

bool is_valid_authority(std::string_view authority) {
    std::string_view host = authority;
    std::string_view port;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos ||
            !is_valid_ipv6_literal(authority.substr(1, close - 1))) {
            return false;
        }
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return false;
            }
            has_port = true;
            port = after.substr(1);
        }
        return !has_port || is_valid_port(port);
    }
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        has_port = true;
    }
    return is_valid_reg_name(host) && (!has_port || is_valid_port(port));
}

ContentLengthResult parse_content_length(std::string_view value, uint64_t& out) {
    bool have = false;
    uint64_t first = 0;
    for (;;) {
        size_t comma = value.find(',');
        uint64_t item = 0;
        if (!parse_decimal(trim_ows(value.substr(0, comma)), item)) {
            return ContentLengthResult::Invalid;
        }
        if (have && item != first) {
            return ContentLengthResult::Conflicting;
        }
        first = item;
        have = true;
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    out = first;
    return ContentLengthResult::Ok;
}

TargetParts parse_target(std::string_view method, std::string_view target) {
    TargetParts parts;
    if (target.empty()) {
        parts.error = "invalid-target";
        return parts;
    }
    for (char ch : target) {
        auto c = static_cast<unsigned char>(ch);
        // Fragments are never part of a request-target; non-ASCII must be percent-encoded.
        if (c <= 0x20 || c >= 0x7F || c == '#') {
            parts.error = "invalid-target";
            return parts;
        }
    }
    if (target == "*") {
        if (method != "OPTIONS") {
            parts.error = "invalid-target";
            return parts;
        }
        parts.path = target;
        return parts;
    }
    if (target.front() == '/') {
        parts.path = split_query(target, parts.query);
        return parts;
    }
    return parse_absolute_form(target);
}

void FramingScanner::reset(bool request, uint64_t max_trailer_bytes) {
    *this = FramingScanner{};
    request_ = request;
    max_trailer_bytes_ = max_trailer_bytes;
}

void FramingScanner::start_chunked_body() {
    mode_ = Mode::ChunkSize;
    chunk_size_ = 0;
    chunk_digits_ = 0;
}

void FramingScanner::stop() {
    mode_ = Mode::Off;
}

ScanError FramingScanner::scan(std::string_view bytes) {
    size_t i = 0;
    while (i < bytes.size() && mode_ != Mode::Off) {
        if (mode_ == Mode::ChunkData) {
            uint64_t take = std::min<uint64_t>(chunk_size_, bytes.size() - i);
            chunk_size_ -= take;
            i += static_cast<size_t>(take);
            if (chunk_size_ == 0) {
                mode_ = Mode::ChunkDataCr;
            }
            continue;
        }
        auto c = static_cast<unsigned char>(bytes[i++]);
        bool in_lines =
            mode_ == Mode::StartLine || mode_ == Mode::Headers || mode_ == Mode::Trailers;
        ScanError err = in_lines ? line_byte(c) : chunk_byte(c);
        if (err.status != 0) {
            return err;
        }
    }
    return {};
}

ScanError FramingScanner::line_byte(unsigned char c) {
    if (mode_ == Mode::Trailers && ++trailer_bytes_ > max_trailer_bytes_) {
        return {431, "trailers-too-large"};
    }
    if (cr_) {
        if (c != '\n') {
            return {400, "bare-cr"};
        }
        cr_ = false;
        return end_line();
    }
    if (c == '\r') {
        cr_ = true;
        return {};
    }
    if (c == '\n') {
        return {400, "bare-lf"};
    }
    if (mode_ == Mode::StartLine) {
        return start_line_byte(c);
    }
    if (line_len_ == 0 && (c == ' ' || c == '\t')) {
        return {400, "obs-fold"};
    }
    if (is_ctl(c) && c != '\t') {
        return {400, "control-character"};
    }
    ++line_len_;
    return {};
}

ScanError FramingScanner::start_line_byte(unsigned char c) {
    if (is_ctl(c) && !(c == '\t' && !request_)) {
        return {400, request_ ? "invalid-request-line" : "invalid-status-line"};
    }
    if (request_) {
        spaces_ += c == ' ' ? 1 : 0;
    } else if (line_len_ < sizeof(status_line_)) {
        status_line_[line_len_] = static_cast<char>(c);
    }
    ++line_len_;
    return {};
}

ScanError FramingScanner::end_start_line() {
    if (request_) {
        return spaces_ == 2 ? ScanError{} : ScanError{400, "invalid-request-line"};
    }
    // "HTTP/x.y SP 3DIGIT [SP reason]": llhttp accepts other digit counts.
    const char* s = status_line_;
    bool ok = line_len_ >= 12 && s[8] == ' ' && is_digit(static_cast<unsigned char>(s[9])) &&
              is_digit(static_cast<unsigned char>(s[10])) &&
              is_digit(static_cast<unsigned char>(s[11])) && (line_len_ == 12 || s[12] == ' ');
    return ok ? ScanError{} : ScanError{400, "invalid-status-line"};
}

ScanError FramingScanner::end_line() {
    uint32_t len = line_len_;
    line_len_ = 0;
    if (mode_ == Mode::StartLine) {
        if (len == 0 && request_) {
            return {};  // RFC 9112 2.2: empty lines before the request-line are ignored.
        }
        line_len_ = len;
        ScanError err = end_start_line();
        line_len_ = 0;
        mode_ = Mode::Headers;
        return err;
    }
    if (len == 0) {
        mode_ = Mode::Off;
    }
    return {};
}

ScanError FramingScanner::chunk_byte(unsigned char c) {
    constexpr ScanError kBad{400, "invalid-chunk-framing"};
    switch (mode_) {
        case Mode::ChunkSize:
            if (is_hex(c) && chunk_digits_ < 16) {
                chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(hex_value(c));
                ++chunk_digits_;
                return {};
            }
            if (chunk_digits_ == 0 || (c != ';' && c != '\r')) {
                return kBad;
            }
            mode_ = c == ';' ? Mode::ChunkExt : Mode::ChunkSizeLf;
            return {};
        case Mode::ChunkExt:
            if (c == '\r') {
                mode_ = Mode::ChunkSizeLf;
                return {};
            }
            return is_ctl(c) && c != '\t' ? kBad : ScanError{};
        case Mode::ChunkSizeLf:
            if (c != '\n') {
                return kBad;
            }
            mode_ = chunk_size_ == 0 ? Mode::Trailers : Mode::ChunkData;
            if (chunk_size_ == 0) {
                line_len_ = 0;
                trailer_bytes_ = 0;
            }
            return {};
        case Mode::ChunkDataCr:
            mode_ = Mode::ChunkDataLf;
            return c == '\r' ? ScanError{} : kBad;
        case Mode::ChunkDataLf:
            start_chunked_body();
            return c == '\n' ? ScanError{} : kBad;
        default:
            return kBad;
    }
}

}  // namespace gantry::http::detail
