// The TLS keys of the /config dump: a listener's `tls`, a tls_passthrough listener's routing
// and a cluster's upstream `tls`. Key file paths are shown (redact_secrets keeps paths and
// replaces anything that looks like an inline key).

#include "config_dump_parts.h"

namespace gantry::admin::dump {

namespace {

const char* version_text(config::TlsVersion version) {
    return version == config::TlsVersion::Tls13 ? "1.3" : "1.2";
}

const char* client_auth_text(config::ClientAuth auth) {
    switch (auth) {
        case config::ClientAuth::None:
            return "none";
        case config::ClientAuth::Optional:
            return "optional";
        case config::ClientAuth::Required:
            return "required";
    }
    return "none";
}

YAML::Node listener_tls_node(const config::ListenerTlsConfig& tls) {
    YAML::Node node;
    node["certificates"] = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& certificate : tls.certificates) {
        YAML::Node out;
        out["cert"] = certificate.cert;
        out["key"] = certificate.key;
        node["certificates"].push_back(out);
    }
    node["min_version"] = version_text(tls.min_version);
    if (!tls.alpn.empty()) {  // empty = derived from the listener's protocols
        node["alpn"] = tls.alpn;
    }
    if (!tls.client_ca.empty()) {  // client_auth without a CA does not load
        node["client_ca"] = tls.client_ca;
        node["client_auth"] = client_auth_text(tls.client_auth);
    }
    node["handshake_timeout"] = duration_text(tls.handshake_timeout);
    return node;
}

}  // namespace

void add_cluster_tls_keys(const config::ClusterConfig& cluster, YAML::Node& node) {
    if (!cluster.tls) {
        return;
    }
    const config::ClusterTlsConfig& tls = *cluster.tls;
    YAML::Node out(YAML::NodeType::Map);
    if (!tls.sni.empty()) {
        out["sni"] = tls.sni;
    }
    if (!tls.ca.empty()) {
        out["ca"] = tls.ca;
    }
    out["verify"] = tls.verify;
    if (!tls.cert.empty()) {
        out["cert"] = tls.cert;
        out["key"] = tls.key;
    }
    node["tls"] = out;
}

void add_listener_tls_keys(const config::ListenerConfig& listener, YAML::Node& node) {
    if (listener.tls) {
        node["tls"] = listener_tls_node(*listener.tls);
    }
}

void add_listener_passthrough_keys(const config::ListenerConfig& listener, YAML::Node& node) {
    if (listener.mode != config::ListenerMode::TlsPassthrough) {
        return;
    }
    node["mode"] = "tls_passthrough";
    if (!listener.sni_routes.empty()) {
        node["sni_routes"] = YAML::Node(YAML::NodeType::Sequence);
        for (const auto& route : listener.sni_routes) {
            YAML::Node out;
            out["server_names"] = route.server_names;
            out["cluster"] = route.cluster;
            node["sni_routes"].push_back(out);
        }
    }
    if (!listener.default_cluster.empty()) {
        node["default_cluster"] = listener.default_cluster;
    }
}

}  // namespace gantry::admin::dump
