#include <catch2/catch.hpp>

#include <gantry/admin/admin_endpoints.h>

namespace gantry::admin {
namespace {

constexpr const char* kConfig = R"(listeners:
  - name: public
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [api]
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - match: { prefix: / }
        forward: { cluster: v1 }
clusters:
  - name: v1
    endpoints: [{ address: "127.0.0.1:9000", weight: 3 }, { address: "127.0.0.2:9000" }]
)";

class FakeState final : public AdminState {
public:
    FakeState() {
        config::LoadResult loaded = config::load_config_from_string(kConfig, "test.yaml");
        REQUIRE(loaded.ok());
        std::string error;
        generation = config::Generation::build(loaded.config, 1, nullptr, &error);
        REQUIRE(generation);
        worker.ensure(generation->metric_sizes());
    }

    bool is_ready() const override { return ready; }

    std::shared_ptr<const config::Generation> running_generation() const override {
        return generation;
    }

    std::vector<const observability::WorkerMetrics*> worker_metrics() const override {
        return {&worker};
    }

    observability::ProcessMetrics process_metrics() const override { return {}; }

    bool ready = true;
    std::shared_ptr<const config::Generation> generation;
    observability::WorkerMetrics worker;
};

TEST_CASE("Admin: unknown paths answer 404 and other methods than GET 405", "[admin]") {
    FakeState state;
    CHECK(handle_admin_request(state, "GET", "/nope").status == 404);
    CHECK(handle_admin_request(state, "GET", "/").status == 404);
    CHECK(handle_admin_request(state, "GET", "/metrics/").status == 404);
    AdminResponse post = handle_admin_request(state, "POST", "/metrics");
    CHECK(post.status == 405);
    CHECK(post.allow == "GET");
    CHECK(handle_admin_request(state, "HEAD", "/ready").status == 405);
}

TEST_CASE("Admin: /ready follows the server's state and /healthz is always 200", "[admin]") {
    FakeState state;
    CHECK(handle_admin_request(state, "GET", "/ready").status == 200);
    CHECK(handle_admin_request(state, "GET", "/healthz").status == 200);
    state.ready = false;
    CHECK(handle_admin_request(state, "GET", "/ready").status == 503);
    CHECK(handle_admin_request(state, "GET", "/healthz").status == 200);
}

TEST_CASE("Admin: /metrics is Prometheus text and /config is YAML", "[admin]") {
    FakeState state;
    AdminResponse metrics = handle_admin_request(state, "GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.content_type.starts_with("text/plain; version=0.0.4"));
    CHECK(metrics.body.find("# TYPE gantry_requests_total counter") != std::string::npos);
    AdminResponse config = handle_admin_request(state, "GET", "/config");
    CHECK(config.status == 200);
    CHECK(config.content_type == "application/yaml");
    CHECK(config.body.find("cluster: v1") != std::string::npos);
}

TEST_CASE("Admin: /clusters lists every endpoint with weight and request counts", "[admin]") {
    FakeState state;
    const auto& endpoint = state.generation->clusters()[0].endpoints[0];
    state.worker.on_upstream_start(endpoint.metric_id);
    state.worker.on_upstream_end(0, endpoint.metric_id, 502, std::chrono::milliseconds(1), false);
    state.worker.on_upstream_start(endpoint.metric_id);
    std::string text = handle_admin_request(state, "GET", "/clusters").body;
    INFO(text);
    CHECK(text.find("v1::127.0.0.1:9000::weight::3\n") != std::string::npos);
    CHECK(text.find("v1::127.0.0.1:9000::active_requests::1\n") != std::string::npos);
    CHECK(text.find("v1::127.0.0.1:9000::requests::1\n") != std::string::npos);
    CHECK(text.find("v1::127.0.0.1:9000::failures::1\n") != std::string::npos);
    CHECK(text.find("v1::127.0.0.2:9000::weight::1\n") != std::string::npos);
    CHECK(text.find("v1::127.0.0.2:9000::requests::0\n") != std::string::npos);
    CHECK(text.find("v1::127.0.0.1:9000::health_flags::healthy\n") != std::string::npos);
    CHECK(text.find("v1::healthy_endpoints::2\n") != std::string::npos);
    CHECK(text.find("v1::outlier_ejections_total::0\n") != std::string::npos);
}

TEST_CASE("Admin: /clusters and /metrics show each endpoint's health and the cluster's",
          "[admin][health]") {
    FakeState state;
    const auto& endpoints = state.generation->clusters()[0].endpoints;
    upstream::EndpointState& first = *endpoints[0].state;
    upstream::EndpointState& second = *endpoints[1].state;
    first.flags = upstream::EndpointState::kEjected;
    first.ejections = 2;
    second.flags = upstream::EndpointState::kFailedHealthCheck | upstream::EndpointState::kEjected;
    second.ejections = 1;
    second.health_check_failures = 4;

    std::string text = handle_admin_request(state, "GET", "/clusters").body;
    INFO(text);
    CHECK(text.find("v1::127.0.0.1:9000::health_flags::/failed_outlier_check\n") !=
          std::string::npos);
    CHECK(text.find("v1::127.0.0.1:9000::ejections::2\n") != std::string::npos);
    CHECK(text.find("v1::127.0.0.2:9000::health_flags::/failed_active_hc/failed_outlier_check\n") !=
          std::string::npos);
    CHECK(text.find("v1::127.0.0.2:9000::health_check_failures::4\n") != std::string::npos);
    CHECK(text.find("v1::healthy_endpoints::0\n") != std::string::npos);
    CHECK(text.find("v1::outlier_ejections_total::3\n") != std::string::npos);

    std::string page = handle_admin_request(state, "GET", "/metrics").body;
    INFO(page);
    for (const char* line :
         {"gantry_upstream_endpoint_health_state{cluster=\"v1\",endpoint=\"127.0.0.1:9000\","
          "state=\"healthy\"} 0\n",
          "gantry_upstream_endpoint_health_state{cluster=\"v1\",endpoint=\"127.0.0.1:9000\","
          "state=\"failed_health_check\"} 0\n",
          "gantry_upstream_endpoint_health_state{cluster=\"v1\",endpoint=\"127.0.0.1:9000\","
          "state=\"ejected\"} 1\n",
          "gantry_upstream_endpoint_health_state{cluster=\"v1\",endpoint=\"127.0.0.2:9000\","
          "state=\"failed_health_check\"} 1\n",
          "gantry_upstream_endpoint_ejections_total{cluster=\"v1\",endpoint=\"127.0.0.1:9000\"} "
          "2\n",
          "gantry_upstream_endpoint_health_check_failures_total{cluster=\"v1\",endpoint="
          "\"127.0.0.2:9000\"} 4\n",
          "gantry_upstream_cluster_ejections_total{cluster=\"v1\"} 3\n",
          "gantry_upstream_cluster_healthy_endpoints{cluster=\"v1\"} 0\n",
          "gantry_upstream_cluster_endpoints{cluster=\"v1\"} 2\n"}) {
        CHECK(page.find(line) != std::string::npos);
    }
}

}  // namespace
}  // namespace gantry::admin
