// A listener's `tls:` section. Certificate, key and CA files are read and checked here, so that
// `gantry check` and a reload report a missing file, bad PEM or a key that does not match its
// certificate at the line that names it.

#include <algorithm>

#include <gantry/tls/certificate.h>

#include "draft.h"

namespace gantry::config {

namespace {

// Relative paths are read from the directory of the file that names them, as includes are.
std::string resolve_path(const LoadContext& ctx, const std::string& path) {
    if (path.empty() || path.front() == '/') {
        return path;
    }
    size_t slash = ctx.file().rfind('/');
    return slash == std::string::npos ? path : ctx.file().substr(0, slash + 1) + path;
}

std::optional<std::string> read_path(LoadContext& ctx, const YAML::Node& node) {
    auto path = read_name(ctx, node);
    if (path) {
        *path = resolve_path(ctx, *path);
    }
    return path;
}

void parse_certificate(LoadContext& ctx, const YAML::Node& node, ListenerTlsConfig& tls) {
    Fields fields(ctx, node, "certificate", {"cert", "key"});
    if (!fields.is_mapping()) {
        return;
    }
    const YAML::Node* cert_node = fields.require("cert");
    fields.require("key");
    auto cert = fields.read("cert", read_path);
    auto key = fields.read("key", read_path);
    if (!cert || !key) {
        return;
    }
    std::string problem = tls::check_key_pair(*cert, *key);
    if (!problem.empty()) {
        ctx.error(*cert_node, problem);
        return;
    }
    tls.certificates.push_back({std::move(*cert), std::move(*key)});
}

void parse_alpn(const Fields& fields, ListenerTlsConfig& tls) {
    LoadContext& ctx = fields.context();
    fields.for_each(
        "alpn",
        [&](const YAML::Node& item) {
            auto protocol =
                read_choice<std::string>(ctx, item, {{"h2", "h2"}, {"http/1.1", "http/1.1"}});
            if (!protocol) {
                return;
            }
            if (std::find(tls.alpn.begin(), tls.alpn.end(), *protocol) != tls.alpn.end()) {
                ctx.error(item, "`" + *protocol + "` is listed twice");
                return;
            }
            tls.alpn.push_back(std::move(*protocol));
        },
        "alpn needs at least one protocol");
}

void parse_client_auth(const Fields& fields, ListenerTlsConfig& tls) {
    LoadContext& ctx = fields.context();
    auto read_auth = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<ClientAuth>(c, n,
                                       {{"none", ClientAuth::None},
                                        {"optional", ClientAuth::Optional},
                                        {"required", ClientAuth::Required}});
    };
    tls.client_auth = fields.read("client_auth", read_auth).value_or(tls.client_auth);
    if (const YAML::Node* ca = fields.get("client_ca")) {
        auto path = fields.read("client_ca", read_path);
        if (path) {
            std::string problem = tls::check_ca_file(*path);
            if (!problem.empty()) {
                ctx.error(*ca, "client_ca: " + problem);
            }
            tls.client_ca = std::move(*path);
        }
        if (tls.client_auth == ClientAuth::None && !fields.was_written("client_auth")) {
            tls.client_auth = ClientAuth::Optional;  // as Envoy: a CA alone asks, never requires
        }
    } else if (tls.client_auth != ClientAuth::None) {
        ctx.error(*fields.get("client_auth"), "client_auth needs `client_ca`");
    }
}

void check_file(LoadContext& ctx, const Fields& fields, std::string_view key, std::string& out) {
    if (auto path = fields.read(key, read_path)) {
        std::string problem = tls::check_ca_file(*path);
        if (!problem.empty()) {
            ctx.error(*fields.get(key), std::string(key) + ": " + problem);
        }
        out = std::move(*path);
    }
}

}  // namespace

ClusterTlsConfig parse_cluster_tls(LoadContext& ctx, const YAML::Node& node) {
    ClusterTlsConfig tls;
    Fields fields(ctx, node, "tls", {"sni", "ca", "verify", "cert", "key"});
    if (!fields.is_mapping()) {
        return tls;
    }
    tls.sni = fields.read("sni", read_name).value_or("");
    tls.verify = fields.read("verify", read_bool).value_or(tls.verify);
    check_file(ctx, fields, "ca", tls.ca);
    if (fields.was_written("cert") != fields.was_written("key")) {
        ctx.error(node, "tls needs both `cert` and `key` for a client certificate");
        return tls;
    }
    if (fields.get("cert") != nullptr) {
        auto cert = fields.read("cert", read_path);
        auto key = fields.read("key", read_path);
        if (cert && key) {
            std::string problem = tls::check_key_pair(*cert, *key);
            if (!problem.empty()) {
                ctx.error(*fields.get("cert"), problem);
            }
            tls.cert = std::move(*cert);
            tls.key = std::move(*key);
        }
    }
    return tls;
}

ListenerTlsConfig parse_listener_tls(LoadContext& ctx, const YAML::Node& node) {
    ListenerTlsConfig tls;
    Fields fields(
        ctx, node, "tls",
        {"certificates", "min_version", "alpn", "client_ca", "client_auth", "handshake_timeout"});
    if (!fields.is_mapping()) {
        return tls;
    }
    fields.require("certificates");
    bool is_list = fields.for_each_section(
        "certificates", [&](const YAML::Node& item) { parse_certificate(ctx, item, tls); });
    if (is_list && fields.get("certificates")->size() == 0) {
        ctx.error(*fields.get("certificates"), "tls needs at least one certificate");
    }
    auto read_version = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<TlsVersion>(
            c, n, {{"1.2", TlsVersion::Tls12}, {"1.3", TlsVersion::Tls13}}, {"1.0", "1.1"});
    };
    tls.min_version = fields.read("min_version", read_version).value_or(tls.min_version);
    parse_alpn(fields, tls);
    parse_client_auth(fields, tls);
    tls.handshake_timeout =
        fields.read("handshake_timeout", read_positive_duration).value_or(tls.handshake_timeout);
    return tls;
}

}  // namespace gantry::config
