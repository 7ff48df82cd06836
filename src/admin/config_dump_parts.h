#pragma once

// Pieces of the /config dump kept in their own files so each feature area's keys stay apart:
// the traffic-management keys of routes and clusters, and the TLS keys of listeners and
// clusters. Internal to src/admin; pure functions.

#include <string>

#include <yaml-cpp/yaml.h>

#include <gantry/config.h>

namespace gantry::admin::dump {

// "250ms", "10s", "0": a duration as the loader reads it back.
std::string duration_text(config::Duration duration);

// Adds `weighted`, `rewrite_regex`, `retries` and `mirror` to a dumped `forward`.
void add_forward_traffic_keys(const config::ForwardAction& forward, YAML::Node& node);

// Adds `circuit_breakers` to a dumped cluster.
void add_cluster_traffic_keys(const config::ClusterConfig& cluster, YAML::Node& node);

// Adds `tls` to a dumped cluster when it has one.
void add_cluster_tls_keys(const config::ClusterConfig& cluster, YAML::Node& node);

// Adds `tls` to a dumped HTTP listener when it has one.
void add_listener_tls_keys(const config::ListenerConfig& listener, YAML::Node& node);

// Adds `mode: tls_passthrough`, `sni_routes` and `default_cluster` to a dumped listener.
void add_listener_passthrough_keys(const config::ListenerConfig& listener, YAML::Node& node);

}  // namespace gantry::admin::dump
