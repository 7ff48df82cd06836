#include <catch2/catch.hpp>

#include <gantry/config.h>
#include <gantry/proxy/router_filter.h>

using gantry::config::RedirectAction;
using gantry::proxy::build_redirect_location;

TEST_CASE("a scheme redirect keeps host, path and query and drops the old port", "[router]") {
    RedirectAction action;
    action.scheme = "https";
    CHECK(build_redirect_location(action, "http", "example.com:8080", "/a/b", "x=1") ==
          "https://example.com/a/b?x=1");
}

TEST_CASE("a redirect without a scheme keeps the port", "[router]") {
    RedirectAction action;
    action.path = "/new";
    CHECK(build_redirect_location(action, "http", "example.com:8080", "/old", "") ==
          "http://example.com:8080/new");
}

TEST_CASE("a redirect sets host, port and strips the query when asked", "[router]") {
    RedirectAction action;
    action.host = "other.example";
    action.port = 8443;
    action.strip_query = true;
    CHECK(build_redirect_location(action, "http", "example.com", "/p", "q=1") ==
          "http://other.example:8443/p");
}

TEST_CASE("a redirect handles IPv6 authorities", "[router]") {
    RedirectAction action;
    CHECK(build_redirect_location(action, "http", "[::1]:8080", "/", "") == "http://[::1]:8080/");
    CHECK(build_redirect_location(action, "http", "[::1]", "/", "") == "http://[::1]/");
}
