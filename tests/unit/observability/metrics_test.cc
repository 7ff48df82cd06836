#include <thread>

#include <catch2/catch.hpp>

#include <gantry/observability/metrics.h>
#include <gantry/observability/metrics_exposition.h>
#include <gantry/observability/metrics_registry.h>

namespace gantry::observability {
namespace {

using namespace std::chrono_literals;

// The value of the exposition line that starts with `series` ("name{labels}"), or -1.
double value_of(const std::string& text, const std::string& series) {
    size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) {
        return -1;
    }
    return std::stod(text.substr(at + series.size() + 2));
}

TEST_CASE("A counter array starts at zero, adds, and ignores indexes past its capacity",
          "[metrics]") {
    CounterArray counters;
    CHECK(counters.capacity() == 0);
    CHECK(counters.load(5) == 0);
    counters.add(5);  // no storage yet: ignored
    counters.ensure(10);
    CHECK(counters.capacity() >= 10);
    counters.add(5);
    counters.add(5, 4);
    CHECK(counters.load(5) == 5);
    CHECK(counters.load(6) == 0);
    CHECK(counters.load(CounterArray::kChunkSize * CounterArray::kMaxChunks + 1) == 0);
}

TEST_CASE("A counter array grows without moving counters it already holds", "[metrics]") {
    CounterArray counters;
    counters.ensure(1);
    counters.add(0, 7);
    counters.ensure(3 * CounterArray::kChunkSize);
    counters.add(2 * CounterArray::kChunkSize + 1, 2);
    CHECK(counters.load(0) == 7);
    CHECK(counters.load(2 * CounterArray::kChunkSize + 1) == 2);
    counters.ensure(CounterArray::kChunkSize * CounterArray::kMaxChunks * 2);  // clamped
    CHECK(counters.capacity() == CounterArray::kChunkSize * CounterArray::kMaxChunks);
}

TEST_CASE("A reader thread sees a writer thread's counts without locks", "[metrics]") {
    CounterArray counters;
    counters.ensure(1);
    constexpr uint64_t kAdds = 100000;
    std::thread writer([&] {
        for (uint64_t i = 0; i < kAdds; ++i) {
            counters.add(0);
        }
    });
    uint64_t last = 0;
    while (last < kAdds) {
        uint64_t now = counters.load(0);
        REQUIRE(now >= last);  // a single writer's counter never goes backwards
        last = now;
    }
    writer.join();
    CHECK(counters.load(0) == kAdds);
}

TEST_CASE("Latencies fall in the first bucket whose bound holds them", "[metrics]") {
    for (size_t i = 0; i < kLatencyBounds.size(); ++i) {
        CHECK(
            std::chrono::duration<double>(std::chrono::nanoseconds(kLatencyBoundsNs[i])).count() ==
            Approx(kLatencyBounds[i]));
    }
    CHECK(latency_bucket(0ns) == 0);
    CHECK(latency_bucket(500us) == 0);
    CHECK(latency_bucket(501us) == 1);
    CHECK(latency_bucket(1ms) == 1);
    CHECK(latency_bucket(60s) == kLatencyBounds.size() - 1);
    CHECK(latency_bucket(61s) == kLatencyBounds.size());
}

TEST_CASE("Statuses map to their class, with odd values counted as 5xx", "[metrics]") {
    CHECK(status_class_index(101) == 0);
    CHECK(status_class_index(200) == 1);
    CHECK(status_class_index(304) == 2);
    CHECK(status_class_index(499) == 3);
    CHECK(status_class_index(503) == 4);
    CHECK(status_class_index(0) == 4);
    CHECK(status_class_index(999) == 4);
}

TEST_CASE("The scrape sums every worker's counters under the registry's labels", "[metrics]") {
    MetricRegistry registry;
    uint32_t listener = registry.listener_id("public");
    uint32_t route = registry.route_series_id({listener, "api", "0 prefix /", "backend"});
    uint32_t cluster = registry.cluster_id("backend");
    uint32_t endpoint = registry.endpoint_id(cluster, "127.0.0.1:8080");
    CHECK(registry.listener_id("public") == listener);  // interned
    CHECK(registry.route_series_id({listener, "api", "0 prefix /", "backend"}) == route);

    WorkerMetrics a;
    WorkerMetrics b;
    a.ensure(registry.sizes());
    b.ensure(registry.sizes());
    a.on_connection_opened();
    b.on_connection_opened();
    b.on_connection_opened();
    b.on_connection_closed();
    a.on_request(route, listener, 200, 2ms, false, false);
    b.on_request(route, listener, 204, 20ms, false, false);
    b.on_request(route, listener, 504, 2s, true, false);
    a.on_upstream_start(endpoint);
    a.on_upstream_connection(cluster, false);
    a.on_upstream_end(cluster, endpoint, 200, 1ms, false);
    b.on_upstream_start(endpoint);
    b.on_upstream_connection(cluster, true);
    b.on_upstream_end(cluster, endpoint, 0, 1s, true);
    b.on_upstream_start(endpoint);  // still running
    a.on_upstream_retry(cluster);
    b.on_circuit_breaker_overflow(cluster);
    a.on_retry_refused(cluster);
    a.on_upstream_timeout(cluster, UpstreamTimeoutKind::PerTry);
    b.on_upstream_timeout(cluster, UpstreamTimeoutKind::PerTry);
    b.on_upstream_timeout(cluster, UpstreamTimeoutKind::Connect);
    a.on_mirror(cluster, true);
    b.on_mirror(cluster, true);
    b.on_mirror(cluster, false);
    a.on_tls_handshake_failure(listener);
    b.on_tls_handshake_failure(listener);

    ProcessMetrics process;
    process.reloads = 3;
    process.reload_failures = 1;
    process.workers = 2;
    std::string text = serialize_metrics(collect_metrics(registry, {&a, &b}, process));
    INFO(text);
    CHECK(value_of(text, "gantry_config_reloads_total") == 3);
    CHECK(value_of(text, "gantry_config_reload_failures_total") == 1);
    CHECK(value_of(text, "gantry_build_info{version=\"" GANTRY_VERSION "\"}") == 1);
    CHECK(value_of(text, "gantry_downstream_connections_total") == 3);
    CHECK(value_of(text, "gantry_downstream_connections_active") == 2);
    const std::string labels =
        "listener=\"public\",virtual_host=\"api\",route=\"0 prefix /\",cluster=\"backend\"";
    CHECK(value_of(text, "gantry_requests_total{" + labels + ",status_class=\"2xx\"}") == 2);
    CHECK(value_of(text, "gantry_requests_total{" + labels + ",status_class=\"5xx\"}") == 1);
    CHECK(value_of(text, "gantry_requests_total{" + labels + ",status_class=\"4xx\"}") == -1);
    CHECK(value_of(text, "gantry_request_duration_seconds_count{listener=\"public\"}") == 3);
    CHECK(value_of(text,
                   "gantry_request_duration_seconds_bucket{listener=\"public\",le=\"0.0025\"}") ==
          1);
    CHECK(value_of(text,
                   "gantry_request_duration_seconds_bucket{listener=\"public\",le=\"0.025\"}") ==
          2);
    CHECK(value_of(text,
                   "gantry_request_duration_seconds_bucket{listener=\"public\",le=\"+Inf\"}") == 3);
    CHECK(value_of(text, "gantry_request_duration_seconds_sum{listener=\"public\"}") ==
          Approx(2.022));
    CHECK(value_of(text, "gantry_local_replies_total{listener=\"public\",status_class=\"5xx\"}") ==
          1);
    CHECK(value_of(text,
                   "gantry_upstream_requests_total{cluster=\"backend\",status_class=\"2xx\"}") ==
          1);
    CHECK(value_of(text,
                   "gantry_upstream_requests_total{cluster=\"backend\",status_class=\"none\"}") ==
          1);
    CHECK(value_of(text, "gantry_upstream_timeouts_total{cluster=\"backend\"}") == 1);
    CHECK(value_of(text,
                   "gantry_upstream_connections_total{cluster=\"backend\",connection=\"new\"}") ==
          1);
    CHECK(value_of(
              text,
              "gantry_upstream_connections_total{cluster=\"backend\",connection=\"reused\"}") == 1);
    CHECK(value_of(text, "gantry_upstream_retries_total{cluster=\"backend\"}") == 1);
    CHECK(value_of(text, "gantry_upstream_circuit_breaker_overflows_total{cluster=\"backend\"}") ==
          1);
    CHECK(value_of(text, "gantry_upstream_retries_refused_total{cluster=\"backend\"}") == 1);
    CHECK(value_of(text, "gantry_tls_handshake_failures_total{listener=\"public\"}") == 2);
    const std::string timeouts = "gantry_upstream_timeouts_by_kind_total{cluster=\"backend\",kind=";
    CHECK(value_of(text, timeouts + "\"per_try\"}") == 2);
    CHECK(value_of(text, timeouts + "\"connect\"}") == 1);
    CHECK(value_of(text, timeouts + "\"request\"}") == 0);
    CHECK(value_of(text, timeouts + "\"idle\"}") == 0);
    const std::string mirror = "gantry_upstream_mirror_requests_total{cluster=\"backend\",outcome=";
    CHECK(value_of(text, mirror + "\"sent\"}") == 2);
    CHECK(value_of(text, mirror + "\"dropped\"}") == 1);
    const std::string endpoint_labels = "{cluster=\"backend\",endpoint=\"127.0.0.1:8080\"}";
    CHECK(value_of(text, "gantry_upstream_endpoint_requests_total" + endpoint_labels) == 2);
    CHECK(value_of(text, "gantry_upstream_endpoint_failures_total" + endpoint_labels) == 1);
    CHECK(value_of(text, "gantry_upstream_endpoint_active_requests" + endpoint_labels) == 1);
}

TEST_CASE("A worker that has not grown to a new id yet reads as zero at scrape", "[metrics]") {
    MetricRegistry registry;
    uint32_t listener = registry.listener_id("a");
    registry.route_series_id({listener, {}, {}, {}});
    WorkerMetrics old_worker;  // ensure() never called
    std::string text = serialize_metrics(collect_metrics(registry, {&old_worker}, {}));
    CHECK(value_of(text, "gantry_request_duration_seconds_count{listener=\"a\"}") == 0);
}

}  // namespace
}  // namespace gantry::observability
