#pragma once

// Reading gantry's admin listener from a test: the config line that opens it on @PORT2@ (so
// GantryProcess::port(1) is the admin port), GETs of its pages with curl, and the value of one
// series in a /metrics page. Pure helpers; the test thread only.

#include <string>
#include <string_view>

#include "support/gantry_process.h"
#include "support/test_util.h"

namespace gantry::test {

// Top-level keys: two workers, the admin listener on @PORT2@, no access log.
inline constexpr std::string_view kAdminGlobals =
    "workers: 2\nadmin: { listen: \"127.0.0.1:@PORT2@\" }\nlog: { access: { path: \"off\" } }\n";

inline uint16_t admin_port(const GantryProcess& gantry) {
    return gantry.port(1);
}

// GET `path` from the admin listener; `extra` are more curl arguments.
CurlResult admin_get(const GantryProcess& gantry, const std::string& path,
                     const std::vector<std::string>& extra = {});

// The /metrics page (REQUIREs a 200).
std::string scrape(const GantryProcess& gantry);

// Value of the series `name{labels}` in a Prometheus text page; 0 when absent (a labelled
// counter appears with its first increment).
double metric(const std::string& page, const std::string& series);

}  // namespace gantry::test
