// The error log (stderr or log.error) and the access log: a reload moves either one, SIGUSR1
// reopens both after logrotate has renamed them, and an error log that cannot be opened stops
// gantry from starting.

#include <cstdio>
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string config(const std::string& access, const std::string& error) {
    return one_host_config("      - match: { prefix: / }\n        respond: { body: \"ok\" }\n", {},
                           "workers: 1\nlog: { error: \"" + error + "\", access: { path: \"" +
                               access + "\", format: \"$request_uri\" } }\n");
}

bool file_has(const std::string& path, const std::string& needle) {
    return file_exists(path) && read_file(path).find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("a reload moves both logs and SIGUSR1 reopens them after rotation",
          "[integration][logs]") {
    GantryProcess gantry(config("@DIR@/access1.log", "stderr"));
    std::string access1 = gantry.dir().file("access1.log");
    std::string access2 = gantry.dir().file("access2.log");
    std::string error_log = gantry.dir().file("error.log");
    REQUIRE(run_curl({gantry.url("/first")}).status == 200);
    REQUIRE(wait_until([&] { return file_has(access1, "/first\n"); }, 3s));

    gantry.write_config(config("@DIR@/access2.log", "@DIR@/error.log"));
    REQUIRE(gantry.reload().applied);
    CHECK(gantry.wait_for_log("error log now goes to " + error_log, 0, 2s));
    CHECK(wait_until([&] { return file_has(error_log, "error log opened (was stderr)"); }, 2s));
    REQUIRE(run_curl({gantry.url("/second")}).status == 200);
    CHECK(wait_until([&] { return file_has(access2, "/second\n"); }, 3s));
    CHECK_FALSE(file_has(access1, "/second"));

    // logrotate: rename, then SIGUSR1 (what the packaged logrotate file does).
    REQUIRE(std::rename(access2.c_str(), (access2 + ".1").c_str()) == 0);
    REQUIRE(std::rename(error_log.c_str(), (error_log + ".1").c_str()) == 0);
    gantry.signal(SIGUSR1);
    CHECK(wait_until([&] { return file_has(error_log, "logs reopened"); }, 3s));
    REQUIRE(run_curl({gantry.url("/third")}).status == 200);
    CHECK(wait_until([&] { return file_has(access2, "/third\n"); }, 3s));
    CHECK_FALSE(file_has(access2 + ".1", "/third"));
    CHECK(file_has(error_log + ".1", "error log opened"));
    CHECK(gantry.stop() == 0);
    CHECK(file_has(error_log, "gantry stopped"));
}

TEST_CASE("an error log that cannot be opened stops start-up with the reason",
          "[integration][logs]") {
    TempDir dir;
    write_file(dir.file("gantry.yaml"), substitute(config("off", "/nonexistent/gantry/error.log"),
                                                   {{"PORT", std::to_string(free_port())}}));
    ProcessResult result = run_process({gantry_binary(), "-c", dir.file("gantry.yaml")}, 10s);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("cannot open the error log /nonexistent/gantry/error.log: No such file "
                          "or directory") != std::string::npos);
}

TEST_CASE("a reload to an error log that cannot be opened is rejected", "[integration][logs]") {
    GantryOptions options;
    options.allow_error_lines = true;
    GantryProcess gantry(config("off", "stderr"), options);
    gantry.write_config(config("off", "/nonexistent/gantry/error.log"));
    GantryProcess::ReloadOutcome outcome = gantry.reload();
    INFO(outcome.line);
    CHECK(outcome.rejected);
    CHECK(outcome.line.find("cannot open the error log") != std::string::npos);
    CHECK(run_curl({gantry.url()}).body == "ok");
}

}  // namespace gantry::test
