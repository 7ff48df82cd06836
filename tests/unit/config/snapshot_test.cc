#include <catch2/catch.hpp>

#include <gantry/config.h>

using namespace gantry::config;

TEST_CASE("a diagnostic prints as FILE:LINE:COL: message", "[config]") {
    CHECK(Diagnostic{"gantry.yaml", 12, 7, "unknown key `x` in listener"}.to_string() ==
          "gantry.yaml:12:7: unknown key `x` in listener");
}

TEST_CASE("a diagnostic about a whole file prints without a position", "[config]") {
    CHECK(
        Diagnostic{"gantry.yaml", 0, 0, "cannot read config file: Permission denied"}.to_string() ==
        "gantry.yaml: cannot read config file: Permission denied");
}

TEST_CASE("find_cluster and find_virtual_host look names up exactly", "[config]") {
    ConfigSnapshot snapshot;
    snapshot.clusters.resize(2);
    snapshot.clusters[0].name = "api";
    snapshot.clusters[1].name = "web";
    snapshot.virtual_hosts.resize(1);
    snapshot.virtual_hosts[0].name = "site";

    CHECK(snapshot.find_cluster("web") == &snapshot.clusters[1]);
    CHECK(snapshot.find_cluster("API") == nullptr);
    CHECK(snapshot.find_cluster("") == nullptr);
    CHECK(snapshot.find_virtual_host("site") == &snapshot.virtual_hosts[0]);
    CHECK(snapshot.find_virtual_host("other") == nullptr);
}
