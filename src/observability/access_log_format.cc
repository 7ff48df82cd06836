// AccessLogFormat: compiles nginx-style log formats once per config and renders one line per
// finished request. Rendering appends to the caller's buffer and allocates nothing else: numbers
// go through std::to_chars on the stack, and the formatted local time is cached per thread and
// recomputed once per second (localtime_r takes a process-wide lock in glibc).

#include <array>
#include <charconv>
#include <cstdio>
#include <string>
#include <time.h>

#include <gantry/observability/access_log.h>

namespace gantry::observability {

namespace {

// How a compiled piece prints. Text and Count read the record field the piece points at.
enum class Var : uint8_t {
    Literal,
    Text,   // a string_view field: escaped, "-" when empty
    Count,  // a uint64_t field
    RemotePort,
    RemoteUser,
    TimeLocal,
    TimeIso8601,
    Msec,
    Request,
    Args,
    ServerProtocol,
    Status,
    RequestTime,
    UpstreamStatus,
    UpstreamResponseTime,
    UpstreamAttempts,
    HttpHeader,
};

using TextField = std::string_view AccessLogRecord::*;
using CountField = uint64_t AccessLogRecord::*;

struct NamedVar {
    std::string_view name;
    Var var;
    TextField text = nullptr;
    CountField count = nullptr;
};

constexpr std::array kVariables = {
    NamedVar{"remote_addr", Var::Text, &AccessLogRecord::remote_addr},
    NamedVar{"remote_port", Var::RemotePort},
    NamedVar{"remote_user", Var::RemoteUser},
    NamedVar{"time_local", Var::TimeLocal},
    NamedVar{"time_iso8601", Var::TimeIso8601},
    NamedVar{"msec", Var::Msec},
    NamedVar{"request", Var::Request},
    NamedVar{"request_method", Var::Text, &AccessLogRecord::method},
    NamedVar{"request_uri", Var::Text, &AccessLogRecord::target},
    NamedVar{"uri", Var::Text, &AccessLogRecord::path},
    NamedVar{"args", Var::Args},
    NamedVar{"query_string", Var::Args},
    NamedVar{"server_protocol", Var::ServerProtocol},
    NamedVar{"host", Var::Text, &AccessLogRecord::host},
    NamedVar{"status", Var::Status},
    NamedVar{"body_bytes_sent", Var::Count, nullptr, &AccessLogRecord::body_bytes_sent},
    NamedVar{"bytes_sent", Var::Count, nullptr, &AccessLogRecord::bytes_sent},
    NamedVar{"request_length", Var::Count, nullptr, &AccessLogRecord::request_length},
    NamedVar{"request_time", Var::RequestTime},
    NamedVar{"upstream_addr", Var::Text, &AccessLogRecord::upstream_addr},
    NamedVar{"upstream_status", Var::UpstreamStatus},
    NamedVar{"upstream_response_time", Var::UpstreamResponseTime},
    NamedVar{"upstream_attempts", Var::UpstreamAttempts},
    NamedVar{"request_id", Var::Text, &AccessLogRecord::request_id},
    NamedVar{"gantry_error", Var::Text, &AccessLogRecord::error},
    NamedVar{"ssl_protocol", Var::Text, &AccessLogRecord::ssl_protocol},
    NamedVar{"ssl_cipher", Var::Text, &AccessLogRecord::ssl_cipher},
    NamedVar{"ssl_server_name", Var::Text, &AccessLogRecord::ssl_server_name},
    NamedVar{"ssl_client_s_dn", Var::Text, &AccessLogRecord::ssl_client_s_dn},
};

constexpr std::string_view kHttpPrefix = "http_";

// nginx's built-in "combined" format.
constexpr std::string_view kCombined =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\"";

constexpr std::string_view kHexUpper = "0123456789ABCDEF";
constexpr std::string_view kHexLower = "0123456789abcdef";

// JSON's two-character escapes: kJsonShortFrom[i] is written as '\\' kJsonShortTo[i].
constexpr std::string_view kJsonShortFrom = "\"\\\n\r\t\b\f";
constexpr std::string_view kJsonShortTo = "\"\\nrtbf";

// One compiled piece of a format. `text` is the literal text, or for Var::HttpHeader the header
// name as nginx spells the variable suffix (lower case, '_' for '-').
struct FormatOp {
    Var var = Var::Literal;
    std::string text;
    TextField text_field = nullptr;
    CountField count_field = nullptr;
};

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// ---- escaping ---------------------------------------------------------------------------------

// nginx's escape=default set: control bytes, '"', '\', DEL and every byte >= 0x80.
constexpr bool needs_default_escape(unsigned char c) {
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x7f;
}

// Appends `value` escaped as nginx does in log variables: unsafe bytes become \xHH (upper case).
void append_escaped(std::string& out, std::string_view value) {
    size_t run = 0;
    for (size_t i = 0; i < value.size(); ++i) {
        auto c = static_cast<unsigned char>(value[i]);
        if (!needs_default_escape(c)) {
            continue;
        }
        out.append(value.data() + run, i - run);
        const char seq[4] = {'\\', 'x', kHexUpper[c >> 4], kHexUpper[c & 0xf]};
        out.append(seq, 4);
        run = i + 1;
    }
    out.append(value.data() + run, value.size() - run);
}

// nginx prints "-" for a variable that has no value.
void append_escaped_or_dash(std::string& out, std::string_view value) {
    if (value.empty()) {
        out.push_back('-');
        return;
    }
    append_escaped(out, value);
}

// Length of the well-formed UTF-8 sequence starting at s[0], or 0 (overlong forms, surrogates
// and code points above U+10FFFF are rejected as RFC 3629 requires).
size_t utf8_sequence_length(std::string_view s) {
    auto b = [&](size_t i) {
        return static_cast<unsigned char>(s[i]);
    };
    auto cont = [&](size_t i) {
        return i < s.size() && (b(i) & 0xc0) == 0x80;
    };
    unsigned char c = b(0);
    if (c >= 0xc2 && c <= 0xdf) {
        return cont(1) ? 2 : 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (!cont(1) || !cont(2) || (c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f)) {
            return 0;
        }
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (!cont(1) || !cont(2) || !cont(3) || (c == 0xf0 && b(1) < 0x90) ||
            (c == 0xf4 && b(1) > 0x8f)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

void append_json_unicode_escape(std::string& out, unsigned char c) {
    const char seq[6] = {'\\', 'u', '0', '0', kHexLower[c >> 4], kHexLower[c & 0xf]};
    out.append(seq, 6);
}

// Appends `value` as the inside of a JSON string. Well-formed UTF-8 passes through; a byte that
// is not part of one is written as \u00XX so that the line stays valid JSON while the byte's
// value can still be read back.
void append_json_escaped(std::string& out, std::string_view value) {
    size_t i = 0;
    while (i < value.size()) {
        auto c = static_cast<unsigned char>(value[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_sequence_length(value.substr(i));
            if (n > 0) {
                out.append(value.data() + i, n);
                i += n;
                continue;
            }
        }
        size_t k = kJsonShortFrom.find(static_cast<char>(c));
        if (k != std::string_view::npos) {
            const char seq[2] = {'\\', kJsonShortTo[k]};
            out.append(seq, 2);
        } else {
            append_json_unicode_escape(out, c);
        }
        ++i;
    }
}

// ---- numbers and time -------------------------------------------------------------------------

void append_uint(std::string& out, uint64_t value) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, res.ptr);
}

// nginx prints the status as %03ui: three digits at least, "000" when there is none.
void append_status(std::string& out, int status) {
    if (status < 0) {
        status = 0;
    }
    if (status < 100) {
        out.push_back('0');
    }
    if (status < 10) {
        out.push_back('0');
    }
    append_uint(out, static_cast<uint64_t>(status));
}

// Milliseconds as "seconds.mmm", as nginx prints $request_time and $msec.
void append_millis(std::string& out, int64_t ms) {
    if (ms < 0) {
        ms = 0;
    }
    append_uint(out, static_cast<uint64_t>(ms / 1000));
    const char frac[4] = {'.', static_cast<char>('0' + ms / 100 % 10),
                          static_cast<char>('0' + ms / 10 % 10), static_cast<char>('0' + ms % 10)};
    out.append(frac, 4);
}

int64_t to_millis(std::chrono::nanoseconds d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// The moment the line is written, as nginx stamps it: when the request started plus how long it
// took. Derived from the record (not the clock) so that a line is a pure function of it.
int64_t log_time_millis(const AccessLogRecord& r) {
    int64_t start =
        std::chrono::floor<std::chrono::milliseconds>(r.start_time.time_since_epoch()).count();
    int64_t took = to_millis(r.request_time);
    return start + (took > 0 ? took : 0);
}

// The formatted forms of one second, cached per thread.
struct TimeStrings {
    int64_t second = INT64_MIN;
    char local[128] = {};  // 27/Nov/2026:07:01:02 +0000
    size_t local_len = 0;
    char iso[128] = {};  // 2026-11-27T07:01:02+00:00
    size_t iso_len = 0;
};

// snprintf's result as the number of bytes actually in a buffer of `size`.
size_t clamp_length(int n, size_t size) {
    if (n <= 0) {
        return 0;
    }
    return static_cast<size_t>(n) < size ? static_cast<size_t>(n) : size - 1;
}

void render_time(TimeStrings& t, int64_t second) {
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t clock = static_cast<time_t>(second);

    struct tm tm {};

    if (localtime_r(&clock, &tm) == nullptr) {
        tm = {};
        tm.tm_mday = 1;
        tm.tm_year = 70;
    }
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    int n = std::snprintf(t.local, sizeof(t.local), "%02d/%s/%d:%02d:%02d:%02d %c%02ld%02ld",
                          tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
                          tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
    t.local_len = clamp_length(n, sizeof(t.local));
    n = std::snprintf(t.iso, sizeof(t.iso), "%d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, sign, off / 60, off % 60);
    t.iso_len = clamp_length(n, sizeof(t.iso));
    t.second = second;
}

const TimeStrings& time_strings(int64_t millis) {
    thread_local TimeStrings cache;
    int64_t second = millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
    if (cache.second != second) {
        render_time(cache, second);
    }
    return cache;
}

// ---- request pieces ---------------------------------------------------------------------------

void append_protocol(std::string& out, const AccessLogRecord& r) {
    out.append("HTTP/");
    append_uint(out, r.version_major);
    out.push_back('.');
    append_uint(out, r.version_minor);
}

// $request: the request line, or "-" when none was received (a connection closed early).
void append_request_line(std::string& out, const AccessLogRecord& r) {
    if (r.method.empty() && r.target.empty()) {
        out.push_back('-');
        return;
    }
    append_escaped(out, r.method);
    out.push_back(' ');
    append_escaped(out, r.target);
    out.push_back(' ');
    append_protocol(out, r);
}

// $args is empty (not "-") when the target has a '?' with nothing after it, as in nginx.
void append_args(std::string& out, const AccessLogRecord& r) {
    if (r.query.empty() && r.target.find('?') == std::string_view::npos) {
        out.push_back('-');
        return;
    }
    append_escaped(out, r.query);
}

// True when a header name matches a $http_ suffix: ASCII case is ignored and '-' in the header
// name reads as '_', so $http_x_request_id finds both X-Request-Id and x_request_id.
bool header_matches(std::string_view header, std::string_view var_suffix) {
    if (header.size() != var_suffix.size()) {
        return false;
    }
    for (size_t i = 0; i < header.size(); ++i) {
        char c = ascii_lower(header[i]);
        if (c == '-') {
            c = '_';
        }
        if (c != var_suffix[i]) {
            return false;
        }
    }
    return true;
}

using EscapeFn = void (*)(std::string&, std::string_view);

// Appends every request header field named by a $http_ suffix, joined by ", " ("; " for
// cookies) as nginx does. Returns false when there is none.
bool append_header_values(std::string& out, const AccessLogRecord& r, std::string_view suffix,
                          EscapeFn escape) {
    if (r.request_headers == nullptr) {
        return false;
    }
    const std::string_view sep = suffix == "cookie" ? "; " : ", ";
    bool found = false;
    for (const http::HeaderField& field : r.request_headers->fields()) {
        if (!header_matches(field.name, suffix)) {
            continue;
        }
        if (found) {
            out.append(sep);
        }
        escape(out, field.value);
        found = true;
    }
    return found;
}

void append_header(std::string& out, const AccessLogRecord& r, std::string_view suffix) {
    if (!append_header_values(out, r, suffix, append_escaped)) {
        out.push_back('-');
    }
}

void append_upstream_response_time(std::string& out, const AccessLogRecord& r) {
    if (!r.upstream_response_time) {
        out.push_back('-');
        return;
    }
    append_millis(out, to_millis(*r.upstream_response_time));
}

void append_upstream_status(std::string& out, const AccessLogRecord& r) {
    if (r.upstream_status == 0) {
        out.push_back('-');
        return;
    }
    append_status(out, r.upstream_status);
}

void append_time_var(std::string& out, Var var, const AccessLogRecord& r) {
    int64_t ms = log_time_millis(r);
    if (var == Var::Msec) {
        append_millis(out, ms);
        return;
    }
    const TimeStrings& t = time_strings(ms);
    if (var == Var::TimeLocal) {
        out.append(t.local, t.local_len);
    } else {
        out.append(t.iso, t.iso_len);
    }
}

void append_op(std::string& out, const FormatOp& op, const AccessLogRecord& r) {
    switch (op.var) {
        case Var::Literal:
            out.append(op.text);
            break;
        case Var::Text:
            append_escaped_or_dash(out, r.*op.text_field);
            break;
        case Var::Count:
            append_uint(out, r.*op.count_field);
            break;
        case Var::RemotePort:
            append_uint(out, r.remote_port);
            break;
        case Var::RemoteUser:
            out.push_back('-');
            break;  // gantry does no authentication
        case Var::TimeLocal:
        case Var::TimeIso8601:
        case Var::Msec:
            append_time_var(out, op.var, r);
            break;
        case Var::Request:
            append_request_line(out, r);
            break;
        case Var::Args:
            append_args(out, r);
            break;
        case Var::ServerProtocol:
            append_protocol(out, r);
            break;
        case Var::Status:
            append_status(out, r.status);
            break;
        case Var::RequestTime:
            append_millis(out, to_millis(r.request_time));
            break;
        case Var::UpstreamStatus:
            append_upstream_status(out, r);
            break;
        case Var::UpstreamResponseTime:
            append_upstream_response_time(out, r);
            break;
        case Var::UpstreamAttempts:
            if (r.upstream_attempts == 0) {
                out.push_back('-');
            } else {
                append_uint(out, r.upstream_attempts);
            }
            break;
        case Var::HttpHeader:
            append_header(out, r, op.text);
            break;
    }
}

// ---- json -------------------------------------------------------------------------------------

void append_json_key(std::string& out, std::string_view key) {
    out.push_back(',');
    out.push_back('"');
    out.append(key);
    out.append("\":");
}

// A string member; null when the value is empty (absent).
void append_json_string(std::string& out, std::string_view key, std::string_view value) {
    append_json_key(out, key);
    if (value.empty()) {
        out.append("null");
        return;
    }
    out.push_back('"');
    append_json_escaped(out, value);
    out.push_back('"');
}

// A request header member; null when the request has no such header.
void append_json_header(std::string& out, std::string_view key, const AccessLogRecord& r,
                        std::string_view suffix) {
    append_json_key(out, key);
    size_t mark = out.size();
    out.push_back('"');
    if (!append_header_values(out, r, suffix, append_json_escaped)) {
        out.resize(mark);
        out.append("null");
        return;
    }
    out.push_back('"');
}

void append_json_request(std::string& out, const AccessLogRecord& r) {
    const TimeStrings& t = time_strings(log_time_millis(r));
    out.append("{\"time\":\"");
    out.append(t.iso, t.iso_len);
    out.push_back('"');
    append_json_string(out, "remote_addr", r.remote_addr);
    append_json_key(out, "remote_port");
    append_uint(out, r.remote_port);
    append_json_string(out, "method", r.method);
    append_json_string(out, "target", r.target);
    append_json_string(out, "uri", r.path);
    append_json_string(out, "args", r.query);
    append_json_key(out, "protocol");
    out.push_back('"');
    append_protocol(out, r);
    out.push_back('"');
    append_json_string(out, "host", r.host);
    append_json_header(out, "user_agent", r, "user_agent");
    append_json_header(out, "referer", r, "referer");
    append_json_key(out, "request_length");
    append_uint(out, r.request_length);
}

void append_json_response(std::string& out, const AccessLogRecord& r) {
    append_json_key(out, "status");
    append_uint(out, static_cast<uint64_t>(r.status > 0 ? r.status : 0));
    append_json_key(out, "body_bytes_sent");
    append_uint(out, r.body_bytes_sent);
    append_json_key(out, "bytes_sent");
    append_uint(out, r.bytes_sent);
    append_json_key(out, "request_time");
    append_millis(out, to_millis(r.request_time));
    append_json_string(out, "upstream_addr", r.upstream_addr);
    append_json_key(out, "upstream_status");
    if (r.upstream_status > 0) {
        append_uint(out, static_cast<uint64_t>(r.upstream_status));
    } else {
        out.append("null");
    }
    append_json_key(out, "upstream_response_time");
    if (r.upstream_response_time) {
        append_millis(out, to_millis(*r.upstream_response_time));
    } else {
        out.append("null");
    }
    append_json_string(out, "request_id", r.request_id);
    append_json_string(out, "error", r.error);
    append_json_string(out, "listener", r.listener);
    append_json_string(out, "cluster", r.route_cluster);
    out.append("}\n");
}

// ---- compiling --------------------------------------------------------------------------------

// Resolves a variable name (case-insensitive, as nginx's are) to an op; false when unknown.
bool resolve_variable(std::string_view name, FormatOp& op) {
    std::string lower(name);
    for (char& c : lower) {
        c = ascii_lower(c);
    }
    for (const NamedVar& v : kVariables) {
        if (v.name == lower) {
            op.var = v.var;
            op.text_field = v.text;
            op.count_field = v.count;
            return true;
        }
    }
    if (lower.size() > kHttpPrefix.size() && lower.starts_with(kHttpPrefix)) {
        op.var = Var::HttpHeader;
        op.text = lower.substr(kHttpPrefix.size());
        return true;
    }
    return false;
}

void append_literal(std::vector<FormatOp>& ops, std::string_view text) {
    if (text.empty()) {
        return;
    }
    if (ops.empty() || ops.back().var != Var::Literal) {
        ops.push_back(FormatOp{Var::Literal, {}});
    }
    ops.back().text.append(text);
}

// Parses a variable reference starting just after a '$' at `pos`: sets `name` (empty when the
// '$' starts no name and is literal text) and advances `pos` past it. False on a malformed ${.
bool parse_reference(std::string_view format, size_t& pos, std::string_view& name,
                     std::string* error) {
    bool braced = pos < format.size() && format[pos] == '{';
    size_t begin = braced ? pos + 1 : pos;
    size_t end = begin;
    while (end < format.size() && is_name_char(format[end])) {
        ++end;
    }
    name = format.substr(begin, end - begin);
    if (!braced) {
        pos = end;
        return true;
    }
    if (end >= format.size() || format[end] != '}' || name.empty()) {
        *error = "unterminated or empty ${...} in log format at offset " + std::to_string(pos - 1);
        return false;
    }
    pos = end + 1;
    return true;
}

bool compile_custom(std::string_view format, std::vector<FormatOp>& ops, std::string* error) {
    size_t pos = 0;
    while (pos < format.size()) {
        size_t dollar = format.find('$', pos);
        if (dollar == std::string_view::npos) {
            append_literal(ops, format.substr(pos));
            break;
        }
        append_literal(ops, format.substr(pos, dollar - pos));
        pos = dollar + 1;
        std::string_view name;
        if (!parse_reference(format, pos, name, error)) {
            return false;
        }
        if (name.empty()) {
            append_literal(ops, "$");
            continue;
        }
        FormatOp op;
        if (!resolve_variable(name, op)) {
            *error = "unknown variable $" + std::string(name);
            return false;
        }
        ops.push_back(std::move(op));
    }
    return true;
}

}  // namespace

struct AccessLogFormat::Part : FormatOp {
    explicit Part(FormatOp op) : FormatOp(std::move(op)) {}
};

AccessLogFormat::AccessLogFormat() = default;

AccessLogFormat::~AccessLogFormat() = default;

std::unique_ptr<AccessLogFormat> AccessLogFormat::compile(std::string_view format,
                                                          std::string* error) {
    std::string ignored;
    if (error == nullptr) {
        error = &ignored;
    }
    std::unique_ptr<AccessLogFormat> compiled(new AccessLogFormat());
    if (format == "json") {
        compiled->json_ = true;
        return compiled;
    }
    if (format.empty()) {
        *error = "empty access log format";
        return nullptr;
    }
    std::vector<FormatOp> ops;
    if (!compile_custom(format == "combined" ? kCombined : format, ops, error)) {
        return nullptr;
    }
    compiled->parts_.reserve(ops.size());
    for (FormatOp& op : ops) {
        compiled->parts_.emplace_back(std::move(op));
    }
    return compiled;
}

void AccessLogFormat::format(const AccessLogRecord& record, std::string& out) const {
    if (json_) {
        append_json_request(out, record);
        append_json_response(out, record);
        return;
    }
    for (const Part& part : parts_) {
        append_op(out, part, record);
    }
    out.push_back('\n');
}

}  // namespace gantry::observability
