#include <algorithm>

#include <gantry/config.h>

namespace gantry::config {

std::string Diagnostic::to_string() const {
    if (line <= 0) {
        return file + ": " + message;  // a whole-file problem, e.g. one that cannot be read
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

const ClusterConfig* ConfigSnapshot::find_cluster(const std::string& name) const {
    auto it = std::find_if(clusters.begin(), clusters.end(),
                           [&](const ClusterConfig& cluster) { return cluster.name == name; });
    return it == clusters.end() ? nullptr : &*it;
}

const VirtualHostConfig* ConfigSnapshot::find_virtual_host(const std::string& name) const {
    auto it = std::find_if(virtual_hosts.begin(), virtual_hosts.end(),
                           [&](const VirtualHostConfig& host) { return host.name == name; });
    return it == virtual_hosts.end() ? nullptr : &*it;
}

}  // namespace gantry::config
