#include <catch2/catch.hpp>

#include <gantry/tls/sni_table.h>

using gantry::tls::SniTable;

TEST_CASE("an exact server name finds its certificate group, in any case", "[tls][sni]") {
    SniTable table;
    table.add("a.example.com", 0);
    table.add("B.example.com", 1);
    CHECK(table.find("a.example.com") == 0u);
    CHECK(table.find("A.EXAMPLE.COM") == 0u);
    CHECK(table.find("b.example.com") == 1u);
    CHECK(table.find("b.example.com.") == 1u);
    CHECK_FALSE(table.find("c.example.com"));
    CHECK_FALSE(table.find(""));
}

TEST_CASE("a wildcard covers exactly one more label and loses to an exact name", "[tls][sni]") {
    SniTable table;
    table.add("*.example.com", 0);
    table.add("www.example.com", 1);
    CHECK(table.find("api.example.com") == 0u);
    CHECK(table.find("www.example.com") == 1u);
    CHECK_FALSE(table.find("example.com"));
    CHECK_FALSE(table.find("a.b.example.com"));
    CHECK_FALSE(table.find(".example.com"));
}

TEST_CASE("the certificate listed first keeps a name that two certificates share", "[tls][sni]") {
    SniTable table;
    table.add("a.test", 0);
    table.add("a.test", 1);
    table.add("*.test", 1);
    table.add("*.test", 2);
    CHECK(table.find("a.test") == 0u);
    CHECK(table.find("z.test") == 1u);
}

TEST_CASE("partial wildcards and overlong names match nothing", "[tls][sni]") {
    SniTable table;
    table.add("f*o.example.com", 0);
    table.add("*", 1);
    CHECK_FALSE(table.find("foo.example.com"));
    CHECK_FALSE(table.find("anything"));
    CHECK(table.empty());
    table.add("a.test", 2);
    CHECK_FALSE(table.find(std::string(300, 'a') + ".test"));
}
