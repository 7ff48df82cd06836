#include <catch2/catch.hpp>

#include <gantry/tls/connection_info.h>

using gantry::tls::xfcc_value;

TEST_CASE("an XFCC value is quoted only when it holds a separator", "[tls][xfcc]") {
    CHECK(xfcc_value("spiffe://test/a") == "spiffe://test/a");
    CHECK(xfcc_value("a.example.com") == "a.example.com");
    CHECK(xfcc_value("CN=x,O=y") == "\"CN=x,O=y\"");
    CHECK(xfcc_value("a;b") == "\"a;b\"");
    CHECK(xfcc_value("say \"hi\"") == "\"say \\\"hi\\\"\"");
}
