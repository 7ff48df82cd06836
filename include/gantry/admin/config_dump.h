#pragma once

// The running configuration as YAML for the admin /config page: every setting of the snapshot,
// defaults included, in the layout of the config file. Secrets are redacted: any value under a
// key that names a password, secret, token, credential, private key or cookie, any header value
// set for authorization/cookie/key-like headers, and any inline PEM private key are replaced by
// kRedacted. File paths under `key`-like keys stay (a path is not a secret). Pure functions.

#include <string>

#include <yaml-cpp/yaml.h>

#include <gantry/config.h>

namespace gantry::admin {

inline constexpr const char* kRedacted = "[redacted]";

std::string dump_config(const config::ConfigSnapshot& config);

// Replaces secret values in a YAML tree in place (used by dump_config; exposed for tests).
void redact_secrets(YAML::Node& node);

// True when a mapping key (a config key or a header name) names a secret.
bool is_secret_key(std::string_view key);

}  // namespace gantry::admin
