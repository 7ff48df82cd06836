// Fuzzes host and route matching against a fixed table. The input is newline-separated:
// authority, request-target (split at '?' into path and query), method, then "name: value"
// header lines. Besides not crashing, it checks the properties callers rely on: host matching
// ignores case, a matched route really matches and belongs to the matched host, and
// find_query_param returns a view into the query it was given.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include <gantry/config.h>
#include <gantry/http/message.h>
#include <gantry/router/route_table.h>

namespace {

using namespace gantry;

config::Route make_route(config::PathMatchKind kind, std::string path) {
    config::Route route;
    route.match.kind = kind;
    route.match.path = std::move(path);
    if (kind == config::PathMatchKind::Regex) {
        route.match.regex = std::make_shared<const re2::RE2>(route.match.path);
    }
    return route;
}

config::ValueMatcher matcher(std::string name, std::string value, bool is_regex) {
    config::ValueMatcher m;
    m.name = std::move(name);
    if (is_regex) {
        m.regex = std::make_shared<const re2::RE2>(value);
    } else {
        m.exact = std::move(value);
    }
    return m;
}

std::vector<config::Route> api_routes() {
    config::Route canary = make_route(config::PathMatchKind::Prefix, "/v1/");
    canary.match.methods = {"GET", "POST"};
    canary.match.headers = {matcher("x-canary", "1", false), matcher("x-ver", "v[0-9]+", true)};
    config::Route debug = make_route(config::PathMatchKind::Regex, "/users/[0-9]+(/.*)?");
    debug.match.query = {matcher("debug", "true", false), matcher("page", "[0-9]{1,3}", true)};
    return {canary, debug, make_route(config::PathMatchKind::Exact, "/healthz"),
            make_route(config::PathMatchKind::Prefix, "/")};
}

config::VirtualHostConfig vhost(std::string name, std::vector<std::string> domains,
                                std::vector<config::Route> routes, bool is_default = false) {
    config::VirtualHostConfig host;
    host.name = std::move(name);
    host.domains = std::move(domains);
    host.routes = std::move(routes);
    host.is_default = is_default;
    return host;
}

struct Table {
    config::ConfigSnapshot snapshot;
    config::ListenerConfig listener;
    std::unique_ptr<router::RouteTable> table;

    Table() {
        snapshot.virtual_hosts = {
            vhost("api", {"api.example.com", "[::1]"}, api_routes()),
            vhost("wild", {"*.example.com", "*.eu.example.com"}, api_routes()),
            vhost("prefix", {"www.*", "static.*"}, {make_route(config::PathMatchKind::Exact, "/")}),
            vhost("fallback", {"fallback.test"}, {make_route(config::PathMatchKind::Prefix, "/a")},
                  true),
        };
        listener.virtual_hosts = {"api", "wild", "prefix", "fallback"};
        table = std::make_unique<router::RouteTable>(snapshot, listener);
    }
};

const Table& fixed_table() {
    static const Table table;
    return table;
}

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

std::string_view next_line(std::string_view& input) {
    const size_t newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
    return line;
}

bool is_within(std::string_view inner, std::string_view outer) {
    return inner.data() >= outer.data() &&
           inner.data() + inner.size() <= outer.data() + outer.size();
}

void check_query(std::string_view query) {
    for (std::string_view key : {"debug", "page", "", "a", "debug=true"}) {
        const std::optional<std::string_view> value = router::find_query_param(query, key);
        check(!value || value->empty() || is_within(*value, query));
    }
}

void check_host_case(const router::RouteTable& table, std::string_view authority) {
    std::string upper(authority);
    for (char& c : upper) {
        c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
    }
    check(table.match_host(authority) == table.match_host(upper));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const router::RouteTable& table = *fixed_table().table;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::pmr::monotonic_buffer_resource arena;
    http::RequestHead head(&arena);
    head.authority = next_line(input);
    head.target = next_line(input);
    const size_t question = head.target.find('?');
    head.path = head.target.substr(0, question);
    head.query =
        question == std::string_view::npos ? std::string_view{} : head.target.substr(question + 1);
    head.method = next_line(input);
    while (!input.empty()) {
        const std::string_view line = next_line(input);
        const size_t colon = line.find(':');
        const std::string_view value =
            colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        head.headers.add(line.substr(0, colon), value.substr(value.starts_with(' ') ? 1 : 0));
    }

    const config::VirtualHostConfig* host = table.match_host(head.authority);
    const config::Route* route = table.match(head);
    if (route != nullptr) {
        check(host != nullptr);
        check(route >= host->routes.data() && route < host->routes.data() + host->routes.size());
        check(router::RouteTable::route_matches(*route, head));
    }
    check_host_case(table, head.authority);
    check_query(head.query);
    return 0;
}
