#include <memory>
#include <memory_resource>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <re2/re2.h>

#include <gantry/config.h>
#include <gantry/http/message.h>
#include <gantry/router/route_table.h>

using gantry::config::ConfigSnapshot;
using gantry::config::ListenerConfig;
using gantry::config::PathMatchKind;
using gantry::config::Route;
using gantry::config::ValueMatcher;
using gantry::config::VirtualHostConfig;
using gantry::http::RequestHead;
using gantry::router::find_query_param;
using gantry::router::RouteTable;

namespace {

VirtualHostConfig vhost(std::string name, std::vector<std::string> domains,
                        bool is_default = false) {
    VirtualHostConfig host;
    host.name = std::move(name);
    host.domains = std::move(domains);
    host.is_default = is_default;
    return host;
}

// A snapshot holding `hosts` and a listener that lists `order` (every host when empty).
struct Fixture {
    ConfigSnapshot snapshot;
    ListenerConfig listener;

    Fixture(std::vector<VirtualHostConfig> hosts, std::vector<std::string> order = {}) {
        snapshot.virtual_hosts = std::move(hosts);
        if (order.empty()) {
            for (const VirtualHostConfig& host : snapshot.virtual_hosts) {
                order.push_back(host.name);
            }
        }
        listener.virtual_hosts = std::move(order);
    }

    RouteTable table() const { return RouteTable(snapshot, listener); }
};

// The name of the virtual host chosen for `authority`, or "none".
std::string host_for(const RouteTable& table, std::string_view authority) {
    const VirtualHostConfig* host = table.match_host(authority);
    return host != nullptr ? host->name : "none";
}

Route route(PathMatchKind kind, std::string path) {
    Route r;
    r.match.kind = kind;
    r.match.path = std::move(path);
    if (kind == PathMatchKind::Regex) {
        r.match.regex = std::make_shared<const re2::RE2>(r.match.path);
    }
    return r;
}

ValueMatcher exact(std::string name, std::string value) {
    ValueMatcher matcher;
    matcher.name = std::move(name);
    matcher.exact = std::move(value);
    return matcher;
}

ValueMatcher regex(std::string name, const std::string& pattern) {
    ValueMatcher matcher;
    matcher.name = std::move(name);
    matcher.regex = std::make_shared<const re2::RE2>(pattern);
    return matcher;
}

// Header bytes live in an arena, as they do for a real stream (HeaderMap never frees them).
std::pmr::memory_resource* arena() {
    static std::pmr::monotonic_buffer_resource resource;
    return &resource;
}

RequestHead request(std::string_view method, std::string_view path, std::string_view query = {}) {
    RequestHead head(arena());
    head.method = method;
    head.path = path;
    head.query = query;
    head.authority = "example.com";
    return head;
}

}  // namespace

TEST_CASE("match_host prefers exact, then longest suffix, prefix, any and default", "[router]") {
    Fixture f({vhost("exact", {"api.example.com"}), vhost("suffix", {"*.example.com"}),
               vhost("long_suffix", {"*.eu.example.com"}), vhost("prefix", {"api.*"}),
               vhost("long_prefix", {"api.eu.*"}), vhost("any", {"*"}),
               vhost("fallback", {"fallback.test"}, true)});
    const RouteTable table = f.table();
    CHECK(host_for(table, "api.example.com") == "exact");
    CHECK(host_for(table, "www.example.com") == "suffix");
    CHECK(host_for(table, "x.eu.example.com") == "long_suffix");
    CHECK(host_for(table, "api.eu.example.com") == "long_suffix");  // suffix beats prefix
    CHECK(host_for(table, "api.example.org") == "prefix");
    CHECK(host_for(table, "api.eu.example.org") == "long_prefix");
    CHECK(host_for(table, "elsewhere.test") == "any");
    CHECK(host_for(table, "fallback.test") == "fallback");
}

TEST_CASE("match_host falls back to the default host, then to nothing", "[router]") {
    Fixture with_default({vhost("a", {"a.test"}), vhost("b", {"b.test"}, true)});
    CHECK(host_for(with_default.table(), "c.test") == "b");
    CHECK(host_for(with_default.table(), "") == "b");

    Fixture without_default({vhost("a", {"a.test"})});
    CHECK(host_for(without_default.table(), "c.test") == "none");
    CHECK(host_for(without_default.table(), "") == "none");
}

TEST_CASE("match_host wildcards stand for at least one character", "[router]") {
    Fixture f({vhost("suffix", {"*.example.com"}), vhost("prefix", {"api.*"})});
    const RouteTable table = f.table();
    CHECK(host_for(table, "example.com") == "none");
    CHECK(host_for(table, ".example.com") == "none");
    CHECK(host_for(table, "a.b.example.com") == "suffix");
    CHECK(host_for(table, "api.") == "none");
    CHECK(host_for(table, "api") == "none");
    CHECK(host_for(table, "api.x") == "prefix");
    CHECK(host_for(table, "badexample.com") == "none");
}

TEST_CASE("match_host ignores ASCII case", "[router]") {
    Fixture f({vhost("exact", {"api.example.com"}), vhost("suffix", {"*.example.com"}),
               vhost("prefix", {"api.*"}), vhost("mixed", {"Mixed.Example.ORG"})});
    const RouteTable table = f.table();
    CHECK(host_for(table, "API.Example.COM") == "exact");
    CHECK(host_for(table, "WWW.EXAMPLE.COM") == "suffix");
    CHECK(host_for(table, "Api.Example.Net") == "prefix");
    CHECK(host_for(table, "mixed.example.org") == "mixed");
}

TEST_CASE("match_host ignores the port of the authority", "[router]") {
    Fixture f({vhost("exact", {"api.example.com"}), vhost("suffix", {"*.example.com"}),
               vhost("prefix", {"api.*"}), vhost("ip", {"10.0.0.1"})});
    const RouteTable table = f.table();
    CHECK(host_for(table, "api.example.com:8080") == "exact");
    CHECK(host_for(table, "www.example.com:443") == "suffix");
    CHECK(host_for(table, "api.test:80") == "prefix");
    CHECK(host_for(table, "10.0.0.1:8080") == "ip");
    CHECK(host_for(table, "api.example.com:") == "exact");
}

TEST_CASE("match_host handles IPv6 literals with and without a port", "[router]") {
    Fixture f(
        {vhost("loopback", {"[::1]"}), vhost("bare", {"2001:DB8::1"}), vhost("other", {"*"})});
    const RouteTable table = f.table();
    CHECK(host_for(table, "[::1]:80") == "loopback");
    CHECK(host_for(table, "[::1]") == "loopback");
    CHECK(host_for(table, "[2001:db8::1]:8443") == "bare");
    CHECK(host_for(table, "[::2]:80") == "other");
    CHECK(host_for(table, "[::1") == "other");
}

TEST_CASE("match_host treats a trailing dot as the same host", "[router]") {
    Fixture f({vhost("exact", {"api.example.com"})});
    CHECK(host_for(f.table(), "api.example.com.") == "exact");
    CHECK(host_for(f.table(), "api.example.com.:8080") == "exact");
}

TEST_CASE("match_host breaks ties by the listener's virtual host order", "[router]") {
    Fixture f({vhost("first_in_file", {"dup.test", "*.wild.test", "*"}),
               vhost("first_in_listener", {"dup.test", "*.wild.test", "*"}, true),
               vhost("later_default", {"x.test"}, true)},
              {"first_in_listener", "first_in_file", "later_default"});
    const RouteTable table = f.table();
    CHECK(host_for(table, "dup.test") == "first_in_listener");
    CHECK(host_for(table, "a.wild.test") == "first_in_listener");
    CHECK(host_for(table, "nothing.test") == "first_in_listener");
}

TEST_CASE("match_host only sees the listener's virtual hosts", "[router]") {
    Fixture f({vhost("listed", {"listed.test"}), vhost("unlisted", {"unlisted.test"}, true)},
              {"listed", "missing"});
    const RouteTable table = f.table();
    CHECK(host_for(table, "listed.test") == "listed");
    CHECK(host_for(table, "unlisted.test") == "none");
}

TEST_CASE("a prefix route matches a byte prefix of the path only", "[router]") {
    const Route r = route(PathMatchKind::Prefix, "/api/");
    CHECK(RouteTable::route_matches(r, request("GET", "/api/")));
    CHECK(RouteTable::route_matches(r, request("GET", "/api/users")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/api")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/API/users")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/v1/api/")));
    // The query is not part of the path.
    const Route with_query = route(PathMatchKind::Prefix, "/a?x");
    CHECK_FALSE(RouteTable::route_matches(with_query, request("GET", "/a", "x=1")));
    CHECK(RouteTable::route_matches(route(PathMatchKind::Prefix, ""), request("GET", "/")));
}

TEST_CASE("a path route matches the exact path only", "[router]") {
    const Route r = route(PathMatchKind::Exact, "/healthz");
    CHECK(RouteTable::route_matches(r, request("GET", "/healthz")));
    CHECK(RouteTable::route_matches(r, request("GET", "/healthz", "verbose=1")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/healthz/")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/health")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/Healthz")));
}

TEST_CASE("a regex route needs a full match of the path", "[router]") {
    const Route r = route(PathMatchKind::Regex, "/users/[0-9]+");
    CHECK(RouteTable::route_matches(r, request("GET", "/users/42")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/users/42/posts")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/v1/users/42")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/users/abc")));

    Route without_regex = route(PathMatchKind::Regex, "/x");
    without_regex.match.regex = nullptr;
    CHECK_FALSE(RouteTable::route_matches(without_regex, request("GET", "/x")));
}

TEST_CASE("a route with methods matches any one of them", "[router]") {
    Route r = route(PathMatchKind::Prefix, "/");
    r.match.methods = {"GET", "POST"};
    CHECK(RouteTable::route_matches(r, request("GET", "/")));
    CHECK(RouteTable::route_matches(r, request("POST", "/")));
    CHECK_FALSE(RouteTable::route_matches(r, request("PUT", "/")));
    CHECK_FALSE(RouteTable::route_matches(r, request("get", "/")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GETX", "/")));
}

TEST_CASE("header matchers need a field of that name with a matching value", "[router]") {
    Route r = route(PathMatchKind::Prefix, "/");
    r.match.headers = {exact("x-canary", "1"), regex("x-version", "v[0-9]+")};

    RequestHead head = request("GET", "/");
    head.headers.add("X-Canary", "1");
    head.headers.add("x-version", "v12");
    CHECK(RouteTable::route_matches(r, head));

    RequestHead missing = request("GET", "/");
    missing.headers.add("x-canary", "1");
    CHECK_FALSE(RouteTable::route_matches(r, missing));

    RequestHead partial_regex = request("GET", "/");
    partial_regex.headers.add("x-canary", "1");
    partial_regex.headers.add("x-version", "v12-beta");
    CHECK_FALSE(RouteTable::route_matches(r, partial_regex));

    RequestHead wrong_value = request("GET", "/");
    wrong_value.headers.add("x-canary", "10");
    wrong_value.headers.add("x-version", "v1");
    CHECK_FALSE(RouteTable::route_matches(r, wrong_value));
}

TEST_CASE("a header matcher accepts any one of repeated fields", "[router]") {
    Route r = route(PathMatchKind::Prefix, "/");
    r.match.headers = {exact("x-tag", "b")};
    RequestHead head = request("GET", "/");
    head.headers.add("x-tag", "a");
    head.headers.add("X-TAG", "b");
    CHECK(RouteTable::route_matches(r, head));

    r.match.headers = {exact("x-empty", "")};
    RequestHead empty_value = request("GET", "/");
    empty_value.headers.add("x-empty", "");
    CHECK(RouteTable::route_matches(r, empty_value));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/")));
}

TEST_CASE("query matchers need the parameter with a matching value", "[router]") {
    Route r = route(PathMatchKind::Prefix, "/");
    r.match.query = {exact("debug", "true"), regex("page", "[0-9]{1,3}")};
    CHECK(RouteTable::route_matches(r, request("GET", "/", "page=7&debug=true")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/", "debug=true")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/", "debug=TRUE&page=7")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/", "debug=true&page=1234")));
    CHECK_FALSE(RouteTable::route_matches(r, request("GET", "/", "")));

    Route flag = route(PathMatchKind::Prefix, "/");
    flag.match.query = {exact("flag", "")};
    CHECK(RouteTable::route_matches(flag, request("GET", "/", "a=1&flag")));
    CHECK(RouteTable::route_matches(flag, request("GET", "/", "flag=")));
    CHECK_FALSE(RouteTable::route_matches(flag, request("GET", "/", "flags")));
}

TEST_CASE("a route matches only when path, methods, headers and query all match", "[router]") {
    Route r = route(PathMatchKind::Prefix, "/v1/");
    r.match.methods = {"POST"};
    r.match.headers = {exact("x-canary", "1")};
    r.match.query = {exact("debug", "true")};

    const auto head = [](std::string_view method, std::string_view path, std::string_view query,
                         bool canary) {
        RequestHead h = request(method, path, query);
        if (canary) {
            h.headers.add("x-canary", "1");
        }
        return h;
    };
    CHECK(RouteTable::route_matches(r, head("POST", "/v1/x", "debug=true", true)));
    CHECK_FALSE(RouteTable::route_matches(r, head("GET", "/v1/x", "debug=true", true)));
    CHECK_FALSE(RouteTable::route_matches(r, head("POST", "/v2/x", "debug=true", true)));
    CHECK_FALSE(RouteTable::route_matches(r, head("POST", "/v1/x", "debug=false", true)));
    CHECK_FALSE(RouteTable::route_matches(r, head("POST", "/v1/x", "debug=true", false)));
}

TEST_CASE("match returns the first matching route in file order", "[router]") {
    VirtualHostConfig host = vhost("site", {"example.com"});
    Route post_only = route(PathMatchKind::Prefix, "/api/");
    post_only.match.methods = {"POST"};
    host.routes = {post_only, route(PathMatchKind::Exact, "/api/status"),
                   route(PathMatchKind::Prefix, "/api/"), route(PathMatchKind::Prefix, "/")};
    Fixture f({host});
    const RouteTable table = f.table();
    const std::vector<Route>& routes = f.snapshot.virtual_hosts[0].routes;

    CHECK(table.match(request("POST", "/api/status")) == &routes[0]);
    CHECK(table.match(request("GET", "/api/status")) == &routes[1]);
    CHECK(table.match(request("GET", "/api/users")) == &routes[2]);
    CHECK(table.match(request("GET", "/index.html")) == &routes[3]);
}

TEST_CASE("match uses the virtual host of the request's authority", "[router]") {
    VirtualHostConfig api = vhost("api", {"api.example.com"});
    api.routes = {route(PathMatchKind::Prefix, "/")};
    VirtualHostConfig www = vhost("www", {"www.example.com"});
    www.routes = {route(PathMatchKind::Exact, "/")};
    Fixture f({api, www});
    const RouteTable table = f.table();

    RequestHead head = request("GET", "/about");
    head.authority = "API.example.com:8443";
    CHECK(table.match(head) == &f.snapshot.virtual_hosts[0].routes[0]);
    head.authority = "www.example.com";
    CHECK(table.match(head) == nullptr);  // host found, no route
    head.path = "/";
    CHECK(table.match(head) == &f.snapshot.virtual_hosts[1].routes[0]);
    head.authority = "unknown.example.com";
    CHECK(table.match(head) == nullptr);  // no host
}

TEST_CASE("find_query_param finds values as they appear", "[router]") {
    CHECK(find_query_param("a=1&b=2", "a") == "1");
    CHECK(find_query_param("a=1&b=2", "b") == "2");
    CHECK(find_query_param("a=1&b=2", "c") == std::nullopt);
    CHECK(find_query_param("ab=1&a=2", "a") == "2");
    CHECK(find_query_param("a=b=c", "a") == "b=c");
    CHECK(find_query_param("a%20b=x%20y", "a%20b") == "x%20y");
    CHECK(find_query_param("A=1", "a") == std::nullopt);
}

TEST_CASE("find_query_param handles empty, repeated and bare keys", "[router]") {
    CHECK(find_query_param("", "a") == std::nullopt);
    CHECK(find_query_param("", "") == std::nullopt);
    CHECK(find_query_param("a=1&a=2", "a") == "1");
    CHECK(find_query_param("flag", "flag") == "");
    CHECK(find_query_param("x=1&flag&y=2", "flag") == "");
    CHECK(find_query_param("a=", "a") == "");
    CHECK(find_query_param("&&a=1&", "a") == "1");
    CHECK(find_query_param("a=1&&", "") == std::nullopt);
    CHECK(find_query_param("=v", "") == "v");
    CHECK(find_query_param("&", "a") == std::nullopt);
}
