#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using Errors = std::vector<std::string>;

TEST_CASE("a misspelled key gets a suggestion and an unrelated one does not", "[config]") {
    CHECK(errors_of("limits: { max_header: 1, colour: red, idle_timout: 1s }\n") ==
          Errors{"1:11: unknown key `max_header` in limits (did you mean `max_headers`?)",
                 "1:26: unknown key `colour` in limits",
                 "1:39: unknown key `idle_timout` in limits (did you mean `idle_timeout`?)"});
}

TEST_CASE("a key without a value is reported at the key", "[config]") {
    CHECK(errors_of("node:\n  name:\nworkers:\nlisteners:\n") ==
          Errors{"2:3: `name` has no value", "3:1: `workers` has no value",
                 "4:1: `listeners` has no value"});
    CHECK(errors_of("clusters:\n  - name:\n    endpoints: [{ address: \"10.0.0.1:80\" }]\n") ==
          Errors{"2:5: `name` has no value"});
}

TEST_CASE("a value of the wrong kind says what was expected", "[config]") {
    CHECK(errors_of("node: { name: [a] }\nworkers: { n: 1 }\nlisteners: web\n") ==
          Errors{"1:15: name: expected a string, got a list",
                 "2:10: workers: expected `auto` or a number of threads",
                 "3:12: listeners: expected a list, got a string"});
    CHECK(errors_of("limits: { max_headers: [], header_timeout: {}, max_request_body: [] }\n") ==
          Errors{"1:24: max_headers: expected a whole number, got a list",
                 "1:44: header_timeout: expected a duration (e.g. 10s), got a mapping",
                 "1:66: max_request_body: expected a size (e.g. 8KiB), got a list"});
}

TEST_CASE("booleans are true or false in YAML 1.2 spellings only", "[config]") {
    const std::string tail = R"(    domains: ["*"]
listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
)";
    CHECK(load_valid("virtual_hosts:\n  - name: site\n    default: True\n" + tail)
              ->virtual_hosts[0]
              .is_default);
    CHECK_FALSE(load_valid("virtual_hosts:\n  - name: site\n    default: false\n" + tail)
                    ->virtual_hosts[0]
                    .is_default);
    CHECK(errors_of("virtual_hosts:\n  - name: site\n    default: on\n" + tail) ==
          Errors{"3:14: default: expected true or false, got `on`"});
}

TEST_CASE("quoted numbers and durations read like plain ones", "[config]") {
    auto config =
        load_valid("workers: \"3\"\nlimits: { max_headers: \"7\", idle_timeout: \"5s\" }\n" +
                   kListenerAndHost);
    CHECK(config->workers == 3);
    CHECK(config->limits.max_headers == 7);
    CHECK(config->limits.idle_timeout == std::chrono::seconds(5));
}

TEST_CASE("whole numbers refuse signs, fractions and hex", "[config]") {
    CHECK(errors_of("limits: { max_headers: +5 }\n") ==
          Errors{"1:24: max_headers: expected a whole number, got `+5`"});
    CHECK(errors_of("limits: { max_headers: 0x10 }\n") ==
          Errors{"1:24: max_headers: expected a whole number, got `0x10`"});
    CHECK(errors_of("limits: { max_headers: 99999999999999999999 }\n") ==
          Errors{"1:24: max_headers: expected a whole number, got `99999999999999999999`"});
}
