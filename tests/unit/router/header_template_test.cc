#include <catch2/catch.hpp>

#include <gantry/router/header_template.h>

using namespace gantry::router;

namespace {

std::string expand(std::string_view text) {
    HeaderVariables values;
    values.remote_addr = "10.1.2.3";
    values.request_id = "abc123";
    values.host = "api.example.com";
    values.scheme = "http";
    values.method = "GET";
    values.uri = "/users";
    std::pmr::string out;
    expand_header_template(text, values, out);
    return std::string(out);
}

}  // namespace

TEST_CASE("header values expand $name and ${name}", "[router][variables]") {
    CHECK(expand("$remote_addr") == "10.1.2.3");
    CHECK(expand("id=${request_id};") == "id=abc123;");
    CHECK(expand("$scheme://$host$uri") == "http://api.example.com/users");
    CHECK(expand("$request_method") == "GET");
    CHECK(expand("plain text") == "plain text");
    CHECK(expand("cost: $$5") == "cost: $5");
    CHECK(expand("${host}name") == "api.example.comname");
}

TEST_CASE("header templates with unknown or broken variables are rejected", "[router][variables]") {
    CHECK(check_header_template("plain").empty());
    CHECK(check_header_template("$remote_addr and ${request_id} $$").empty());
    CHECK(check_header_template("$nope") ==
          "unknown variable `$nope`; known: $remote_addr, $request_id, $host, $scheme, "
          "$request_method, $uri");
    CHECK(check_header_template("${host").rfind("`$` must start a variable", 0) == 0);
    CHECK(check_header_template("5 $").rfind("`$` must start a variable", 0) == 0);
    CHECK(check_header_template("${}").rfind("`$` must start a variable", 0) == 0);
    // A $name stops at the first character that cannot be in a name.
    CHECK(check_header_template("$host-suffix").empty());
    CHECK(expand("$host-suffix") == "api.example.com-suffix");
}
