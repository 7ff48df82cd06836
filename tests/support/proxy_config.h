#pragma once

// Config text shared by the integration tests: most of them run gantry with one listener, one
// virtual host for every domain and, when they proxy, one cluster "backend" at @UP@. These
// helpers build that YAML so that a test spells out only what it is about. Pure functions.

#include <string>
#include <string_view>

#include "support/gantry_process.h"
#include "support/http_upstream.h"

namespace gantry::test {

// One worker and no access log: the top-level keys most tests start with.
inline constexpr std::string_view kQuietGlobals =
    "workers: 1\nlog: { access: { path: \"off\" } }\n";

// The route that forwards everything to cluster "backend" (route items are indented 6 spaces).
inline constexpr std::string_view kForwardAllRoute =
    "      - match: { prefix: / }\n        forward: { cluster: backend }\n";

// `globals` (top-level keys such as workers, log, limits), then listener "main" on @PORT@ serving
// virtual host "main" for every domain with `routes` (YAML list items indented 6 spaces), then
// `clusters` (a whole top-level section, or empty). `host_extra` adds keys to the virtual host
// (indented 4 spaces).
std::string one_host_config(std::string_view routes, std::string_view clusters = {},
                            std::string_view globals = kQuietGlobals,
                            std::string_view host_extra = {});

// A `clusters:` section holding cluster "backend" with one endpoint at 127.0.0.1:@UP@;
// `extra` adds keys to the cluster (indented 4 spaces).
std::string backend_cluster(std::string_view extra = {});

// The standard proxy config: every request forwarded to "backend". `route_extra` adds keys to
// the route (indented 8 spaces), `cluster_extra` to the cluster (indented 4 spaces).
std::string proxy_config(std::string_view route_extra = {}, std::string_view cluster_extra = {},
                         std::string_view globals = kQuietGlobals);

// Options that fill @UP@ with the upstream's port.
GantryOptions with_upstream(const HttpUpstream& upstream);

}  // namespace gantry::test
