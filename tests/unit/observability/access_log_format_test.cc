#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory_resource>
#include <optional>
#include <stdlib.h>
#include <string>
#include <string_view>
#include <time.h>

#include <catch2/catch.hpp>

#include <gantry/http/headers.h>
#include <gantry/observability/access_log.h>

namespace {

using gantry::http::HeaderMap;
using gantry::observability::AccessLogFormat;
using gantry::observability::AccessLogRecord;
using namespace std::chrono_literals;

// Sets TZ for one test and restores it. The formatter caches the rendered time per second, so
// each time zone in this file formats its own distinct seconds.
class ScopedTimeZone {
public:
    explicit ScopedTimeZone(const char* tz) {
        if (const char* old = ::getenv("TZ")) {
            old_ = old;
        }
        ::setenv("TZ", tz, 1);
        ::tzset();
    }

    ~ScopedTimeZone() {
        if (old_) {
            ::setenv("TZ", old_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }

private:
    std::optional<std::string> old_;
};

// 2026-11-27 07:01:02 UTC, the moment the sample request's log line is written.
std::chrono::system_clock::time_point log_moment() {
    using namespace std::chrono;
    return sys_days{year{2026} / November / 27} + 7h + 1min + 2s;
}

AccessLogRecord sample_record(const HeaderMap* headers) {
    AccessLogRecord r;
    r.remote_addr = "192.0.2.10";
    r.remote_port = 51234;
    r.start_time = log_moment() - 3ms;
    r.method = "GET";
    r.target = "/search?q=gantry";
    r.path = "/search";
    r.query = "q=gantry";
    r.host = "example.com";
    r.request_headers = headers;
    r.status = 200;
    r.body_bytes_sent = 612;
    r.bytes_sent = 850;
    r.request_length = 120;
    r.request_time = 3ms;
    r.upstream_addr = "10.0.0.2:8080";
    r.upstream_status = 200;
    r.upstream_response_time = 2ms;
    r.request_id = "req-1";
    r.listener = "public";
    r.route_cluster = "api";
    return r;
}

// A request's headers in their own arena, as a stream holds them.
struct Headers {
    std::pmr::monotonic_buffer_resource arena;
    HeaderMap map{&arena};

    void add(std::string_view name, std::string_view value) { map.add(name, value); }
};

void add_sample_headers(Headers& headers) {
    headers.add("Host", "example.com");
    headers.add("User-Agent", "Mozilla/5.0 (X11)");
    headers.add("Referer", "https://example.com/start");
}

std::unique_ptr<AccessLogFormat> compile(std::string_view text) {
    std::string error;
    auto format = AccessLogFormat::compile(text, &error);
    INFO("compile error: " << error);
    REQUIRE(format != nullptr);
    return format;
}

std::string render(std::string_view text, const AccessLogRecord& record) {
    std::string out;
    compile(text)->format(record, out);
    return out;
}

std::string compile_error(std::string_view text) {
    std::string error;
    auto format = AccessLogFormat::compile(text, &error);
    CHECK(format == nullptr);
    return error;
}

// A strict JSON checker (RFC 8259): enough to prove that a line parses as one object.
class JsonChecker {
public:
    explicit JsonChecker(std::string_view text) : s_(text) {}

    bool is_one_object() {
        skip_space();
        if (peek() != '{' || !value()) {
            return false;
        }
        skip_space();
        return pos_ == s_.size();
    }

private:
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
            ++pos_;
        }
    }

    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) {
            return false;
        }
        pos_ += word.size();
        return true;
    }

    bool value() {
        skip_space();
        switch (peek()) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return number();
        }
    }

    bool object() {
        ++pos_;
        skip_space();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        for (;;) {
            skip_space();
            if (peek() != '"' || !string()) {
                return false;
            }
            skip_space();
            if (peek() != ':') {
                return false;
            }
            ++pos_;
            if (!value()) {
                return false;
            }
            skip_space();
            if (peek() == '}') {
                ++pos_;
                return true;
            }
            if (peek() != ',') {
                return false;
            }
            ++pos_;
        }
    }

    bool array() {
        ++pos_;
        skip_space();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            if (!value()) {
                return false;
            }
            skip_space();
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            if (peek() != ',') {
                return false;
            }
            ++pos_;
        }
    }

    bool digits() {
        size_t start = pos_;
        while (peek() >= '0' && peek() <= '9') {
            ++pos_;
        }
        return pos_ > start;
    }

    bool number() {
        if (peek() == '-') {
            ++pos_;
        }
        if (peek() == '0') {
            ++pos_;
        } else if (!digits()) {
            return false;
        }
        if (peek() == '.') {
            ++pos_;
            if (!digits()) {
                return false;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') {
                ++pos_;
            }
            return digits();
        }
        return true;
    }

    bool escape() {
        ++pos_;
        char c = peek();
        if (c == 'u') {
            for (int i = 0; i < 4; ++i) {
                ++pos_;
                if (!std::isxdigit(static_cast<unsigned char>(peek()))) {
                    return false;
                }
            }
            ++pos_;
            return true;
        }
        ++pos_;
        return std::string_view("\"\\/bfnrt").find(c) != std::string_view::npos;
    }

    // One UTF-8 sequence (strict: no overlongs, surrogates or code points past U+10FFFF).
    bool utf8() {
        auto b = [&](size_t i) {
            return pos_ + i < s_.size() ? static_cast<unsigned char>(s_[pos_ + i]) : 0;
        };
        auto cont = [&](size_t i) {
            return (b(i) & 0xc0) == 0x80;
        };
        unsigned char c = b(0);
        size_t n = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            n = cont(1) ? 2 : 0;
        } else if (c >= 0xe0 && c <= 0xef) {
            bool ok =
                cont(1) && cont(2) && !(c == 0xe0 && b(1) < 0xa0) && !(c == 0xed && b(1) > 0x9f);
            n = ok ? 3 : 0;
        } else if (c >= 0xf0 && c <= 0xf4) {
            bool ok = cont(1) && cont(2) && cont(3) && !(c == 0xf0 && b(1) < 0x90) &&
                      !(c == 0xf4 && b(1) > 0x8f);
            n = ok ? 4 : 0;
        }
        pos_ += n;
        return n > 0;
    }

    bool string() {
        ++pos_;
        for (;;) {
            if (pos_ >= s_.size()) {
                return false;
            }
            auto c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"') {
                ++pos_;
                return true;
            }
            bool ok = c == '\\' ? escape() : c < 0x20 ? false : c < 0x80 ? (++pos_, true) : utf8();
            if (!ok) {
                return false;
            }
        }
    }

    std::string_view s_;
    size_t pos_ = 0;
};

bool is_json_line(const std::string& line) {
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) {
        return false;
    }
    return JsonChecker(std::string_view(line).substr(0, line.size() - 1)).is_one_object();
}

}  // namespace

TEST_CASE("combined writes nginx's combined line byte for byte", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    add_sample_headers(headers);
    std::string line = render("combined", sample_record(&headers.map));
    CHECK(line ==
          "192.0.2.10 - - [27/Nov/2026:07:01:02 +0000] \"GET /search?q=gantry HTTP/1.1\" 200 612 "
          "\"https://example.com/start\" \"Mozilla/5.0 (X11)\"\n");
}

TEST_CASE("combined escapes quotes, backslashes, control and non-ASCII bytes as \\xHH",
          "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    static constexpr char kAgent[] = "a\"b\\c\x01\td\x7f\xc3\xa9 ~";
    headers.add("User-Agent", std::string_view(kAgent, sizeof(kAgent) - 1));
    AccessLogRecord record = sample_record(&headers.map);
    record.target = "/x\"y";
    std::string line = render("combined", record);
    CHECK(line ==
          "192.0.2.10 - - [27/Nov/2026:07:01:02 +0000] \"GET /x\\x22y HTTP/1.1\" 200 612 \"-\" "
          "\"a\\x22b\\x5Cc\\x01\\x09d\\x7F\\xC3\\xA9 ~\"\n");
}

TEST_CASE("combined prints - for absent headers and nothing for present empty ones",
          "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    headers.add("Referer", "");
    std::string line = render("combined", sample_record(&headers.map));
    CHECK(line.ends_with(" 200 612 \"\" \"-\"\n"));

    std::string without_map = render("combined", sample_record(nullptr));
    CHECK(without_map.ends_with(" 200 612 \"-\" \"-\"\n"));
}

TEST_CASE("combined logs a connection without a request line as nginx does", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record;
    record.remote_addr = "198.51.100.7";
    record.start_time = log_moment();
    record.status = 400;
    std::string line = render("combined", record);
    CHECK(line == "198.51.100.7 - - [27/Nov/2026:07:01:02 +0000] \"-\" 400 0 \"-\" \"-\"\n");
}

TEST_CASE("json writes one object per line with every field", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    add_sample_headers(headers);
    std::string line = render("json", sample_record(&headers.map));
    CHECK(line ==
          "{\"time\":\"2026-11-27T07:01:02+00:00\",\"remote_addr\":\"192.0.2.10\","
          "\"remote_port\":51234,\"method\":\"GET\",\"target\":\"/search?q=gantry\","
          "\"uri\":\"/search\",\"args\":\"q=gantry\",\"protocol\":\"HTTP/1.1\","
          "\"host\":\"example.com\",\"user_agent\":\"Mozilla/5.0 (X11)\","
          "\"referer\":\"https://example.com/start\",\"request_length\":120,\"status\":200,"
          "\"body_bytes_sent\":612,\"bytes_sent\":850,\"request_time\":0.003,"
          "\"upstream_addr\":\"10.0.0.2:8080\",\"upstream_status\":200,"
          "\"upstream_response_time\":0.002,\"request_id\":\"req-1\",\"error\":null,"
          "\"listener\":\"public\",\"cluster\":\"api\"}\n");
    CHECK(is_json_line(line));
}

TEST_CASE("json writes null for what did not happen", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record = sample_record(nullptr);
    record.upstream_addr = {};
    record.upstream_status = 0;
    record.upstream_response_time.reset();
    record.error = "no_route";
    record.status = 404;
    std::string line = render("json", record);
    CHECK(is_json_line(line));
    CHECK(line.find("\"user_agent\":null,\"referer\":null,") != std::string::npos);
    CHECK(line.find("\"upstream_addr\":null,\"upstream_status\":null,"
                    "\"upstream_response_time\":null,") != std::string::npos);
    CHECK(line.find("\"status\":404,") != std::string::npos);
    CHECK(line.find("\"error\":\"no_route\"") != std::string::npos);
}

TEST_CASE("json escapes control bytes and keeps the line valid for any bytes", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    // Quote, backslash, newline, a control byte, DEL, valid UTF-8 (é, 😀), then bytes that are not
    // UTF-8: a lone continuation byte, a truncated sequence, an overlong form and a surrogate.
    static constexpr char kAgent[] =
        "q\"b\\n\nc\x01\x7f\xc3\xa9\xf0\x9f\x98\x80\x80\xe2\x82\xc0\xaf\xed\xa0\x80";
    const std::string_view ua(kAgent, sizeof(kAgent) - 1);
    headers.add("User-Agent", ua);
    AccessLogRecord record = sample_record(&headers.map);
    record.target = "/\tpath";
    std::string line = render("json", record);
    CHECK(is_json_line(line));
    CHECK(line.find("\"user_agent\":\"q\\\"b\\\\n\\nc\\u0001\\u007f\xc3\xa9\xf0\x9f\x98\x80"
                    "\\u0080\\u00e2\\u0082\\u00c0\\u00af\\u00ed\\u00a0\\u0080\"") !=
          std::string::npos);
    CHECK(line.find("\"target\":\"/\\tpath\"") != std::string::npos);
}

TEST_CASE("every variable renders as nginx prints it", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    add_sample_headers(headers);
    AccessLogRecord record = sample_record(&headers.map);
    record.error = "upstream_timeout";
    std::string line = render(
        "$remote_addr|$remote_port|$remote_user|$time_local|$time_iso8601|$msec|$request|"
        "$request_method|$request_uri|$uri|$args|$query_string|$server_protocol|$host|$status|"
        "$body_bytes_sent|$bytes_sent|$request_length|$request_time|$upstream_addr|"
        "$upstream_status|$upstream_response_time|$request_id|$gantry_error|$http_user_agent",
        record);
    CHECK(line ==
          "192.0.2.10|51234|-|27/Nov/2026:07:01:02 +0000|2026-11-27T07:01:02+00:00|"
          "1795762862.000|GET /search?q=gantry HTTP/1.1|GET|/search?q=gantry|/search|q=gantry|"
          "q=gantry|HTTP/1.1|example.com|200|612|850|120|0.003|10.0.0.2:8080|200|0.002|req-1|"
          "upstream_timeout|Mozilla/5.0 (X11)\n");
}

TEST_CASE("$upstream_attempts prints the tries made, - when none", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record;
    record.start_time = log_moment();
    CHECK(render("[$upstream_attempts]", record) == "[-]\n");
    record.upstream_attempts = 1;
    CHECK(render("[$upstream_attempts]", record) == "[1]\n");
    record.upstream_attempts = 3;
    CHECK(render("${upstream_attempts} tries", record) == "3 tries\n");
}

TEST_CASE("variables without a value print -", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record;
    record.start_time = log_moment();
    record.method = "GET";
    record.target = "/";
    record.path = "/";
    std::string line = render(
        "$args|$host|$upstream_addr|$upstream_status|$upstream_response_time|$request_id|"
        "$gantry_error|$http_x_missing|$status|$remote_addr",
        record);
    CHECK(line == "-|-|-|-|-|-|-|-|000|-\n");

    record.target = "/?";
    CHECK(render("[$args]", record) == "[]\n");
}

TEST_CASE("variables are escaped but literal text is copied as written", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record = sample_record(nullptr);
    record.request_id = "id\"\n";
    record.host = "h\\x";
    CHECK(render("\"quoted\" $request_id $host", record) == "\"quoted\" id\\x22\\x0A h\\x5Cx\n");
}

TEST_CASE("$http_ variables match header names ignoring case, with - and _ equivalent",
          "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    headers.add("X-Custom-Header", "dash");
    headers.add("x_custom_header", "underscore");
    headers.add("X-FORWARDED-FOR", "203.0.113.1");
    headers.add("Cookie", "a=1");
    headers.add("cookie", "b=2");
    AccessLogRecord record = sample_record(&headers.map);
    CHECK(render("$http_x_custom_header", record) == "dash, underscore\n");
    CHECK(render("${HTTP_X_Forwarded_For}", record) == "203.0.113.1\n");
    CHECK(render("$http_cookie", record) == "a=1; b=2\n");
    CHECK(render("$http_x_custom", record) == "-\n");
}

TEST_CASE("an unknown variable is a compile error naming it", "[access_log]") {
    CHECK(compile_error("$remote_addr $nope") == "unknown variable $nope");
    CHECK(compile_error("${status}$statusx") == "unknown variable $statusx");
    CHECK(compile_error("$http_") == "unknown variable $http_");
    CHECK(compile_error("${status") != "");
    CHECK(compile_error("${}") != "");
    CHECK(compile_error("") != "");
}

TEST_CASE("a $ that starts no variable name is literal text", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record = sample_record(nullptr);
    CHECK(render("cost $ 5 $-$", record) == "cost $ 5 $-$\n");
    CHECK(render("${status}ms $status.", record) == "200ms 200.\n");
}

TEST_CASE("time variables use the local time zone with its offset", "[access_log]") {
    AccessLogRecord record = sample_record(nullptr);
    {
        ScopedTimeZone tz("IST-5:30");
        record.start_time = log_moment() + 1h;  // 08:01:02 UTC
        record.request_time = 0ns;
        CHECK(render("$time_local|$time_iso8601", record) ==
              "27/Nov/2026:13:31:02 +0530|2026-11-27T13:31:02+05:30\n");
    }
    {
        ScopedTimeZone tz("NST3:30");
        record.start_time = log_moment() + 2h;  // 09:01:02 UTC
        CHECK(render("$time_local|$time_iso8601", record) ==
              "27/Nov/2026:05:31:02 -0330|2026-11-27T05:31:02-03:30\n");
    }
}

TEST_CASE("the log time is the start plus the request time, in milliseconds", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record = sample_record(nullptr);
    record.start_time = log_moment() + 3h + 999ms;  // 10:01:02.999
    record.request_time = 12345678901ns;            // 12.345678901 s
    CHECK(render("$request_time $msec [$time_local]", record) ==
          "12.345 1795773675.344 [27/Nov/2026:10:01:15 +0000]\n");

    record.request_time = -5ms;  // a clock step must not print a negative time
    record.upstream_response_time = 999999ns;
    CHECK(render("$request_time $upstream_response_time", record) == "0.000 0.000\n");
}

TEST_CASE("status and protocol are printed as nginx does", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    AccessLogRecord record = sample_record(nullptr);
    record.status = 99;
    record.version_major = 2;
    record.version_minor = 0;
    CHECK(render("$status $server_protocol $request", record) ==
          "099 HTTP/2.0 GET /search?q=gantry HTTP/2.0\n");
}

TEST_CASE("format appends to the buffer and reuses its capacity", "[access_log]") {
    ScopedTimeZone tz("UTC0");
    Headers headers;
    add_sample_headers(headers);
    AccessLogRecord record = sample_record(&headers.map);
    auto combined = compile("combined");
    std::string out = "previous line\n";
    out.reserve(4096);
    const char* data = out.data();
    combined->format(record, out);
    combined->format(record, out);
    CHECK(out.data() == data);
    CHECK(out.starts_with("previous line\n192.0.2.10 - - ["));
    CHECK(std::count(out.begin(), out.end(), '\n') == 3);
}
