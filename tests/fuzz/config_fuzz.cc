// Fuzzes the config loader with arbitrary YAML text: it must never crash, hang or throw, and it
// must return either a config or at least one diagnostic.

#include <cstdint>
#include <cstdlib>
#include <string>

#include <yaml-cpp/yaml.h>

#include <gantry/config.h>

namespace {

// Whether the first document has a top-level `include`. Such inputs are skipped: they would make
// the loader read whatever files the pattern matches on this machine, which is neither
// hermetic nor about parsing. Comparing parsed keys also catches escaped spellings.
bool has_include(const std::string& text) {
    try {
        // Load, not LoadAll: the loader walks only the first document, and LoadAll can loop
        // forever on malformed input in yaml-cpp 0.7.
        YAML::Node root = YAML::Load(text);
        if (!root.IsMap()) {
            return false;
        }
        for (auto it = root.begin(); it != root.end(); ++it) {
            if (it->first.IsScalar() && it->first.Scalar() == "include") {
                return true;
            }
        }
    } catch (...) {
        return false;  // the loader reports the same syntax error and reads no file
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    if (has_include(text)) {
        return 0;
    }
    gantry::config::LoadResult result =
        gantry::config::load_config_from_string(text, "/nonexistent/fuzz.yaml");
    if (result.ok() != result.diagnostics.empty()) {
        std::abort();  // a config comes with no diagnostics, and a failure with at least one
    }
    for (const auto& diagnostic : result.diagnostics) {
        if (diagnostic.message.empty()) {
            std::abort();
        }
    }
    return 0;
}
