#include <catch2/catch.hpp>

#include <gantry/observability/metrics_registry.h>

namespace gantry::observability {
namespace {

constexpr const char* kConfig = R"(listeners:
  - name: public
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [api, www]
  - name: internal
    listen: ["127.0.0.1:8081"]
    virtual_hosts: [api]
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - match: { prefix: /v1/ }
        forward: { cluster: v1 }
      - match: { path: /healthz }
        respond: { status: 200 }
  - name: www
    domains: ["*"]
    routes:
      - match: { regex: "/[a-z]+" }
        redirect: { scheme: https }
clusters:
  - name: v1
    endpoints: [{ address: "127.0.0.1:9000" }]
)";

std::shared_ptr<const config::ConfigSnapshot> load(const char* text) {
    config::LoadResult loaded = config::load_config_from_string(text, "test.yaml");
    REQUIRE(loaded.ok());
    return loaded.config;
}

TEST_CASE("Every route a listener reaches gets its own series, labelled by position and match",
          "[metrics]") {
    auto config = load(kConfig);
    MetricRegistry registry;
    auto ids = ListenerMetricIds::build(registry, *config, config->listeners[0]);
    const auto& api = config->virtual_hosts[0];
    const auto& www = config->virtual_hosts[1];
    REQUIRE(ids.route_count() == 3);
    const RouteSeriesLabels& v1 = registry.route_series()[ids.series_for(&api.routes[0])];
    CHECK(v1.virtual_host == "api");
    CHECK(v1.route == "0 prefix /v1/");
    CHECK(v1.cluster == "v1");
    CHECK(registry.route_series()[ids.series_for(&api.routes[1])].route == "1 path /healthz");
    CHECK(registry.route_series()[ids.series_for(&api.routes[1])].cluster.empty());
    CHECK(registry.route_series()[ids.series_for(&www.routes[0])].route == "0 regex /[a-z]+");
    const RouteSeriesLabels& none = registry.route_series()[ids.series_for(nullptr)];
    CHECK(none.virtual_host.empty());
    CHECK(none.route.empty());
    CHECK(registry.listeners()[ids.listener] == "public");
}

TEST_CASE("The same route under two listeners counts in two series", "[metrics]") {
    auto config = load(kConfig);
    MetricRegistry registry;
    auto public_ids = ListenerMetricIds::build(registry, *config, config->listeners[0]);
    auto internal_ids = ListenerMetricIds::build(registry, *config, config->listeners[1]);
    const config::Route* route = &config->virtual_hosts[0].routes[0];
    CHECK(public_ids.series_for(route) != internal_ids.series_for(route));
    CHECK(internal_ids.series_for(&config->virtual_hosts[1].routes[0]) ==
          internal_ids.no_route_series);  // not reachable from this listener
}

TEST_CASE("A reload that keeps a label set keeps its id, so counters continue", "[metrics]") {
    auto first = load(kConfig);
    auto second = load(kConfig);  // a new snapshot: new Route addresses, same labels
    MetricRegistry registry;
    auto before = ListenerMetricIds::build(registry, *first, first->listeners[0]);
    MetricSizes sizes = registry.sizes();
    auto after = ListenerMetricIds::build(registry, *second, second->listeners[0]);
    CHECK(before.series_for(&first->virtual_hosts[0].routes[0]) ==
          after.series_for(&second->virtual_hosts[0].routes[0]));
    CHECK(registry.sizes().route_series == sizes.route_series);
    CHECK(registry.cluster_id("v1") == registry.cluster_id("v1"));
    CHECK(registry.endpoint_id(0, "a:1") != registry.endpoint_id(1, "a:1"));
}

}  // namespace
}  // namespace gantry::observability

namespace gantry::observability {
namespace {

TEST_CASE("The route table finds every route of a large listener and nothing else", "[metrics]") {
    std::string text =
        "listeners:\n  - name: l\n    listen: [\"127.0.0.1:80\"]\n"
        "    virtual_hosts: [h]\nvirtual_hosts:\n  - name: h\n"
        "    domains: [\"*\"]\n    routes:\n";
    for (int i = 0; i < 300; ++i) {
        text += "      - match: { path: /r" + std::to_string(i) + " }\n        respond: {}\n";
    }
    auto config = load(text.c_str());
    MetricRegistry registry;
    auto ids = ListenerMetricIds::build(registry, *config, config->listeners[0]);
    CHECK(ids.route_count() == 300);
    const auto& routes = config->virtual_hosts[0].routes;
    for (size_t i = 0; i < routes.size(); ++i) {
        uint32_t series = ids.series_for(&routes[i]);
        REQUIRE(series != ids.no_route_series);
        CHECK(registry.route_series()[series].route == route_label(i, routes[i]));
    }
    config::Route stranger;
    CHECK(ids.series_for(&stranger) == ids.no_route_series);
}

}  // namespace
}  // namespace gantry::observability
