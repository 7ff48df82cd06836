// The three things a route can do: forward to a cluster, respond itself, or redirect.

#include <algorithm>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

void parse_host_rewrite(LoadContext& ctx, const YAML::Node& node, ForwardAction& out) {
    auto text = read_name(ctx, node);
    if (!text) {
        return;
    }
    if (*text == "keep") {
        out.host_rewrite = HostRewriteKind::Keep;
    } else if (*text == "upstream") {
        out.host_rewrite = HostRewriteKind::Upstream;
    } else if (is_host(*text) || parse_host_port(*text)) {
        out.host_rewrite = HostRewriteKind::Literal;
        out.host_literal = *text;
    } else {
        ctx.error(node,
                  "must be `keep`, `upstream` or a host name (with an "
                  "optional :port), got `" +
                      *text + "`");
    }
}

void parse_rewrite_prefix(LoadContext& ctx, const YAML::Node& node, const RouteMatch& match,
                          ForwardAction& out) {
    auto text = read_name(ctx, node);
    if (!text) {
        return;
    }
    if (text->front() != '/' || !is_header_value(*text)) {
        ctx.error(node, "must be a path starting with `/`, got `" + *text + "`");
        return;
    }
    if (match.kind == PathMatchKind::Regex) {
        ctx.error(node, "needs a `prefix` or `path` match to replace");
        return;
    }
    out.rewrite_prefix = *text;
    out.has_rewrite_prefix = true;
}

void parse_upgrades(const Fields& fields, ForwardAction& out) {
    LoadContext& ctx = fields.context();
    fields.for_each("upgrades", [&](const YAML::Node& item) {
        auto text = read_name(ctx, item);
        if (!text) {
            return;
        }
        if (!is_http_token(*text)) {
            ctx.error(item, "invalid protocol name `" + *text + "`");
            return;
        }
        std::string protocol = to_lower(*text);
        if (std::find(out.upgrades.begin(), out.upgrades.end(), protocol) != out.upgrades.end()) {
            ctx.error(item, "`" + *text + "` is listed twice");
            return;
        }
        out.upgrades.push_back(std::move(protocol));
    });
}

std::optional<int> read_redirect_status(LoadContext& ctx, const YAML::Node& node) {
    auto status = read_uint(ctx, node, 100, 599);
    if (!status) {
        return std::nullopt;
    }
    if (*status != 301 && *status != 302 && *status != 303 && *status != 307 && *status != 308) {
        ctx.error(node, "must be 301, 302, 303, 307 or 308 for a redirect, got " +
                            std::to_string(*status));
        return std::nullopt;
    }
    return static_cast<int>(*status);
}

void parse_redirect_target(const Fields& fields, RedirectAction& out) {
    LoadContext& ctx = fields.context();
    auto read_scheme = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<std::string>(c, n, {{"http", "http"}, {"https", "https"}});
    };
    out.scheme = fields.read("scheme", read_scheme).value_or("");
    fields.with("host", [&](const YAML::Node& host) {
        auto text = read_name(ctx, host);
        if (text && !is_host(*text)) {
            ctx.error(host, "invalid host `" + *text + "` (write the port in `port`)");
        } else if (text) {
            out.host = *text;
        }
    });
    out.port = static_cast<uint16_t>(fields.read("port", uint_in(1, 65535)).value_or(0));
    fields.with("path", [&](const YAML::Node& path) {
        auto text = read_name(ctx, path);
        if (text && (text->front() != '/' || !is_header_value(*text))) {
            ctx.error(path, "must start with `/`, got `" + *text + "`");
        } else if (text) {
            out.path = *text;
        }
    });
}

// `cluster` or `weighted`: exactly one of them.
void parse_destination(const Fields& fields, ForwardAction& out, Draft& draft) {
    LoadContext& ctx = fields.context();
    const YAML::Node* cluster = fields.get("cluster");
    const YAML::Node* weighted = fields.get("weighted");
    if (cluster != nullptr && weighted != nullptr) {
        ctx.error(*weighted, "`cluster` and `weighted` cannot be used together");
        return;
    }
    if (weighted != nullptr) {
        parse_weighted(ctx, *weighted, out, draft);
        return;
    }
    if (fields.was_written("weighted")) {
        return;  // written but unusable (no value): already reported
    }
    cluster = fields.require("cluster");
    if (cluster == nullptr) {
        return;
    }
    if (auto name = fields.read("cluster", read_identifier)) {
        out.cluster = *name;
        draft.cluster_references.push_back(Reference{*name, ctx.mark(*cluster)});
    }
}

void parse_rewrites(const Fields& fields, const RouteMatch& match, ForwardAction& out) {
    LoadContext& ctx = fields.context();
    if (fields.get("rewrite_prefix") != nullptr && fields.get("rewrite_regex") != nullptr) {
        ctx.error(*fields.get("rewrite_regex"),
                  "`rewrite_prefix` and `rewrite_regex` cannot be used together");
        return;
    }
    fields.with("rewrite_prefix",
                [&](const YAML::Node& prefix) { parse_rewrite_prefix(ctx, prefix, match, out); });
    if (const YAML::Node* regex = fields.get("rewrite_regex")) {
        parse_rewrite_regex(ctx, *regex, out);
    }
}

}  // namespace

ForwardAction parse_forward(LoadContext& ctx, const YAML::Node& node, const RouteMatch& match,
                            Draft& draft) {
    Fields fields(ctx, node, "forward",
                  {"cluster", "weighted", "rewrite_prefix", "rewrite_regex", "host_rewrite",
                   "timeout", "per_try_timeout", "idle_timeout", "upgrades", "retries", "mirror"});
    ForwardAction out;
    parse_destination(fields, out, draft);
    parse_rewrites(fields, match, out);
    fields.with("host_rewrite",
                [&](const YAML::Node& host) { parse_host_rewrite(ctx, host, out); });
    out.timeout = fields.read("timeout", read_duration).value_or(out.timeout);
    out.per_try_timeout = fields.read("per_try_timeout", read_duration).value_or(Duration{0});
    out.idle_timeout = fields.read("idle_timeout", read_duration).value_or(Duration{0});
    parse_upgrades(fields, out);
    if (const YAML::Node* retries = fields.get("retries")) {
        parse_retries(ctx, *retries, out);
    }
    if (const YAML::Node* mirror = fields.get("mirror")) {
        parse_mirror(ctx, *mirror, out, draft);
    }
    return out;
}

RespondAction parse_respond(LoadContext& ctx, const YAML::Node& node) {
    Fields fields(ctx, node, "respond", {"status", "body", "content_type"});
    RespondAction out;
    auto status = fields.read("status", uint_in(100, 599));
    out.status = static_cast<int>(status.value_or(out.status));
    out.body = fields.read("body", read_string).value_or("");
    fields.with("content_type", [&](const YAML::Node& type) {
        auto text = read_name(ctx, type);
        if (text && !is_header_value(*text)) {
            ctx.error(type, "must not contain CR, LF or NUL");
        } else if (text) {
            out.content_type = *text;
        }
    });
    bool is_bodiless = out.status < 200 || out.status == 204 || out.status == 304;
    if (status && is_bodiless && !out.body.empty()) {
        ctx.error(*fields.get("body"),
                  "a " + std::to_string(out.status) + " response cannot have a body");
    }
    return out;
}

RedirectAction parse_redirect(LoadContext& ctx, const YAML::Node& node) {
    Fields fields(ctx, node, "redirect",
                  {"scheme", "host", "port", "path", "strip_query", "status"});
    RedirectAction out;
    if (!fields.is_mapping()) {
        return out;
    }
    parse_redirect_target(fields, out);
    out.strip_query = fields.read("strip_query", read_bool).value_or(false);
    out.status = fields.read("status", read_redirect_status).value_or(out.status);
    bool changes_something = fields.get("scheme") || fields.get("host") || fields.get("port") ||
                             fields.get("path") || fields.get("strip_query");
    if (!changes_something) {
        ctx.error(node,
                  "redirect needs at least one of `scheme`, `host`, `port`, `path` or "
                  "`strip_query`; otherwise it redirects to itself");
    }
    return out;
}

}  // namespace gantry::config
