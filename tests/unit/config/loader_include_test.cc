#include <filesystem>
#include <fstream>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace std::chrono_literals;
using Errors = std::vector<std::string>;

namespace {

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "gantry_config_XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }

    ~TempDir() { std::filesystem::remove_all(path_); }

    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    // Writes `text` to `relative` (creating directories) and returns the full path.
    std::string write(const std::string& relative, const std::string& text) const {
        auto file = path_ / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << text;
        return file.string();
    }

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

std::string cluster_file(const std::string& name) {
    return "clusters:\n  - name: " + name + "\n    endpoints: [{ address: \"10.0.0.1:80\" }]\n";
}

std::vector<std::string> cluster_names(const ConfigSnapshot& config) {
    std::vector<std::string> names;
    for (const auto& cluster : config.clusters) {
        names.push_back(cluster.name);
    }
    return names;
}

// Diagnostics as "FILE:LINE:COL: message" with the temp directory cut off the file names.
Errors errors_in(const LoadResult& result, const TempDir& dir) {
    Errors out;
    std::string prefix = dir.path().string() + "/";
    for (const Diagnostic& diagnostic : result.diagnostics) {
        std::string text = diagnostic.to_string();
        if (text.starts_with(prefix)) {
            text = text.substr(prefix.size());
        }
        out.push_back(text);
    }
    return out;
}

}  // namespace

TEST_CASE("include merges the lists of matching files in sorted order", "[config]") {
    TempDir dir;
    dir.write("conf.d/20-b.yaml", cluster_file("b"));
    dir.write("conf.d/10-a.yaml", cluster_file("a") + R"(virtual_hosts:
  - name: extra
    domains: ["extra.example"]
listeners:
  - name: extra
    listen: ["127.0.0.1:9000"]
    virtual_hosts: [extra]
)");
    dir.write("conf.d/notes.txt", "not yaml: [");
    std::string main =
        dir.write("gantry.yaml", testing::kListenerAndHost + "include: [\"conf.d/*.yaml\"]\n" +
                                     cluster_file("main"));
    LoadResult result = load_config(main);
    for (const Diagnostic& diagnostic : result.diagnostics) {
        UNSCOPED_INFO(diagnostic.to_string());
    }
    REQUIRE(result.ok());
    CHECK(cluster_names(*result.config) == std::vector<std::string>{"main", "a", "b"});
    REQUIRE(result.config->listeners.size() == 2);
    CHECK(result.config->listeners[1].name == "extra");
    REQUIRE(result.config->find_virtual_host("extra") != nullptr);
}

TEST_CASE("included listeners start from the main file's limits", "[config]") {
    TempDir dir;
    dir.write("more.yaml", R"(listeners:
  - name: extra
    listen: ["127.0.0.1:9000"]
    virtual_hosts: [site]
    limits: { max_headers: 10 }
)");
    std::string main = dir.write("gantry.yaml", testing::kListenerAndHost +
                                                    "include: [more.yaml]\n"
                                                    "limits: { header_timeout: 3s }\n");
    LoadResult result = load_config(main);
    REQUIRE(result.ok());
    const Limits& limits = result.config->listeners[1].limits;
    CHECK(limits.header_timeout == 3s);
    CHECK(limits.max_headers == 10);
}

TEST_CASE("include paths are relative to the file that includes them", "[config]") {
    TempDir dir;
    dir.write("a/b/leaf.yaml", cluster_file("leaf"));
    dir.write("a/middle.yaml", "include: [b/leaf.yaml]\n" + cluster_file("middle"));
    std::string main =
        dir.write("main.yaml", testing::kListenerAndHost + "include: [a/middle.yaml]\n");
    LoadResult result = load_config(main);
    REQUIRE(result.ok());
    CHECK(cluster_names(*result.config) == std::vector<std::string>{"middle", "leaf"});

    // From a string, includes are relative to the directory of the name it is given.
    LoadResult from_string = load_config_from_string(
        testing::kListenerAndHost + "include: [a/middle.yaml]\n", (dir.path() / "x.yaml").string());
    REQUIRE(from_string.ok());
    CHECK(from_string.config->clusters.size() == 2);
}

TEST_CASE("errors in an included file name that file and its line", "[config]") {
    TempDir dir;
    dir.write("conf.d/bad.yaml", R"(clusters:
  - name: broken
    endpoints: [{ address: "10.0.0.1:80", weight: 0 }]
workers: 4
)");
    std::string main =
        dir.write("gantry.yaml", testing::kListenerAndHost + "include: [conf.d/bad.yaml]\n");
    LoadResult result = load_config(main);
    CHECK(errors_in(result, dir) ==
          Errors{"conf.d/bad.yaml:3:51: weight: must be between 1 and 65535, got 0",
                 "conf.d/bad.yaml:4:10: `workers` can only be set in the main config file"});
}

TEST_CASE("a YAML syntax error in an included file names that file", "[config]") {
    TempDir dir;
    dir.write("bad.yaml", "clusters: [\n");
    std::string main =
        dir.write("gantry.yaml", testing::kListenerAndHost + "include: [bad.yaml]\n");
    CHECK(errors_in(load_config(main), dir) ==
          Errors{"bad.yaml:2:1: YAML syntax error: end of sequence flow not found"});
}

TEST_CASE("names must be unique across included files", "[config]") {
    TempDir dir;
    dir.write("one.yaml", cluster_file("app"));
    dir.write("two.yaml", cluster_file("app"));
    std::string main =
        dir.write("gantry.yaml", testing::kListenerAndHost + "include: [one.yaml, two.yaml]\n");
    CHECK(errors_in(load_config(main), dir) ==
          Errors{"two.yaml:2:11: duplicate cluster name `app` (first defined at " +
                 (dir.path() / "one.yaml").string() + ":2:11)"});
}

TEST_CASE("a missing include is an error but a pattern may match nothing", "[config]") {
    TempDir dir;
    std::string main = dir.write(
        "gantry.yaml", testing::kListenerAndHost + "include: [\"none.d/*.yaml\", missing.yaml]\n");
    CHECK(errors_in(load_config(main), dir) ==
          Errors{"gantry.yaml:11:28: cannot read included file `missing.yaml`: no such file"});
}

TEST_CASE("an include cycle is reported and a file matched twice is read once", "[config]") {
    TempDir dir;
    dir.write("loop.yaml", "include: [gantry.yaml]\n");
    dir.write("shared.yaml", cluster_file("shared"));
    std::string main =
        dir.write("gantry.yaml", testing::kListenerAndHost +
                                     "include: [loop.yaml, shared.yaml, \"shared*.yaml\"]\n");
    LoadResult result = load_config(main);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == dir.path() / "loop.yaml");
    CHECK(result.diagnostics[0].line == 1);
    CHECK(result.diagnostics[0].column == 11);
    CHECK(result.diagnostics[0].message.starts_with("include cycle: "));
}

TEST_CASE("a load lists the files it read and the directories its patterns watch", "[config]") {
    TempDir dir;
    std::string included = dir.write("conf.d/10-a.yaml", cluster_file("a"));
    std::string fixed = dir.write("fixed.yaml", cluster_file("b"));
    std::string main =
        dir.write("gantry.yaml",
                  testing::kListenerAndHost + "include: [\"conf.d/*.yaml\", \"fixed.yaml\"]\n");
    LoadResult result = load_config(main);
    REQUIRE(result.ok());
    CHECK(result.sources.files == std::vector<std::string>{main, included, fixed});
    CHECK(result.sources.include_directories ==
          std::vector<std::string>{dir.path().string() + "/conf.d"});

    // Same bytes, same digest; any edit (or a broken file) changes it.
    uint64_t digest = result.sources.digest;
    CHECK(load_config(main).sources.digest == digest);
    dir.write("conf.d/10-a.yaml", cluster_file("c"));
    LoadResult edited = load_config(main);
    CHECK(edited.sources.digest != digest);
    dir.write("conf.d/10-a.yaml", "clusters: [");
    LoadResult broken = load_config(main);
    CHECK_FALSE(broken.ok());
    CHECK(broken.sources.files.size() == 3);
    CHECK(broken.sources.digest != edited.sources.digest);
}
