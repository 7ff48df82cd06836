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
        generation = runtime::Generation::build(loaded.config, 1, nullptr, &error);
        REQUIRE(generation);
        worker.ensure(generation->metric_sizes());
    }

    bool is_ready() const override { return ready; }

    std::shared_ptr<const runtime::Generation> running_generation() const override {
        return generation;
    }

    std::vector<const observability::WorkerMetrics*> worker_metrics() const override {
        return {&worker};
    }

    observability::ProcessMetrics process_metrics() const override { return {}; }

    bool ready = true;
    std::shared_ptr<const runtime::Generation> generation;
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
}

}  // namespace
}  // namespace gantry::admin
