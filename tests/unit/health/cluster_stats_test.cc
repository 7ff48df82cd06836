#include <catch2/catch.hpp>

#include <gantry/config/generation.h>
#include <gantry/health/cluster_stats.h>

namespace {

const char* kConfig = R"(listeners:
  - { name: main, listen: ["127.0.0.1:18080"], virtual_hosts: [main] }
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: api }
clusters:
  - name: api
    endpoints:
      - { address: "10.0.0.1:80", weight: 3, zone: a }
      - { address: "10.0.0.2:80", priority: 1 }
)";

std::shared_ptr<const gantry::config::Generation> build(
    const gantry::config::Generation* previous) {
    auto loaded = gantry::config::load_config_from_string(kConfig, "test.yaml");
    REQUIRE(loaded.ok());
    std::string error;
    auto generation = gantry::config::Generation::build(loaded.config, 1, previous, &error);
    REQUIRE(generation);
    return generation;
}

}  // namespace

TEST_CASE("snapshot_clusters reports every endpoint's counters, state and settings",
          "[health][stats]") {
    auto generation = build(nullptr);
    auto& state = *generation->clusters()[0].endpoints[1].state;
    state.requests = 10;
    state.failures = 4;
    state.ejections = 1;
    state.flags = gantry::upstream::EndpointState::kEjected;
    auto stats = gantry::health::snapshot_clusters(generation->clusters());
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].name == "api");
    REQUIRE(stats[0].endpoints.size() == 2);
    const auto& first = stats[0].endpoints[0];
    CHECK(first.state.address == "10.0.0.1:80");
    CHECK(first.state.healthy);
    CHECK(first.weight == 3);
    CHECK(first.zone == "a");
    const auto& second = stats[0].endpoints[1];
    CHECK(second.state.requests == 10);
    CHECK(second.state.failures == 4);
    CHECK(second.state.ejections == 1);
    CHECK(second.state.ejected);
    CHECK_FALSE(second.state.failed_health_check);
    CHECK_FALSE(second.state.healthy);
    CHECK(second.priority == 1);
}

TEST_CASE("a reload keeps an endpoint's counters and health", "[health][stats]") {
    auto first = build(nullptr);
    first->clusters()[0].endpoints[0].state->requests = 7;
    auto second = build(first.get());
    CHECK(second->clusters()[0].endpoints[0].state == first->clusters()[0].endpoints[0].state);
    CHECK(gantry::health::snapshot_clusters(second->clusters())[0].endpoints[0].state.requests ==
          7);
}
