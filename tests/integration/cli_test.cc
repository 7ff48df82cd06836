// The command line: --version, --help, `check`, and refusing to start on a bad file.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// One listener on a fixed port (`check` never binds it) and one virtual host whose only route
// does `action`. The generated text keeps the line numbers the comments below refer to.
std::string check_config(std::string_view action, std::string_view globals = "workers: 1\n",
                         std::string_view listener_extra = {}) {
    std::string out(globals);
    out += R"(listeners:
  - name: main
    listen: ["127.0.0.1:18080"]
    virtual_hosts: [main]
)";
    out += listener_extra;
    out += R"(virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: / }
        )";
    out += action;
    out += "\n";
    return out;
}

constexpr std::string_view kRespondOk = R"(respond: { status: 200, body: "ok\n" })";

const std::string kValidConfig = check_config(kRespondOk);

// Line 6, column 5 holds a key that does not exist.
const std::string kUnknownKeyConfig =
    check_config(kRespondOk, "workers: 1\n", "    bogus_key: 1\n");

// Line 11 names a cluster that does not exist.
const std::string kDanglingClusterConfig = check_config("forward: { cluster: nowhere }");

// Line 3 holds a malformed duration.
const std::string kBadDurationConfig =
    check_config("respond: { status: 200 }", "workers: 1\nlimits:\n  header_timeout: 10 seconds\n");

// Line 4 is not valid YAML (an unclosed flow sequence).
constexpr const char* kSyntaxErrorConfig = R"(workers: 1
listeners:
  - name: main
    listen: ["127.0.0.1:18080"
    virtual_hosts: [main]
)";

ProcessResult check(const std::string& path) {
    return run_process({gantry_binary(), "check", "-c", path}, std::chrono::seconds(10));
}

// True when some line of `text` starts with "PATH:LINE:" and then a column number and ": ".
bool has_location(const std::string& text, const std::string& path, int line) {
    std::string prefix = path + ":" + std::to_string(line) + ":";
    for (const std::string& l : split_lines(text)) {
        if (!l.starts_with(prefix)) {
            continue;
        }
        size_t at = prefix.size();
        size_t digits = 0;
        while (at + digits < l.size() && std::isdigit(static_cast<unsigned char>(l[at + digits]))) {
            ++digits;
        }
        if (digits > 0 && l.compare(at + digits, 2, ": ") == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("gantry --version prints its name and version", "[integration][cli]") {
    ProcessResult r = run_process({gantry_binary(), "--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("gantry 0.1.0") != std::string::npos);
}

TEST_CASE("gantry --help prints usage and exits 0", "[integration][cli]") {
    ProcessResult r = run_process({gantry_binary(), "--help"});
    CHECK(r.exit_code == 0);
    std::string text = to_lower(r.out + r.err);
    CHECK(text.find("usage") != std::string::npos);
    CHECK(text.find("check") != std::string::npos);
    CHECK(text.find("-c") != std::string::npos);
}

TEST_CASE("gantry check accepts a valid file with exit code 0", "[integration][cli]") {
    TempDir dir;
    write_file(dir.file("ok.yaml"), kValidConfig);
    ProcessResult r = check(dir.file("ok.yaml"));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("error") == std::string::npos);
}

TEST_CASE("gantry check reports an unknown key at its line and column", "[integration][cli]") {
    TempDir dir;
    std::string path = dir.file("bad.yaml");
    write_file(path, kUnknownKeyConfig);
    ProcessResult r = check(path);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(path + ":6:5: ") != std::string::npos);
    CHECK(r.err.find("bogus_key") != std::string::npos);
}

TEST_CASE("gantry check reports a route naming a missing cluster", "[integration][cli]") {
    TempDir dir;
    std::string path = dir.file("bad.yaml");
    write_file(path, kDanglingClusterConfig);
    ProcessResult r = check(path);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(has_location(r.err, path, 11));
    CHECK(r.err.find("nowhere") != std::string::npos);
}

TEST_CASE("gantry check reports a malformed duration", "[integration][cli]") {
    TempDir dir;
    std::string path = dir.file("bad.yaml");
    write_file(path, kBadDurationConfig);
    ProcessResult r = check(path);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(has_location(r.err, path, 3));
}

TEST_CASE("gantry check reports a YAML syntax error with a location", "[integration][cli]") {
    TempDir dir;
    std::string path = dir.file("bad.yaml");
    write_file(path, kSyntaxErrorConfig);
    ProcessResult r = check(path);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    bool located = false;
    for (int line = 4; line <= 6; ++line) {
        located = located || has_location(r.err, path, line);
    }
    CHECK(located);
}

TEST_CASE("gantry check fails on a file that does not exist", "[integration][cli]") {
    TempDir dir;
    std::string path = dir.file("missing.yaml");
    ProcessResult r = check(path);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(path) != std::string::npos);
}

TEST_CASE("gantry refuses to start on a bad file and says where", "[integration][cli]") {
    TempDir dir;
    std::string path = dir.file("bad.yaml");
    write_file(path, kUnknownKeyConfig);
    ProcessResult r = run_process({gantry_binary(), "-c", path}, std::chrono::seconds(10));
    INFO("stderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != -1);
    CHECK(r.err.find(path + ":6:5: ") != std::string::npos);
}

}  // namespace gantry::test
