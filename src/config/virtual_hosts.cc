// One item of `virtual_hosts:`.

#include <algorithm>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

constexpr std::string_view kWildcardRule =
    "may only have `*` as its first or last label (`*.example.com`, `api.*`)";

// Why a domain pattern is unusable, or empty when it is fine. Patterns are lower-case already.
std::string domain_problem(const std::string& domain) {
    if (domain == "*") {
        return {};
    }
    bool is_bracketed = !domain.empty() && domain.front() == '[';
    if (!is_bracketed && domain.find(':') != std::string::npos) {
        return "must not include a port (the Host header is matched without its port)";
    }
    if (domain.find('*') == std::string::npos) {
        return is_host(domain) ? std::string() : "is not a valid host name";
    }
    std::string_view view(domain);
    std::string_view rest;
    if (view.starts_with("*.")) {
        rest = view.substr(2);
    } else if (view.ends_with(".*")) {
        rest = view.substr(0, view.size() - 2);
    } else {
        return std::string(kWildcardRule);
    }
    if (rest.find('*') != std::string_view::npos || !is_hostname(rest)) {
        return std::string(kWildcardRule);
    }
    return {};
}

void parse_domains(const Fields& fields, VirtualHostConfig& host, VirtualHostMarks& marks) {
    LoadContext& ctx = fields.context();
    fields.for_each("domains", [&](const YAML::Node& item) {
        auto text = read_name(ctx, item);
        if (!text) {
            return;
        }
        std::string domain = to_lower(*text);
        if (std::string problem = domain_problem(domain); !problem.empty()) {
            ctx.error(item, "`" + *text + "` " + problem);
            return;
        }
        if (std::find(host.domains.begin(), host.domains.end(), domain) != host.domains.end()) {
            ctx.error(item, "`" + *text + "` is listed twice");
            return;
        }
        host.domains.push_back(std::move(domain));
        marks.domains.push_back(ctx.mark(item));
    });
}

}  // namespace

void parse_virtual_host(LoadContext& ctx, const YAML::Node& node, Draft& draft) {
    Fields fields(ctx, node, "virtual host", {"name", "domains", "default", "routes"});
    if (!fields.is_mapping()) {
        return;
    }
    VirtualHostConfig host;
    VirtualHostMarks marks;
    marks.name = ctx.mark(node);
    if (const YAML::Node* name = fields.require("name")) {
        marks.name = ctx.mark(*name);
        host.name = fields.read("name", read_identifier).value_or("");
    }
    parse_domains(fields, host, marks);
    auto is_default = fields.read("default", read_bool);
    host.is_default = is_default.value_or(false);
    const YAML::Node* domains = fields.get("domains");
    bool has_no_domains = domains == nullptr || (domains->IsSequence() && domains->size() == 0);
    // An invalid `default` is reported already; guessing that it meant false would add noise.
    if (has_no_domains && !host.is_default && (is_default || fields.get("default") == nullptr)) {
        ctx.error(node,
                  "virtual host has no `domains` and is not `default: true`, so no "
                  "request can reach it");
    }
    fields.for_each_section("routes", [&](const YAML::Node& item) {
        Route route;
        parse_route(ctx, item, route, draft);
        host.routes.push_back(std::move(route));
    });
    draft.snapshot.virtual_hosts.push_back(std::move(host));
    draft.virtual_host_marks.push_back(std::move(marks));
}

}  // namespace gantry::config
