#include <catch2/catch.hpp>

#include <gantry/proxy/shadow_request.h>

using gantry::proxy::shadow_host;

TEST_CASE("the shadow Host gets -shadow on its name, before any port", "[proxy][mirror]") {
    CHECK(shadow_host("api.example.com") == "api.example.com-shadow");
    CHECK(shadow_host("api.example.com:8080") == "api.example.com-shadow:8080");
    CHECK(shadow_host("10.0.0.1:80") == "10.0.0.1-shadow:80");
    CHECK(shadow_host("[::1]:80") == "[::1]-shadow:80");
    CHECK(shadow_host("[::1]") == "[::1]-shadow");
    CHECK(shadow_host("") == "-shadow");
}
