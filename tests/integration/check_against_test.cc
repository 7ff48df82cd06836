// `gantry check -c NEW --against RUNNING` validates NEW and prints what a reload from RUNNING
// would change.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string config(const std::string& port, const std::string& cluster_port) {
    return R"(listeners:
  - name: main
    listen: ["127.0.0.1:)" +
           port + R"("]
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: backend }
clusters:
  - name: backend
    endpoints: [{ address: "127.0.0.1:)" +
           cluster_port + "\" }]\n";
}

}  // namespace

TEST_CASE("check --against prints the changes a reload would make", "[integration][cli]") {
    TempDir dir;
    write_file(dir.file("running.yaml"), config("8080", "9000"));
    write_file(dir.file("new.yaml"), config("8081", "9000"));
    ProcessResult result = run_process({gantry_binary(), "check", "-c", dir.file("new.yaml"),
                                        "--against", dir.file("running.yaml")});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "gantry: configuration file " + dir.file("new.yaml") +
                            " is valid\nchanges from " + dir.file("running.yaml") +
                            ":\n~ listener main\n    listen: [127.0.0.1:8080] -> "
                            "[127.0.0.1:8081]\n");

    result = run_process({gantry_binary(), "check", "-c", dir.file("running.yaml"), "--against",
                          dir.file("running.yaml")});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("no changes\n") != std::string::npos);
}

TEST_CASE("check --against fails on an invalid new or running file", "[integration][cli]") {
    TempDir dir;
    write_file(dir.file("good.yaml"), config("8080", "9000"));
    write_file(dir.file("bad.yaml"), "listeners: [");
    ProcessResult result = run_process(
        {gantry_binary(), "check", "-c", dir.file("bad.yaml"), "--against", dir.file("good.yaml")});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find(dir.file("bad.yaml") + ":1:") != std::string::npos);
    CHECK(result.out.find("changes from") == std::string::npos);

    result = run_process(
        {gantry_binary(), "check", "-c", dir.file("good.yaml"), "--against", dir.file("bad.yaml")});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("cannot compare") != std::string::npos);
}

}  // namespace gantry::test
