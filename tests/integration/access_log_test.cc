// The access log: nginx's exact `combined` line, `json` lines that parse, custom $variable
// formats, and reopening the file on SIGUSR1 (logrotate).

#include <cstdlib>
#include <map>
#include <signal.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <re2/re2.h>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// One worker writing its access log to @DIR@/access.log in `format`.
std::string access_log_globals(const std::string& format) {
    return "workers: 1\nlog:\n  access:\n    path: \"@DIR@/access.log\"\n    format: " + format +
           "\n";
}

std::string config_with_format(const std::string& format) {
    return one_host_config(R"(      - match: { prefix: /nothing }
        respond: { status: 404, body: "nothing here\n" }
      - match: { prefix: / }
        respond: { status: 200, body: "hello\n" }
)",
                           {}, access_log_globals(format));
}

// Waits until the access log holds at least `n` lines and returns them.
std::vector<std::string> wait_for_lines(const std::string& path, size_t n) {
    std::vector<std::string> lines;
    wait_until(
        [&] {
            lines = split_lines(read_file(path));
            return lines.size() >= n;
        },
        5s);
    REQUIRE(lines.size() >= n);
    return lines;
}

// Seconds between now and a $time_local stamp such as "27/Nov/2026:07:01:02 +0000".
double seconds_from_now(const std::string& stamp) {
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    char month[4] = {};
    char sign = '+';
    int offset = 0;
    if (std::sscanf(stamp.c_str(), "%2d/%3s/%4d:%2d:%2d:%2d %c%4d", &tm.tm_mday, month, &tm.tm_year,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &offset) != 8) {
        return 1e9;
    }
    tm.tm_year -= 1900;
    tm.tm_mon = -1;
    for (int i = 0; i < 12; ++i) {
        if (std::string_view(month) == kMonths[i]) {
            tm.tm_mon = i;
        }
    }
    if (tm.tm_mon < 0) {
        return 1e9;
    }
    long offset_s = (offset / 100) * 3600L + (offset % 100) * 60L;
    time_t utc = timegm(&tm) - (sign == '-' ? -offset_s : offset_s);
    return std::difftime(utc, std::time(nullptr));
}

// A minimal JSON reader, enough to say that a log line is one well-formed object and to read
// its top-level members (strings decoded; numbers, true/false/null as written).
class JsonObject {
public:
    static std::optional<std::map<std::string, std::string>> parse(std::string_view text) {
        JsonObject p(text);
        std::map<std::string, std::string> members;
        p.skip_ws();
        if (!p.object(&members)) {
            return std::nullopt;
        }
        p.skip_ws();
        return p.at_ == p.text_.size() ? std::optional(members) : std::nullopt;
    }

private:
    explicit JsonObject(std::string_view text) : text_(text) {}

    void skip_ws() {
        while (at_ < text_.size() &&
               std::string_view(" \t\r\n").find(text_[at_]) != std::string_view::npos) {
            ++at_;
        }
    }

    bool eat(char c) {
        skip_ws();
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }

    bool object(std::map<std::string, std::string>* members) {
        if (!eat('{')) {
            return false;
        }
        if (eat('}')) {
            return true;
        }
        do {
            std::string key;
            std::string value;
            skip_ws();
            if (!string(&key) || !eat(':') || !this->value(&value)) {
                return false;
            }
            if (members != nullptr) {
                (*members)[key] = value;
            }
        } while (eat(','));
        return eat('}');
    }

    bool array() {
        if (!eat('[')) {
            return false;
        }
        if (eat(']')) {
            return true;
        }
        do {
            std::string ignored;
            if (!value(&ignored)) {
                return false;
            }
        } while (eat(','));
        return eat(']');
    }

    bool value(std::string* out) {
        skip_ws();
        if (at_ >= text_.size()) {
            return false;
        }
        char c = text_[at_];
        if (c == '"') {
            return string(out);
        }
        if (c == '{') {
            *out = "<object>";
            return object(nullptr);
        }
        if (c == '[') {
            *out = "<array>";
            return array();
        }
        for (std::string_view word : {"true", "false", "null"}) {
            if (text_.substr(at_, word.size()) == word) {
                at_ += word.size();
                *out = word;
                return true;
            }
        }
        size_t start = at_;
        while (at_ < text_.size() &&
               std::string_view("+-0123456789.eE").find(text_[at_]) != std::string_view::npos) {
            ++at_;
        }
        *out = text_.substr(start, at_ - start);
        return at_ > start;
    }

    bool string(std::string* out) {
        if (at_ >= text_.size() || text_[at_] != '"') {
            return false;
        }
        ++at_;
        while (at_ < text_.size()) {
            unsigned char c = static_cast<unsigned char>(text_[at_++]);
            if (c == '"') {
                return true;
            }
            if (c < 0x20) {
                return false;  // control characters must be escaped
            }
            if (c != '\\') {
                out->push_back(static_cast<char>(c));
                continue;
            }
            if (at_ >= text_.size()) {
                return false;
            }
            char e = text_[at_++];
            static constexpr std::string_view kFrom = "\"\\/bfnrt";
            static constexpr std::string_view kTo = "\"\\/\b\f\n\r\t";
            if (auto i = kFrom.find(e); i != std::string_view::npos) {
                out->push_back(kTo[i]);
            } else if (e == 'u' && at_ + 4 <= text_.size()) {
                unsigned long cp =
                    std::strtoul(std::string(text_.substr(at_, 4)).c_str(), nullptr, 16);
                at_ += 4;
                out->push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
            } else {
                return false;
            }
        }
        return false;
    }

    std::string_view text_;
    size_t at_ = 0;
};

bool has_value(const std::map<std::string, std::string>& members, const std::string& value) {
    for (const auto& [k, v] : members) {
        if (v == value) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("the combined access log line is exactly nginx's", "[integration][access-log]") {
    GantryProcess gantry(config_with_format("combined"));
    std::string log = gantry.dir().file("access.log");
    REQUIRE(run_curl({"-A", "test-agent/1.0", "-e", "http://ref.example/", gantry.url("/path?x=1")})
                .status == 200);
    REQUIRE(run_curl({"-H", "User-Agent:", gantry.url("/nothing")}).status == 404);
    REQUIRE(run_curl({"-A", "quote\"back\\slash", gantry.url("/q")}).status == 200);
    std::vector<std::string> lines = wait_for_lines(log, 3);
    REQUIRE(lines.size() == 3);

    RE2 shape(
        R"re(127\.0\.0\.1 - - \[(\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] (.*))re");
    REQUIRE(shape.ok());
    std::string stamp;
    std::string rest;
    for (const std::string& line : lines) {
        INFO(line);
        REQUIRE(RE2::FullMatch(line, shape, &stamp, &rest));
        CHECK(std::abs(seconds_from_now(stamp)) < 120);
    }
    RE2::FullMatch(lines[0], shape, &stamp, &rest);
    CHECK(rest == R"("GET /path?x=1 HTTP/1.1" 200 6 "http://ref.example/" "test-agent/1.0")");
    RE2::FullMatch(lines[1], shape, &stamp, &rest);
    CHECK(rest == R"("GET /nothing HTTP/1.1" 404 13 "-" "-")");
    RE2::FullMatch(lines[2], shape, &stamp, &rest);
    CHECK(rest == R"("GET /q HTTP/1.1" 200 6 "-" "quote\x22back\x5Cslash")");
}

TEST_CASE("json access log lines are well-formed JSON objects", "[integration][access-log]") {
    GantryProcess gantry(config_with_format("json"));
    std::string log = gantry.dir().file("access.log");
    REQUIRE(run_curl({"-A", "json-agent", gantry.url("/path?x=1")}).status == 200);
    REQUIRE(run_curl({"-A", "evil\"agent\\with\tcontrol", gantry.url("/nothing")}).status == 404);
    std::vector<std::string> lines = wait_for_lines(log, 2);
    REQUIRE(lines.size() == 2);

    auto first = JsonObject::parse(lines[0]);
    INFO(lines[0]);
    REQUIRE(first.has_value());
    CHECK(has_value(*first, "GET"));
    CHECK(has_value(*first, "200"));
    CHECK(has_value(*first, "127.0.0.1"));
    CHECK(has_value(*first, "json-agent"));
    CHECK((has_value(*first, "/path?x=1") || has_value(*first, "/path")));

    auto second = JsonObject::parse(lines[1]);
    INFO(lines[1]);
    REQUIRE(second.has_value());
    CHECK(has_value(*second, "404"));
    CHECK(has_value(*second, "evil\"agent\\with\tcontrol"));
}

TEST_CASE("a custom access log format prints the named variables", "[integration][access-log]") {
    GantryProcess gantry(config_with_format(
        R"("$remote_addr|$request_method|$request_uri|$uri|$args|$status|$body_bytes_sent|$http_x_custom|$http_x_missing|$host")"));
    std::string log = gantry.dir().file("access.log");
    REQUIRE(run_curl({"-H", "Host: example.com", "-H", "X-Custom: xyz", gantry.url("/p/q?a=1")})
                .status == 200);
    std::vector<std::string> lines = wait_for_lines(log, 1);
    CHECK(lines ==
          std::vector<std::string>{"127.0.0.1|GET|/p/q?a=1|/p/q|a=1|200|6|xyz|-|example.com"});
}

TEST_CASE("SIGUSR1 reopens the access log after logrotate renamed it",
          "[integration][access-log]") {
    GantryProcess gantry(config_with_format("combined"));
    std::string log = gantry.dir().file("access.log");
    std::string rotated = gantry.dir().file("access.log.1");
    REQUIRE(run_curl({gantry.url("/before-rotate")}).status == 200);
    wait_for_lines(log, 1);
    REQUIRE(std::rename(log.c_str(), rotated.c_str()) == 0);
    REQUIRE(run_curl({gantry.url("/between")}).status == 200);

    gantry.signal(SIGUSR1);
    REQUIRE(wait_until([&] { return file_exists(log); }, 5s));
    REQUIRE(run_curl({gantry.url("/after-reopen")}).status == 200);
    wait_for_lines(log, 1);
    REQUIRE(
        wait_until([&] { return read_file(log).find("/after-reopen") != std::string::npos; }, 5s));

    std::string old_text = read_file(rotated);
    std::string new_text = read_file(log);
    CHECK(old_text.find("/before-rotate") != std::string::npos);
    CHECK(new_text.find("/before-rotate") == std::string::npos);
    CHECK(old_text.find("/after-reopen") == std::string::npos);
    // The request in between lands in exactly one of the two files.
    bool in_old = old_text.find("/between") != std::string::npos;
    bool in_new = new_text.find("/between") != std::string::npos;
    CHECK(in_old != in_new);
    CHECK(gantry.running());
}

TEST_CASE("the access log goes to stdout in combined format by default",
          "[integration][access-log]") {
    GantryProcess gantry(one_host_config(
        "      - match: { prefix: / }\n        respond: { status: 200, body: \"hello\\n\" }\n", {},
        "workers: 1\n"));
    REQUIRE(run_curl({"-A", "stdout-agent", gantry.url("/to-stdout")}).status == 200);
    CHECK(wait_until(
        [&] {
            return gantry.stdout_text().find(
                       R"("GET /to-stdout HTTP/1.1" 200 6 "-" "stdout-agent")") !=
                   std::string::npos;
        },
        5s));
}

TEST_CASE("upstream variables in a custom format describe the upstream that answered",
          "[integration][access-log]") {
    HttpUpstream upstream(
        [](const UpstreamRequest&) { return UpstreamResponse::text(201, "made"); });
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(
        one_host_config(R"(      - match: { prefix: /local }
        respond: { status: 200, body: "local" }
)" + std::string(kForwardAllRoute),
                        backend_cluster(),
                        access_log_globals(
                            R"("$request_method $uri $status $upstream_addr $upstream_status")")),
        options);
    REQUIRE(run_curl({gantry.url("/proxied")}).status == 201);
    REQUIRE(run_curl({gantry.url("/local")}).status == 200);
    std::vector<std::string> lines = wait_for_lines(gantry.dir().file("access.log"), 2);
    CHECK(lines == std::vector<std::string>{"GET /proxied 201 " + upstream.address() + " 201",
                                            "GET /local 200 - -"});
}

}  // namespace gantry::test
