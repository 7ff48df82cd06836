#include <memory>

#include <catch2/catch.hpp>
#include <re2/re2.h>

#include <gantry/router/path_rewrite.h>

using namespace gantry;

namespace {

config::RegexRewrite rewrite(const std::string& pattern, const std::string& substitution) {
    return {std::make_shared<const re2::RE2>(pattern), substitution};
}

}  // namespace

TEST_CASE("rewrite_regex replaces every match and keeps the query", "[router][rewrite]") {
    auto groups = rewrite("^/service/([^/]+)(/.*)$", "\\2/instance/\\1");
    CHECK(router::rewrite_path_regex(groups, "/service/foo/v1/api", "") == "/v1/api/instance/foo");
    CHECK(router::rewrite_path_regex(groups, "/service/foo/v1/api", "a=1") ==
          "/v1/api/instance/foo?a=1");
    auto every = rewrite("o", "0");
    CHECK(router::rewrite_path_regex(every, "/foo/boo", "") == "/f00/b00");
    auto none = rewrite("xyz", "abc");
    CHECK(router::rewrite_path_regex(none, "/same", "q") == "/same?q");
}

TEST_CASE("a rewritten path always starts with a slash", "[router][rewrite]") {
    auto strip = rewrite("^/api/", "");
    CHECK(router::rewrite_path_regex(strip, "/api/users", "") == "/users");
    auto all = rewrite("^.*$", "");
    CHECK(router::rewrite_path_regex(all, "/anything", "") == "/");
}
