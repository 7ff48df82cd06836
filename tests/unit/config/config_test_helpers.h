#pragma once

// Shared by the config unit tests: load YAML text from memory and look at the result as
// "LINE:COL: message" strings, which is what a user sees after the file name.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/config.h>

namespace gantry::config::testing {

inline LoadResult load_text(const std::string& text) {
    return load_config_from_string(text, "test.yaml");
}

// Every diagnostic of `text` as "LINE:COL: message".
inline std::vector<std::string> errors_of(const std::string& text) {
    LoadResult result = load_text(text);
    std::vector<std::string> out;
    for (const Diagnostic& diagnostic : result.diagnostics) {
        CHECK(diagnostic.file == "test.yaml");
        out.push_back(std::to_string(diagnostic.line) + ":" + std::to_string(diagnostic.column) +
                      ": " + diagnostic.message);
    }
    CHECK(result.ok() == out.empty());
    return out;
}

// The snapshot of text that must load; the diagnostics are printed when it does not.
inline std::shared_ptr<const ConfigSnapshot> load_valid(const std::string& text) {
    LoadResult result = load_text(text);
    for (const Diagnostic& diagnostic : result.diagnostics) {
        UNSCOPED_INFO(diagnostic.to_string());
    }
    REQUIRE(result.ok());
    return result.config;
}

// Sections that make a config valid; tests append the section they are about.
inline const std::string kListenerAndHost = R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
virtual_hosts:
  - name: site
    domains: ["example.com"]
    routes:
      - match: { prefix: / }
        respond: { status: 200 }
)";

}  // namespace gantry::config::testing
