#include <catch2/catch.hpp>

#include <gantry/config.h>

using gantry::config::Duration;
using gantry::config::parse_duration;
using gantry::config::parse_host_port;
using gantry::config::parse_size;
using namespace std::chrono_literals;

TEST_CASE("parse_duration reads milliseconds, seconds, minutes and hours", "[config]") {
    CHECK(parse_duration("250ms") == Duration(250ms));
    CHECK(parse_duration("10s") == Duration(10s));
    CHECK(parse_duration("5m") == Duration(5min));
    CHECK(parse_duration("1h") == Duration(1h));
    CHECK(parse_duration("8760h") == Duration(8760h));
}

TEST_CASE("parse_duration accepts zero with or without a unit", "[config]") {
    CHECK(parse_duration("0") == Duration(0));
    CHECK(parse_duration("0s") == Duration(0));
    CHECK(parse_duration("0ms") == Duration(0));
}

TEST_CASE("parse_duration refuses negative, fractional, unitless and unknown units", "[config]") {
    for (const char* text : {"-1s", "1.5s", "10", "10 s", "s", "", "10sec", "1d", "10S", "+5s",
                             " 5s", "5s ", "1h30m", "8761h", "99999999999999999999999s"}) {
        INFO(text);
        CHECK_FALSE(parse_duration(text));
    }
}

TEST_CASE("parse_size reads bytes and binary units", "[config]") {
    CHECK(parse_size("0") == 0u);
    CHECK(parse_size("512") == 512u);
    CHECK(parse_size("8KiB") == 8u * 1024);
    CHECK(parse_size("1MiB") == 1024u * 1024);
    CHECK(parse_size("1GiB") == 1024u * 1024 * 1024);
    CHECK(parse_size("16777216GiB") == (uint64_t{1} << 54));
}

TEST_CASE("parse_size refuses decimal units, negatives and overflow", "[config]") {
    for (const char* text : {"8KB", "8kib", "8K", "-1", "1.5MiB", "", "MiB", "1 KiB",
                             "18446744073709551616", "17179869184GiB"}) {
        INFO(text);
        CHECK_FALSE(parse_size(text));
    }
}

TEST_CASE("parse_host_port reads IPv4, bracketed IPv6 and names", "[config]") {
    auto v4 = parse_host_port("10.0.0.1:8080");
    REQUIRE(v4);
    CHECK(v4->host == "10.0.0.1");
    CHECK(v4->port == 8080);
    CHECK(v4->text == "10.0.0.1:8080");

    auto v6 = parse_host_port("[::1]:443");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 443);
    CHECK(v6->text == "[::1]:443");

    auto name = parse_host_port("api.internal:8080");
    REQUIRE(name);
    CHECK(name->host == "api.internal");
    CHECK(name->port == 8080);

    CHECK(parse_host_port("localhost:1"));
    CHECK(parse_host_port("my_service:65535"));
    CHECK(parse_host_port("example.com.:80"));
}

TEST_CASE("parse_host_port refuses bad ports and malformed hosts", "[config]") {
    for (const char* text :
         {"10.0.0.1",    "10.0.0.1:",       "10.0.0.1:0", "10.0.0.1:65536",   "10.0.0.1:99999",
          "10.0.0.1:-1", "10.0.0.1:80a",    ":8080",      "::1:80",           "[::1]",
          "[::1]80",     "[10.0.0.1]:80",   "[nope]:80",  "10.0.0.300:80",    "1.2.3:80",
          "bad host:80", "-bad.example:80", "a..b:80",    "*.example.com:80", "http://a:80"}) {
        INFO(text);
        CHECK_FALSE(parse_host_port(text));
    }
}
