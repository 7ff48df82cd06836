// A worker's Cluster over a real Generation built from config text (IP literals only).
#include <array>
#include <set>

#include <catch2/catch.hpp>

#include <gantry/config/generation.h>
#include <gantry/upstream/cluster.h>

using gantry::config::share_part;
using gantry::upstream::Cluster;
using gantry::upstream::EndpointState;

namespace {

std::shared_ptr<const gantry::config::Generation> build(const std::string& cluster_extra) {
    const std::string text = R"(listeners:
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
      - { address: "10.0.0.1:80" }
      - { address: "10.0.0.2:80" }
      - { address: "10.0.0.3:80" }
      - { address: "10.0.0.4:80" }
)" + cluster_extra;
    auto loaded = gantry::config::load_config_from_string(text, "test.yaml");
    REQUIRE(loaded.ok());
    std::string error;
    auto generation = gantry::config::Generation::build(loaded.config, 1, nullptr, &error);
    REQUIRE(generation);
    return generation;
}

}  // namespace

TEST_CASE("Cluster::pick avoids endpoints already tried while others remain", "[upstream]") {
    auto generation = build("");
    Cluster cluster(share_part(generation, generation->clusters()[0]), 1);
    const std::array<uint32_t, 3> tried{0, 1, 3};
    for (int i = 0; i < 20; ++i) {
        CHECK(cluster.pick({nullptr, "", tried}) == 2);
    }
    const std::array<uint32_t, 4> all{0, 1, 2, 3};
    CHECK(cluster.pick({nullptr, "", all}) >= 0);  // everything tried: a repeat, not a failure
}

TEST_CASE("Cluster::pick follows published ejections on its next pick", "[upstream][health]") {
    auto generation = build("");
    const auto& resolved = generation->clusters()[0];
    Cluster cluster(share_part(generation, resolved), 1);
    CHECK(cluster.pick() >= 0);
    resolved.endpoints[1].state->flags = EndpointState::kEjected;
    // Not yet published: the worker's view is unchanged until the version moves.
    std::set<int> seen;
    for (int i = 0; i < 8; ++i) {
        seen.insert(cluster.pick());
    }
    CHECK(seen.count(1) == 1);
    resolved.shared->health.publish();
    seen.clear();
    for (int i = 0; i < 40; ++i) {
        seen.insert(cluster.pick());
    }
    CHECK(seen == std::set<int>{0, 2, 3});
}

TEST_CASE("Cluster outcome reports count and trip the consecutive thresholds",
          "[upstream][outlier]") {
    auto generation = build("    outlier_detection: { consecutive_5xx: 3 }\n");
    const auto& resolved = generation->clusters()[0];
    Cluster cluster(share_part(generation, resolved), 1);
    EndpointState& state = *resolved.endpoints[2].state;
    cluster.on_response(2, 200);
    cluster.on_response(2, 500);
    cluster.on_local_failure(2);
    CHECK(state.tripped == 0);
    cluster.on_response(2, 503);
    CHECK(state.tripped == EndpointState::kTripped5xx);
    CHECK(state.requests == 4);
    CHECK(state.failures == 3);
    cluster.on_response(2, 404);
    CHECK(state.consecutive_5xx == 0);
}

TEST_CASE("Cluster hashes the request key of hash_on", "[upstream][hash]") {
    auto generation = build("    lb: maglev\n    hash_on: header:x-user\n");
    Cluster a(share_part(generation, generation->clusters()[0]), 1);
    Cluster b(share_part(generation, generation->clusters()[0]), 2);
    for (int user = 0; user < 50; ++user) {
        gantry::http::RequestHead head;
        head.headers.add("X-User", "u" + std::to_string(user));
        CHECK(a.pick({&head, "", {}}) == b.pick({&head, "", {}}));
    }
}
