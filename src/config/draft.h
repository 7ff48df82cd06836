#pragma once

// Draft: a ConfigSnapshot being loaded, plus where each name and reference was written, so the
// checks that span sections and files (duplicates, dangling references) can point at the line.
// Lives only inside one load_config call on the main thread; the snapshot moves out at the end.

#include <string>
#include <vector>

#include <gantry/config.h>

#include "reader.h"

namespace gantry::config {

struct ListenerMarks {
    Mark name;
    std::vector<Mark> listen;         // parallel to ListenerConfig::listen
    std::vector<Mark> virtual_hosts;  // parallel to ListenerConfig::virtual_hosts
};

struct VirtualHostMarks {
    Mark name;
    std::vector<Mark> domains;  // parallel to VirtualHostConfig::domains
};

// A name used to refer to another section, e.g. a route's `forward.cluster`.
struct Reference {
    std::string name;
    Mark mark;
};

struct Draft {
    ConfigSnapshot snapshot;
    // Parallel to snapshot.listeners, snapshot.virtual_hosts and snapshot.clusters.
    std::vector<ListenerMarks> listener_marks;
    std::vector<VirtualHostMarks> virtual_host_marks;
    std::vector<Mark> cluster_marks;  // of each cluster's name
    std::vector<Reference> cluster_references;
};

// settings.cc: node, workers, admin, log and limits of the main file.
void parse_settings(const Fields& top, ConfigSnapshot& out);

// Applies the keys of a `limits` mapping on top of `limits`.
void parse_limits(LoadContext& ctx, const YAML::Node& node, Limits& limits);

// listener_tls.cc: a listener's `tls:` section (certificate files are read and checked).
ListenerTlsConfig parse_listener_tls(LoadContext& ctx, const YAML::Node& node);

// listener_tls.cc: a cluster's `tls:` section (files are read and checked).
ClusterTlsConfig parse_cluster_tls(LoadContext& ctx, const YAML::Node& node);

// listener_passthrough.cc: mode-dependent checks and the keys of a tls_passthrough listener
// (`listener.mode` already read); cluster references go to the draft.
void parse_passthrough(const Fields& fields, ListenerConfig& listener, Draft& draft);

// listeners.cc, virtual_hosts.cc, clusters.cc: one list item each, appended to the draft.
void parse_listener(LoadContext& ctx, const YAML::Node& node, Draft& draft);
void parse_virtual_host(LoadContext& ctx, const YAML::Node& node, Draft& draft);
void parse_cluster(LoadContext& ctx, const YAML::Node& node, Draft& draft);

// A cluster's `health_check` and `outlier_detection` (cluster_health.cc).
void parse_health_check(LoadContext& ctx, const YAML::Node& node, HealthCheckConfig& out);
void parse_outlier_detection(LoadContext& ctx, const YAML::Node& node, OutlierDetectionConfig& out);

// routes.cc: one route of a virtual host; cluster references go to the draft.
void parse_route(LoadContext& ctx, const YAML::Node& node, Route& route, Draft& draft);

// actions.cc: the three things a route can do.
ForwardAction parse_forward(LoadContext& ctx, const YAML::Node& node, const RouteMatch& match,
                            Draft& draft);
// forward_extras.cc: weighted clusters, rewrite_regex, retries and mirror of a `forward`.
void parse_weighted(LoadContext& ctx, const YAML::Node& node, ForwardAction& out, Draft& draft);
void parse_rewrite_regex(LoadContext& ctx, const YAML::Node& node, ForwardAction& out);
void parse_retries(LoadContext& ctx, const YAML::Node& node, ForwardAction& out);
void parse_mirror(LoadContext& ctx, const YAML::Node& node, ForwardAction& out, Draft& draft);

RespondAction parse_respond(LoadContext& ctx, const YAML::Node& node);
RedirectAction parse_redirect(LoadContext& ctx, const YAML::Node& node);

// validate.cc: checks across sections and files, once everything is read.
void validate(LoadContext& ctx, const Draft& draft);

}  // namespace gantry::config
