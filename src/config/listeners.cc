// One item of `listeners:`.

#include <algorithm>

#include "draft.h"

namespace gantry::config {

namespace {

constexpr std::string_view kNoVirtualHosts =
    "listener has no virtual hosts: name at least one in `virtual_hosts`";

void parse_protocols(const Fields& fields, ListenerConfig& listener) {
    LoadContext& ctx = fields.context();
    std::vector<Protocol> protocols;
    fields.for_each(
        "protocols",
        [&](const YAML::Node& item) {
            auto protocol = read_choice<Protocol>(
                ctx, item, {{"http1", Protocol::Http1}, {"http2", Protocol::Http2}});
            if (!protocol) {
                return;
            }
            if (std::find(protocols.begin(), protocols.end(), *protocol) != protocols.end()) {
                ctx.error(item, "`" + item.Scalar() + "` is listed twice");
                return;
            }
            protocols.push_back(*protocol);
        },
        "listener needs at least one protocol");
    if (!protocols.empty()) {
        listener.protocols = std::move(protocols);
    }
}

void parse_virtual_host_names(const Fields& fields, ListenerConfig& listener,
                              ListenerMarks& marks) {
    LoadContext& ctx = fields.context();
    auto add_name = [&](const YAML::Node& item) {
        auto name = read_identifier(ctx, item);
        if (!name) {
            return;
        }
        auto& names = listener.virtual_hosts;
        if (std::find(names.begin(), names.end(), *name) != names.end()) {
            ctx.error(item, "virtual host `" + *name + "` is listed twice");
            return;
        }
        names.push_back(std::move(*name));
        marks.virtual_hosts.push_back(ctx.mark(item));
    };
    if (fields.get("virtual_hosts") == nullptr) {
        ctx.error(fields.node(), std::string(kNoVirtualHosts));
    }
    fields.for_each("virtual_hosts", add_name, kNoVirtualHosts);
}

}  // namespace

void parse_listener(LoadContext& ctx, const YAML::Node& node, Draft& draft) {
    Fields fields(ctx, node, "listener",
                  {"name", "listen", "protocols", "virtual_hosts", "limits", "tls", "mode",
                   "sni_routes", "default_cluster"},
                  {"http_filters"});
    if (!fields.is_mapping()) {
        return;
    }
    ListenerConfig listener;
    ListenerMarks marks;
    listener.limits = draft.snapshot.limits;  // the listener's own keys override these
    marks.name = ctx.mark(node);
    if (const YAML::Node* name = fields.require("name")) {
        marks.name = ctx.mark(*name);
        listener.name = fields.read("name", read_identifier).value_or("");
    }
    fields.require("listen");
    fields.for_each(
        "listen",
        [&](const YAML::Node& item) {
            if (auto address = read_host_port(ctx, item)) {
                listener.listen.push_back(std::move(*address));
                marks.listen.push_back(ctx.mark(item));
            }
        },
        "listener needs at least one listen address");
    auto read_mode = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<ListenerMode>(
            c, n,
            {{"http", ListenerMode::Http}, {"tls_passthrough", ListenerMode::TlsPassthrough}});
    };
    listener.mode = fields.read("mode", read_mode).value_or(listener.mode);
    parse_passthrough(fields, listener, draft);
    if (listener.mode == ListenerMode::Http) {
        parse_protocols(fields, listener);
        parse_virtual_host_names(fields, listener, marks);
    }
    if (const YAML::Node* limits = fields.get("limits")) {
        parse_limits(ctx, *limits, listener.limits);
    }
    if (const YAML::Node* tls = fields.get("tls"); tls && listener.mode == ListenerMode::Http) {
        listener.tls = parse_listener_tls(ctx, *tls);
    }
    draft.snapshot.listeners.push_back(std::move(listener));
    draft.listener_marks.push_back(std::move(marks));
}

}  // namespace gantry::config
