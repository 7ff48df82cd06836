// One route of a virtual host: its match, its action and its header mutations.

#include <algorithm>
#include <array>

#include <gantry/router/header_template.h>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

// Headers that carry framing or connection state; gantry writes these itself.
constexpr std::array<std::string_view, 8> kManagedHeaders = {
    "connection", "content-length", "keep-alive",        "proxy-connection",
    "te",         "trailer",        "transfer-encoding", "upgrade"};

constexpr std::array<std::string_view, 3> kActions = {"forward", "respond", "redirect"};
constexpr std::array<std::string_view, 3> kPathKinds = {"prefix", "path", "regex"};

// Returns the key of the one entry of `keys` that is present; reports none or several.
std::optional<std::string_view> pick_one(const Fields& fields,
                                         const std::array<std::string_view, 3>& keys,
                                         const std::string& none_message) {
    std::optional<std::string_view> picked;
    for (std::string_view key : keys) {
        const YAML::Node* value = fields.get(key);
        if (value == nullptr) {
            continue;
        }
        if (picked) {
            fields.context().error(*value, "`" + std::string(*picked) + "` and `" +
                                               std::string(key) + "` cannot be used together");
            continue;
        }
        picked = key;
    }
    if (!picked && fields.is_mapping()) {
        fields.context().error(fields.node(), none_message);
    }
    return picked;
}

std::optional<std::string> read_header_name(LoadContext& ctx, const YAML::Node& node) {
    auto text = read_name(ctx, node);
    if (text && !is_http_token(*text)) {
        ctx.error(node, "invalid header name `" + *text + "`");
        return std::nullopt;
    }
    return text ? std::optional(to_lower(*text)) : std::nullopt;
}

void parse_path_match(LoadContext& ctx, const Fields& fields, RouteMatch& match) {
    auto kind = pick_one(fields, kPathKinds, "match needs one of `prefix`, `path` or `regex`");
    if (!kind) {
        return;
    }
    const YAML::Node& value = *fields.get(*kind);
    LoadContext::KeyScope scope(ctx, *kind);
    auto text = read_name(ctx, value);
    if (!text) {
        return;
    }
    match.path = *text;
    if (*kind == "regex") {
        match.kind = PathMatchKind::Regex;
        match.regex = compile_regex(ctx, value, *text);
        return;
    }
    match.kind = *kind == "prefix" ? PathMatchKind::Prefix : PathMatchKind::Exact;
    if (text->front() != '/') {
        ctx.error(value, "must start with `/`, got `" + *text + "`");
    }
}

void parse_methods(const Fields& fields, RouteMatch& match) {
    LoadContext& ctx = fields.context();
    fields.for_each("methods", [&](const YAML::Node& item) {
        auto text = read_name(ctx, item);
        if (text && !is_http_token(*text)) {
            ctx.error(item, "invalid method `" + *text + "`");
        } else if (text) {
            match.methods.push_back(to_upper(*text));
        }
    });
}

// `headers:` and `query:` of a match: exact values, or RE2 full matches written "~regex".
void parse_value_matchers(LoadContext& ctx, const YAML::Node& node, bool is_header,
                          std::vector<ValueMatcher>& out) {
    for_each_entry(ctx, node, [&](const YAML::Node& key, const YAML::Node& value) {
        auto name = is_header ? read_header_name(ctx, key) : read_name(ctx, key);
        auto text = read_string(ctx, value);
        if (!name || !text) {
            return;
        }
        bool is_duplicate = std::any_of(out.begin(), out.end(),
                                        [&](const ValueMatcher& m) { return m.name == *name; });
        if (is_duplicate) {
            ctx.error(key, "`" + key.Scalar() + "` is matched twice");
            return;
        }
        ValueMatcher matcher{*name, *text, nullptr};
        if (!text->empty() && text->front() == '~') {
            matcher.exact.clear();
            matcher.regex = compile_regex(ctx, value, text->substr(1));
        }
        out.push_back(std::move(matcher));
    });
}

void parse_match(LoadContext& ctx, const YAML::Node& node, RouteMatch& match) {
    Fields fields(ctx, node, "route match",
                  {"prefix", "path", "regex", "methods", "headers", "query"});
    parse_path_match(ctx, fields, match);
    parse_methods(fields, match);
    fields.with("headers", [&](const YAML::Node& headers) {
        parse_value_matchers(ctx, headers, true, match.headers);
    });
    fields.with("query", [&](const YAML::Node& query) {
        parse_value_matchers(ctx, query, false, match.query);
    });
}

std::optional<std::string> read_mutable_header(LoadContext& ctx, const YAML::Node& node,
                                               bool is_request) {
    auto name = read_header_name(ctx, node);
    if (!name) {
        return std::nullopt;
    }
    if (std::find(kManagedHeaders.begin(), kManagedHeaders.end(), *name) != kManagedHeaders.end()) {
        ctx.error(node, "`" + *name + "` is managed by gantry and cannot be changed here");
        return std::nullopt;
    }
    if (is_request && *name == "host") {
        ctx.error(node, "`host` cannot be changed here; use `forward.host_rewrite`");
        return std::nullopt;
    }
    return name;
}

void parse_header_values(LoadContext& ctx, const YAML::Node& node, bool is_request,
                         bool allow_repeats,
                         std::vector<std::pair<std::string, std::string>>& out) {
    for_each_entry(ctx, node, [&](const YAML::Node& key, const YAML::Node& value) {
        auto name = read_mutable_header(ctx, key, is_request);
        auto text = read_string(ctx, value);
        if (text && !is_header_value(*text)) {
            ctx.error(value, "header values must not contain CR, LF or NUL");
            return;
        }
        if (text) {
            if (std::string why = router::check_header_template(*text); !why.empty()) {
                ctx.error(value, why);
                return;
            }
        }
        if (!name || !text) {
            return;
        }
        auto same_name = [&](const auto& entry) {
            return entry.first == *name;
        };
        if (!allow_repeats && std::any_of(out.begin(), out.end(), same_name)) {
            ctx.error(key, "header `" + *name + "` is set twice");
            return;
        }
        out.emplace_back(std::move(*name), std::move(*text));
    });
}

void parse_header_mutation(LoadContext& ctx, const YAML::Node& node, bool is_request,
                           HeaderMutation& out) {
    Fields fields(ctx, node, is_request ? "request_headers" : "response_headers",
                  {"set", "add", "remove"});
    fields.with("set", [&](const YAML::Node& set) {
        parse_header_values(ctx, set, is_request, false, out.set);
    });
    fields.with("add", [&](const YAML::Node& add) {
        parse_header_values(ctx, add, is_request, true, out.add);
    });
    fields.for_each("remove", [&](const YAML::Node& item) {
        if (auto name = read_mutable_header(ctx, item, is_request)) {
            out.remove.push_back(std::move(*name));
        }
    });
}

void parse_action(const Fields& fields, Route& route, Draft& draft) {
    LoadContext& ctx = fields.context();
    auto kind = pick_one(fields, kActions, "route needs one of `forward`, `respond` or `redirect`");
    if (!kind) {
        return;
    }
    const YAML::Node& value = *fields.get(*kind);
    if (*kind == "forward") {
        route.action = parse_forward(ctx, value, route.match, draft);
    } else if (*kind == "respond") {
        route.action = parse_respond(ctx, value);
    } else {
        route.action = parse_redirect(ctx, value);
    }
}

}  // namespace

void parse_route(LoadContext& ctx, const YAML::Node& node, Route& route, Draft& draft) {
    Fields fields(
        ctx, node, "route",
        {"match", "forward", "respond", "redirect", "request_headers", "response_headers"},
        {"filters"});
    if (!fields.is_mapping()) {
        return;
    }
    if (const YAML::Node* match = fields.require("match")) {
        parse_match(ctx, *match, route.match);
    }
    parse_action(fields, route, draft);
    if (const YAML::Node* headers = fields.get("request_headers")) {
        parse_header_mutation(ctx, *headers, true, route.request_headers);
    }
    if (const YAML::Node* headers = fields.get("response_headers")) {
        parse_header_mutation(ctx, *headers, false, route.response_headers);
    }
}

}  // namespace gantry::config
