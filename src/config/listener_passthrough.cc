// The keys of a `mode: tls_passthrough` listener: `sni_routes` and `default_cluster`. Such a
// listener routes TCP streams by the ClientHello's SNI; it has no virtual hosts, no `tls` and no
// HTTP protocols.

#include <algorithm>

#include "draft.h"

namespace gantry::config {

namespace {

std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

void parse_sni_route(LoadContext& ctx, const YAML::Node& node, ListenerConfig& listener,
                     Draft& draft) {
    Fields fields(ctx, node, "sni route", {"server_names", "cluster"});
    if (!fields.is_mapping()) {
        return;
    }
    SniRoute route;
    fields.require("server_names");
    fields.for_each(
        "server_names",
        [&](const YAML::Node& item) {
            auto name = read_name(ctx, item);
            if (name) {
                route.server_names.push_back(lower(std::move(*name)));
            }
        },
        "an sni route needs at least one server name");
    if (const YAML::Node* cluster = fields.require("cluster")) {
        if (auto name = fields.read("cluster", read_identifier)) {
            draft.cluster_references.push_back({*name, ctx.mark(*cluster)});
            route.cluster = std::move(*name);
        }
    }
    listener.sni_routes.push_back(std::move(route));
}

}  // namespace

void parse_passthrough(const Fields& fields, ListenerConfig& listener, Draft& draft) {
    LoadContext& ctx = fields.context();
    bool is_passthrough = listener.mode == ListenerMode::TlsPassthrough;
    for (std::string_view key : {"virtual_hosts", "tls", "protocols"}) {
        if (is_passthrough && fields.was_written(key)) {
            ctx.error(*fields.get(key),
                      "a tls_passthrough listener does not take `" + std::string(key) + "`");
        }
    }
    for (std::string_view key : {"sni_routes", "default_cluster"}) {
        if (!is_passthrough && fields.was_written(key)) {
            ctx.error(*fields.get(key), "`" + std::string(key) + "` needs `mode: tls_passthrough`");
        }
    }
    if (!is_passthrough) {
        return;
    }
    fields.for_each_section(
        "sni_routes", [&](const YAML::Node& item) { parse_sni_route(ctx, item, listener, draft); });
    if (const YAML::Node* cluster = fields.get("default_cluster")) {
        if (auto name = fields.read("default_cluster", read_identifier)) {
            draft.cluster_references.push_back({*name, ctx.mark(*cluster)});
            listener.default_cluster = std::move(*name);
        }
    }
    if (listener.sni_routes.empty() && listener.default_cluster.empty()) {
        ctx.error(fields.node(),
                  "a tls_passthrough listener needs `sni_routes` or `default_cluster`");
    }
}

}  // namespace gantry::config
