#include "http1_validation.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include <gantry/http/headers.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

using ByteSet = std::array<bool, 256>;

constexpr ByteSet make_set(bool alnum, std::string_view extra) {
    ByteSet set{};
    for (int c = 0; c < 256; ++c) {
        auto u = static_cast<unsigned char>(c);
        set[u] = alnum && (is_alpha(u) || is_digit(u));
    }
    for (char c : extra) {
        set[static_cast<unsigned char>(c)] = true;
    }
    return set;
}

constexpr ByteSet kTchar = make_set(true, "!#$%&'*+-.^_`|~");
constexpr ByteSet kRegNameChar = make_set(true, "-._~!$&'()*+,;=");

// Bytes that may not appear in a request-target: controls, SP, DEL, non-ASCII (which must be
// percent-encoded) and '#' (fragments are never sent).
constexpr ByteSet make_target_reject() {
    ByteSet set{};
    for (int c = 0; c < 256; ++c) {
        set[static_cast<size_t>(c)] = c <= 0x20 || c >= 0x7F || c == '#';
    }
    return set;
}

constexpr ByteSet kTargetReject = make_target_reject();

// Bytes that end a line or may not appear inside one: controls other than HTAB, and DEL.
constexpr ByteSet make_line_special() {
    ByteSet set{};
    for (int c = 0; c < 256; ++c) {
        set[static_cast<size_t>(c)] = (c < 0x20 && c != '\t') || c == 0x7F;
    }
    return set;
}

constexpr ByteSet kLineSpecial = make_line_special();

bool is_valid_reg_name(std::string_view host) {
    if (host.empty()) {
        return false;
    }
    for (size_t i = 0; i < host.size(); ++i) {
        auto c = static_cast<unsigned char>(host[i]);
        if (kRegNameChar[c]) {
            continue;
        }
        // pct-encoded: '%' HEXDIG HEXDIG
        if (c != '%' || i + 2 >= host.size() || !is_hex(static_cast<unsigned char>(host[i + 1])) ||
            !is_hex(static_cast<unsigned char>(host[i + 2]))) {
            return false;
        }
        i += 2;
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

bool is_valid_field_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (char c : name) {
        if (!kTchar[static_cast<unsigned char>(c)]) {
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
    for (char c : target) {
        if (kTargetReject[static_cast<unsigned char>(c)]) {
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

namespace {

#if defined(__SSE2__)
// Bit i set when byte i of the 16 at `p` ends a line or may not appear inside one.
unsigned line_special_mask(const char* p) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1F)), x);  // x <= 0x1F
    ctl = _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), ctl);
    ctl = _mm_or_si128(ctl, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
    return static_cast<unsigned>(_mm_movemask_epi8(ctl));
}

// Bit i set when byte i of the 16 at `p` is `c`.
unsigned byte_mask(const char* p, char c) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c))));
}
#endif

// Finds, in order, the bytes of [begin, end) that end a line or may not appear inside one (see
// kLineSpecial). With SSE2 it classifies sixteen bytes per load and keeps that block's mask, so
// consecutive short lines cost a few instructions each.
class LineSpecialCursor {
public:
    LineSpecialCursor(const char* begin, const char* end) : begin_(begin), end_(end) {}

    // The first such byte at or after `from` (which only moves forward), or end.
    const char* next(const char* from) {
#if defined(__SSE2__)
        if (block_ != nullptr && from < block_ + 16) {
            unsigned left = mask_ & (~0U << (from - block_));
            if (left != 0) {
                return block_ + std::countr_zero(left);
            }
            from = block_ + 16;
            if (from >= end_) {
                return end_;
            }
        }
        if (end_ - begin_ >= 16) {
            while (end_ - from >= 16) {
                block_ = from;
                mask_ = line_special_mask(from);
                if (mask_ != 0) {
                    return from + std::countr_zero(mask_);
                }
                from += 16;
            }
            if (from == end_) {
                return end_;
            }
            // The 16 bytes that end at end_, less the ones already looked at.
            block_ = end_ - 16;
            mask_ = line_special_mask(block_);
            unsigned left = mask_ & (~0U << (from - block_));
            return left != 0 ? block_ + std::countr_zero(left) : end_;
        }
#endif
        while (from < end_ && !kLineSpecial[static_cast<unsigned char>(*from)]) {
            ++from;
        }
        return from;
    }

private:
    const char* begin_;
    const char* end_;
    const char* block_ = nullptr;
    unsigned mask_ = 0;
};

struct StartLineCounts {
    size_t spaces = 0;
    bool tab = false;
};

// Spaces and tabs in the request-line [p, line_end); `end` bounds what may be read.
StartLineCounts count_spaces_and_tabs(const char* p, const char* line_end, const char* end) {
    StartLineCounts counts;
#if defined(__SSE2__)
    for (; p < line_end && end - p >= 16; p += 16) {
        unsigned valid = line_end - p >= 16 ? 0xFFFFU : (1U << (line_end - p)) - 1;
        for (unsigned spaces = byte_mask(p, ' ') & valid; spaces != 0; spaces &= spaces - 1) {
            ++counts.spaces;
        }
        counts.tab = counts.tab || (byte_mask(p, '\t') & valid) != 0;
    }
#else
    (void)end;
#endif
    for (; p < line_end; ++p) {
        counts.spaces += *p == ' ' ? 1 : 0;
        counts.tab = counts.tab || *p == '\t';
    }
    return counts;
}

}  // namespace

size_t scan_plain_response_head(std::string_view bytes, PlainStatusLine& line, PlainFieldSink sink,
                                void* context) {
    const char* begin = bytes.data();
    const char* end = begin + bytes.size();
    constexpr size_t kStatusPrefix = 12;  // "HTTP/1.1 200"
    if (bytes.size() < kStatusPrefix + 2 || std::memcmp(begin, "HTTP/1.", 7) != 0 ||
        (begin[7] != '0' && begin[7] != '1') || begin[8] != ' ') {
        return 0;
    }
    auto d0 = static_cast<unsigned char>(begin[9]);
    auto d1 = static_cast<unsigned char>(begin[10]);
    auto d2 = static_cast<unsigned char>(begin[11]);
    if (!is_digit(d0) || !is_digit(d1) || !is_digit(d2)) {
        return 0;
    }
    LineSpecialCursor specials(begin, end);
    const char* cr = specials.next(begin + kStatusPrefix);
    if (end - cr < 2 || cr[0] != '\r' || cr[1] != '\n') {
        return 0;
    }
    if (cr != begin + kStatusPrefix && begin[kStatusPrefix] != ' ') {
        return 0;
    }
    line.status = (d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0');
    line.version_minor = static_cast<uint8_t>(begin[7] - '0');
    line.reason = cr == begin + kStatusPrefix
                      ? std::string_view{}
                      : std::string_view(begin + kStatusPrefix + 1,
                                         static_cast<size_t>(cr - begin - kStatusPrefix - 1));
    const char* p = cr + 2;
    for (;;) {
        cr = specials.next(p);
        if (end - cr < 2 || cr[0] != '\r' || cr[1] != '\n') {
            return 0;
        }
        if (cr == p) {
            return static_cast<size_t>(cr + 2 - begin);
        }
        // The name is the token before ':'; this also refuses an empty name and obs-fold (a line
        // that starts with SP or HTAB).
        const char* colon = p;
        while (kTchar[static_cast<unsigned char>(*colon)]) {
            ++colon;  // stops at the CR at the latest
        }
        if (*colon != ':' || colon == p) {
            return 0;
        }
        std::string_view name(p, static_cast<size_t>(colon - p));
        std::string_view value =
            trim_ows(std::string_view(colon + 1, static_cast<size_t>(cr - colon - 1)));
        if (!sink(context, name, value)) {
            return 0;
        }
        p = cr + 2;
    }
}

ScanError FramingScanner::scan(std::string_view bytes) {
    const char* p = bytes.data();
    const char* end = p + bytes.size();
    while (p < end && mode_ != Mode::Off) {
        if (mode_ == Mode::ChunkData) {
            uint64_t take = std::min<uint64_t>(chunk_size_, static_cast<uint64_t>(end - p));
            chunk_size_ -= take;
            p += take;
            if (chunk_size_ == 0) {
                mode_ = Mode::ChunkDataCr;
            }
            continue;
        }
        bool in_lines =
            mode_ == Mode::StartLine || mode_ == Mode::Headers || mode_ == Mode::Trailers;
        if (in_lines && !cr_ && line_len_ == 0) {
            const char* next = mode_ == Mode::Headers ? scan_header_lines(bytes.data(), p, end)
                                                      : scan_whole_line(bytes.data(), p, end);
            if (next != p) {
                p = next;
                continue;
            }
        }
        auto c = static_cast<unsigned char>(*p++);
        ScanError err = in_lines ? line_byte(c) : chunk_byte(c);
        if (err.status != 0) {
            return err;
        }
    }
    return {};
}

// Header lines from `p` (a line start) as long as each ends in CRLF before `end` and the
// byte-wise path would accept all of it; stops after the empty line that ends the head. Returns
// where the byte-wise path has to take over (`p` itself when the first line is left to it).
const char* FramingScanner::scan_header_lines(const char* begin, const char* p, const char* end) {
    LineSpecialCursor specials(begin, end);
    for (;;) {
        const char* cr = specials.next(p);
        if (end - cr < 2 || cr[0] != '\r' || cr[1] != '\n') {
            return p;
        }
        if (cr == p) {
            mode_ = Mode::Off;
            return cr + 2;
        }
        if (*p == ' ' || *p == '\t') {
            return p;  // obs-fold: line_byte() reports it
        }
        p = cr + 2;
    }
}

// The start line or a trailer line from `p` (a line start) when its CRLF lies before `end` and
// the byte-wise path would accept every byte of it: applies the same state change and returns the
// byte after the LF. Otherwise returns `p` and changes nothing, leaving the line to line_byte().
const char* FramingScanner::scan_whole_line(const char* begin, const char* p, const char* end) {
    const char* cr = LineSpecialCursor(begin, end).next(p);
    if (end - cr < 2 || cr[0] != '\r' || cr[1] != '\n') {
        return p;
    }
    auto len = static_cast<size_t>(cr - p);
    if (mode_ == Mode::Trailers) {
        bool folded = len > 0 && (*p == ' ' || *p == '\t');
        if (folded || trailer_bytes_ + len + 2 > max_trailer_bytes_) {
            return p;
        }
        trailer_bytes_ += len + 2;
        if (len == 0) {
            mode_ = Mode::Off;
        }
        return cr + 2;
    }
    if (mode_ != Mode::StartLine) {
        return p;
    }
    if (len == 0) {
        // RFC 9112 2.2: empty lines before a request-line are ignored.
        return request_ ? cr + 2 : p;
    }
    if (request_) {
        StartLineCounts counts = count_spaces_and_tabs(p, cr, end);
        if (counts.tab || spaces_ + counts.spaces != 2) {
            return p;
        }
        spaces_ += static_cast<uint32_t>(counts.spaces);
    } else {
        std::memcpy(status_line_, p, std::min(len, sizeof(status_line_)));
        line_len_ = static_cast<uint32_t>(len);
        bool ok = end_start_line().status == 0;
        line_len_ = 0;
        if (!ok) {
            return p;
        }
    }
    mode_ = Mode::Headers;
    return cr + 2;
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
