// gantry reloads by itself when its config file, a file it includes, or a directory that a
// wildcard include reads changes: written in place or replaced by a rename, debounced, and not
// again for a change that leaves the bytes as they were.

#include <cstdio>
#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string respond_config(const std::string& body) {
    return one_host_config("      - match: { prefix: / }\n        respond: { body: \"" + body +
                           "\" }\n");
}

size_t count_of(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++count;
    }
    return count;
}

}  // namespace

TEST_CASE("a config file written in place or replaced by rename is reloaded without SIGHUP",
          "[integration][reload]") {
    GantryProcess gantry(respond_config("one"));
    REQUIRE(run_curl({gantry.url()}).body == "one");

    size_t from = gantry.error_log().size();
    gantry.write_config(respond_config("two"));
    REQUIRE(gantry.wait_for_log("reload applied", from, 5s));
    CHECK(run_curl({gantry.url()}).body == "two");

    // The way sed -i and many editors save: write a new file, rename it over the old one.
    from = gantry.error_log().size();
    std::string temporary = gantry.dir().file(".gantry.yaml.swp");
    write_file(temporary,
               substitute(respond_config("three"), {{"PORT", std::to_string(gantry.port())}}));
    REQUIRE(std::rename(temporary.c_str(), gantry.config_path().c_str()) == 0);
    REQUIRE(gantry.wait_for_log("reload applied", from, 5s));
    CHECK(run_curl({gantry.url()}).body == "three");

    // Rewriting the same bytes reloads nothing; a burst of writes reloads once.
    from = gantry.error_log().size();
    gantry.write_config(respond_config("three"));
    for (int i = 0; i < 5; ++i) {
        gantry.write_config(respond_config("four"));
    }
    REQUIRE(gantry.wait_for_log("reload applied", from, 5s));
    std::this_thread::sleep_for(500ms);
    CHECK(count_of(gantry.error_log().substr(from), "reload applied") == 1);
    CHECK(run_curl({gantry.url()}).body == "four");
}

TEST_CASE("a new file in an included directory is picked up, and a broken one is rejected",
          "[integration][reload]") {
    GantryOptions options;
    options.allow_error_lines = true;
    std::string main = std::string(kQuietGlobals) + R"(include: ["conf.d/*.yaml"]
listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: / }
        respond: { body: "main" }
)";
    GantryProcess gantry(main, options);
    // conf.d does not exist at start: gantry watches for it to appear, then watches it.
    std::string conf_d = gantry.dir().file("conf.d");
    REQUIRE(run_process({"mkdir", "-p", conf_d}).exit_code == 0);
    std::this_thread::sleep_for(400ms);  // the debounced look at the new directory

    size_t from = gantry.error_log().size();
    write_file(conf_d + "/extra.yaml", R"(listeners:
  - name: extra
    listen: ["127.0.0.1:)" + std::to_string(gantry.port(1)) +
                                           R"("]
    virtual_hosts: [main]
)");
    REQUIRE(gantry.wait_for_log("reload applied", from, 5s));
    CHECK(run_curl({"http://127.0.0.1:" + std::to_string(gantry.port(1)) + "/"}).body == "main");

    from = gantry.error_log().size();
    write_file(conf_d + "/extra.yaml", "listeners: [");
    auto rejected = gantry.wait_for_log("reload rejected: " + conf_d + "/extra.yaml:1:", from, 5s);
    CHECK(rejected);
    CHECK(run_curl({"http://127.0.0.1:" + std::to_string(gantry.port(1)) + "/"}).body == "main");
}

TEST_CASE("gantry run --no-watch leaves reloads to SIGHUP", "[integration][reload]") {
    GantryOptions options;
    options.args = {"--no-watch"};
    GantryProcess gantry(respond_config("one"), options);
    gantry.write_config(respond_config("two"));
    std::this_thread::sleep_for(600ms);
    CHECK(run_curl({gantry.url()}).body == "one");
    REQUIRE(gantry.reload().applied);
    CHECK(run_curl({gantry.url()}).body == "two");
}

}  // namespace gantry::test
