#pragma once

// What a reload from one configuration to another would change, for `gantry check --against`:
// listeners, virtual hosts, routes, clusters and top-level settings added, removed or changed,
// with the fields that changed. Routes have no names, so a route is identified by its virtual
// host and its match (path, methods, headers, query); a changed action, header rule or position
// is a change of that route. Pure functions over two snapshots.

#include <string>
#include <vector>

#include <gantry/config.h>

namespace gantry::config {

struct ConfigChange {
    enum class Kind { Added, Removed, Changed };
    Kind kind = Kind::Changed;
    std::string what;  // "listener", "virtual host", "route", "cluster", "setting"
    std::string name;  // "public", "api", "api: prefix /v1"; a setting: "workers: 2 -> 4"
    std::vector<std::string> details;  // "timeout: 15s -> 5s" for Changed; a summary for Added
};

// The changes from `running` to `next`, in a stable order: settings, listeners, virtual hosts
// (each followed by its routes), clusters.
std::vector<ConfigChange> diff_configs(const ConfigSnapshot& running, const ConfigSnapshot& next);

// One line per change ("+ listener admin", "- cluster old", "~ route api: prefix /v1"), with
// the details indented below; "no changes" when `changes` is empty.
std::string format_changes(const std::vector<ConfigChange>& changes);

}  // namespace gantry::config
