#include "support/proxy_config.h"

namespace gantry::test {

std::string one_host_config(std::string_view routes, std::string_view clusters,
                            std::string_view globals, std::string_view host_extra) {
    std::string out(globals);
    out += R"(listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
)";
    out += host_extra;
    out += "    routes:\n";
    out += routes;
    out += clusters;
    return out;
}

std::string backend_cluster(std::string_view extra) {
    std::string out = "clusters:\n  - name: backend\n";
    out += extra;
    out += "    endpoints: [{ address: \"127.0.0.1:@UP@\" }]\n";
    return out;
}

std::string proxy_config(std::string_view route_extra, std::string_view cluster_extra,
                         std::string_view globals) {
    std::string routes(kForwardAllRoute);
    routes += route_extra;
    return one_host_config(routes, backend_cluster(cluster_extra), globals);
}

GantryOptions with_upstream(const HttpUpstream& upstream) {
    GantryOptions options;
    options.vars["UP"] = std::to_string(upstream.port());
    return options;
}

}  // namespace gantry::test
