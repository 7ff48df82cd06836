// Fuzzes AccessLogFormat: compiling arbitrary format strings and formatting records made of
// arbitrary bytes. Input: one mode byte (custom / combined / json), then '\n'-separated fields:
// the custom format, method, target, path, query, host, remote address, request id, error,
// upstream address, then "name:value" header lines. Checks that every line is exactly one line
// (no byte from a request can start another), that combined output is printable ASCII, and that
// json output is valid JSON.

#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include <gantry/http/headers.h>
#include <gantry/observability/access_log.h>

namespace {

using gantry::observability::AccessLogFormat;
using gantry::observability::AccessLogRecord;

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

// A minimal strict JSON validator for one value.
struct Json {
    std::string_view s;
    size_t p = 0;

    char peek() const { return p < s.size() ? s[p] : '\0'; }

    bool lit(std::string_view w) {
        if (s.substr(p, w.size()) != w) {
            return false;
        }
        p += w.size();
        return true;
    }

    bool digits() {
        size_t start = p;
        while (peek() >= '0' && peek() <= '9') {
            ++p;
        }
        return p > start;
    }

    bool number() {
        lit("-");
        if (!lit("0") && !digits()) {
            return false;
        }
        return !lit(".") || digits();
    }

    bool utf8() {
        auto b = [&](size_t i) {
            return p + i < s.size() ? uint8_t(s[p + i]) : 0;
        };
        auto c = [&](size_t i) {
            return (b(i) & 0xc0) == 0x80;
        };
        uint8_t x = b(0);
        size_t n = 0;
        if (x >= 0xc2 && x <= 0xdf && c(1)) {
            n = 2;
        } else if (x >= 0xe0 && x <= 0xef && c(1) && c(2) && !(x == 0xe0 && b(1) < 0xa0) &&
                   !(x == 0xed && b(1) > 0x9f)) {
            n = 3;
        } else if (x >= 0xf0 && x <= 0xf4 && c(1) && c(2) && c(3) && !(x == 0xf0 && b(1) < 0x90) &&
                   !(x == 0xf4 && b(1) > 0x8f)) {
            n = 4;
        }
        p += n;
        return n > 0;
    }

    bool escape() {
        ++p;
        if (lit("u")) {
            for (int i = 0; i < 4; ++i, ++p) {
                if (!std::strchr("0123456789abcdefABCDEF", peek()) || peek() == '\0') {
                    return false;
                }
            }
            return true;
        }
        char e = peek();
        ++p;
        return e != '\0' && std::strchr("\"\\/bfnrt", e) != nullptr;
    }

    bool string() {
        if (!lit("\"")) {
            return false;
        }
        while (p < s.size() && s[p] != '"') {
            auto x = uint8_t(s[p]);
            bool ok = x == '\\' ? escape() : x < 0x20 ? false : x < 0x80 ? (++p, true) : utf8();
            if (!ok) {
                return false;
            }
        }
        return lit("\"");
    }

    bool value() {
        switch (peek()) {
            case '"':
                return string();
            case 'n':
                return lit("null");
            case '{':
                return object();
            default:
                return number();
        }
    }

    bool object() {
        if (!lit("{")) {
            return false;
        }
        if (lit("}")) {
            return true;
        }
        do {
            if (!string() || !lit(":") || !value()) {
                return false;
            }
        } while (lit(","));
        return lit("}");
    }
};

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

uint64_t mix(std::string_view text) {
    uint64_t h = 1469598103934665603ull;
    for (char c : text) {
        h = (h ^ uint8_t(c)) * 1099511628211ull;
    }
    return h;
}

void fill_record(AccessLogRecord& r, const std::vector<std::string_view>& f, uint64_t h) {
    auto field = [&](size_t i) {
        return i < f.size() ? f[i] : std::string_view();
    };
    r.method = field(1);
    r.target = field(2);
    r.path = field(3);
    r.query = field(4);
    r.host = field(5);
    r.remote_addr = field(6);
    r.request_id = field(7);
    r.error = field(8);
    r.upstream_addr = field(9);
    r.remote_port = uint16_t(h);
    r.status = int(h >> 16) % 1000 - 100;
    r.version_major = uint8_t(h >> 8) % 4;
    r.version_minor = uint8_t(h >> 12) % 2;
    r.body_bytes_sent = h >> 3;
    r.bytes_sent = h;
    r.request_length = h >> 40;
    // Times anywhere within about ±146 years of 1970, including negative durations.
    r.start_time = std::chrono::system_clock::time_point(std::chrono::nanoseconds(int64_t(h) >> 1));
    r.request_time = std::chrono::nanoseconds(int64_t(h * 31) >> 20);
    r.upstream_status = (h & 1) ? int(h >> 24) % 600 : 0;
    if (h & 2) {
        r.upstream_response_time = std::chrono::nanoseconds(int64_t(h * 17) >> 24);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const int mode = data[0] % 3;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::vector<std::string_view> fields = split_lines(text);

    std::pmr::monotonic_buffer_resource arena;
    gantry::http::HeaderMap headers(&arena);
    for (size_t i = 10; i < fields.size(); ++i) {
        size_t colon = fields[i].find(':');
        if (colon != std::string_view::npos) {
            headers.add(fields[i].substr(0, colon), fields[i].substr(colon + 1));
        }
    }
    AccessLogRecord record;
    fill_record(record, fields, mix(text));
    record.request_headers = &headers;

    std::string_view spec = mode == 1 ? "combined" : mode == 2 ? "json" : fields[0];
    std::string error;
    auto format = AccessLogFormat::compile(spec, &error);
    if (format == nullptr) {
        check(!error.empty());
        return 0;
    }
    std::string out = "prefix";
    format->format(record, out);
    check(out.starts_with("prefix"));
    std::string_view line = std::string_view(out).substr(6);
    // Every line is exactly one line: no variable can inject a newline.
    check(!line.empty() && line.find('\n') == line.size() - 1);
    line.remove_suffix(1);
    if (mode == 1) {
        for (char c : line) {
            check(uint8_t(c) >= 0x20 && uint8_t(c) < 0x7f);
        }
    }
    if (mode == 2) {
        Json json{line};
        check(json.object() && json.p == line.size());
    }
    return 0;
}
