#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using namespace std::chrono_literals;
using Errors = std::vector<std::string>;

TEST_CASE("settings left out take their documented defaults", "[config]") {
    auto config = load_valid(kListenerAndHost);
    CHECK(config->node.name.empty());
    CHECK(config->node.zone.empty());
    CHECK(config->workers == 0);
    CHECK_FALSE(config->admin.listen);
    CHECK(config->log.level == LogLevel::Info);
    CHECK(config->log.error == "stderr");
    CHECK(config->log.access.path == "stdout");
    CHECK(config->log.access.format == "combined");
    CHECK(config->limits.max_request_headers == 60 * 1024);
    CHECK(config->limits.max_headers == 100);
    CHECK(config->limits.max_request_body == 1024 * 1024);
    CHECK(config->limits.header_timeout == 10s);
    CHECK(config->limits.idle_timeout == 60s);
    CHECK(config->limits.drain_timeout == 30s);
    CHECK(config->source_path == "test.yaml");
}

TEST_CASE("node, workers, admin, log and limits are read into the snapshot", "[config]") {
    auto config = load_valid(R"(node: { name: edge-1, zone: us-east-1a }
workers: 4
admin: { listen: "127.0.0.1:9901" }
log:
  level: debug
  error: /var/log/gantry/error.log
  access: { path: /var/log/gantry/access.log, format: "$status $request" }
limits:
  max_request_headers: 8KiB
  max_headers: 50
  max_request_body: 0
  header_timeout: 250ms
  idle_timeout: 5m
  drain_timeout: 0
)" + kListenerAndHost);
    CHECK(config->node.name == "edge-1");
    CHECK(config->node.zone == "us-east-1a");
    CHECK(config->workers == 4);
    REQUIRE(config->admin.listen);
    CHECK(config->admin.listen->host == "127.0.0.1");
    CHECK(config->admin.listen->port == 9901);
    CHECK(config->log.level == LogLevel::Debug);
    CHECK(config->log.error == "/var/log/gantry/error.log");
    CHECK(config->log.access.path == "/var/log/gantry/access.log");
    CHECK(config->log.access.format == "$status $request");
    CHECK(config->limits.max_request_headers == 8192);
    CHECK(config->limits.max_headers == 50);
    CHECK(config->limits.max_request_body == 0);
    CHECK(config->limits.header_timeout == 250ms);
    CHECK(config->limits.idle_timeout == 5min);
    CHECK(config->limits.drain_timeout == 0s);
}

TEST_CASE("workers: auto means one per core and is stored as 0", "[config]") {
    CHECK(load_valid("workers: auto\n" + kListenerAndHost)->workers == 0);
    CHECK(load_valid("workers: 1\n" + kListenerAndHost)->workers == 1);
}

TEST_CASE("workers must be auto or a count from 1 to 1024", "[config]") {
    CHECK(errors_of("workers: 0\n") == Errors{"1:10: workers: must be between 1 and 1024, got 0"});
    CHECK(errors_of("workers: 2000\n") ==
          Errors{"1:10: workers: must be between 1 and 1024, got 2000"});
    CHECK(errors_of("workers: many\n") ==
          Errors{"1:10: workers: expected `auto` or a number of threads"});
    CHECK(errors_of("workers: [1]\n") ==
          Errors{"1:10: workers: expected `auto` or a number of threads"});
    CHECK(errors_of("workers: 1.5\n") ==
          Errors{"1:10: workers: expected a whole number, got `1.5`"});
}

TEST_CASE("admin.listen must be a host and port", "[config]") {
    CHECK(errors_of("admin:\n  listen: 9901\n") ==
          Errors{"2:11: listen: invalid address `9901`: expected HOST:PORT with an IP address or "
                 "a name and a port 1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, "
                 "api.internal:8080)"});
}

TEST_CASE("log level and access log settings are checked", "[config]") {
    CHECK(errors_of("log:\n  level: verbose\n") ==
          Errors{"2:10: level: unknown value `verbose`: expected one of error, warn, info, debug"});
    CHECK(errors_of("log:\n  access: { path: \"\" }\n") == Errors{"2:19: path: must not be empty"});
    CHECK(errors_of("log:\n  error: \"\"\n") == Errors{"2:10: error: must not be empty"});
    CHECK(errors_of("log:\n  access: { format: [a] }\n") ==
          Errors{"2:21: format: expected a string, got a list"});
    CHECK(errors_of("log:\n  access: { rotate: daily }\n") ==
          Errors{"2:13: unknown key `rotate` in log.access"});
    CHECK(errors_of("log: info\n") == Errors{"1:6: expected a mapping for log, got a string"});
}

TEST_CASE("the access log can be turned off", "[config]") {
    auto config = load_valid("log: { access: { path: \"off\" } }\n" + kListenerAndHost);
    CHECK(config->log.access.is_off());
}

TEST_CASE("limits refuse malformed, negative and zero values where zero makes no sense",
          "[config]") {
    CHECK(errors_of(R"(limits:
  max_request_headers: 8KB
  max_headers: -3
  max_request_body: -1
  header_timeout: 10
  idle_timeout: 0
  drain_timeout: -1s
)") == Errors{
           "2:24: max_request_headers: invalid size `8KB`: expected bytes or a whole number "
           "with KiB, MiB or GiB (e.g. 8KiB)",
           "3:16: max_headers: must not be negative, got `-3`",
           "4:21: max_request_body: size must not be negative, got `-1`",
           "5:19: header_timeout: `10` needs a unit: 10ms, 10s, 10m or 10h",
           "6:17: idle_timeout: must be greater than 0",
           "7:18: drain_timeout: duration must not be negative, got `-1s`",
       });
    CHECK(errors_of("limits: { max_request_headers: 0, max_headers: 0 }\n") ==
          Errors{"1:32: max_request_headers: must be greater than 0",
                 "1:48: max_headers: must be between 1 and 100000, got 0"});
}
