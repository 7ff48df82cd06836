// Outlier detection and active health checks against three real upstreams: a failing upstream
// is ejected within one interval and comes back after its ejection time; a failing health check
// takes an endpoint out and a passing one brings it back; /clusters and /metrics show both.

#include <array>
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "support/admin_client.h"
#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

using Clock = std::chrono::steady_clock;

// Three upstreams answering with their letter; C answers 500 while `c_failing` is set and its
// /health answers 503 while `c_down` is set.
struct Three {
    std::atomic<bool> c_failing{false};
    std::atomic<bool> c_down{false};
    std::array<HttpUpstream, 3> upstreams{
        HttpUpstream([](const UpstreamRequest&) { return UpstreamResponse::text(200, "A"); }),
        HttpUpstream([](const UpstreamRequest&) { return UpstreamResponse::text(200, "B"); }),
        HttpUpstream([this](const UpstreamRequest& request) {
            if (request.target == "/health") {
                return UpstreamResponse::text(c_down ? 503 : 200, "C");
            }
            return UpstreamResponse::text(c_failing ? 500 : 200, "C");
        })};

    GantryOptions options() const {
        GantryOptions o;
        o.vars["A"] = std::to_string(upstreams[0].port());
        o.vars["B"] = std::to_string(upstreams[1].port());
        o.vars["C"] = std::to_string(upstreams[2].port());
        return o;
    }
};

constexpr const char* kThreeEndpoints = R"(
      - { address: "127.0.0.1:@A@" }
      - { address: "127.0.0.1:@B@" }
      - { address: "127.0.0.1:@C@" }
)";

std::string config(const std::string& health, const std::string& priorities = kThreeEndpoints,
                   std::string_view globals = "workers: 2\nlog: { access: { path: \"off\" } }\n") {
    return one_host_config("      - match: { prefix: / }\n        forward: { cluster: three }\n",
                           R"(clusters:
  - name: three
    endpoints:)" + priorities + health,
                           globals);
}

// Sends `n` requests on one connection; returns the answering letters ('-' for a failure).
std::string send(uint16_t port, int n) {
    std::string order;
    BufferedSocket socket = connect_to(port);
    for (int i = 0; i < n; ++i) {
        if (!socket.send_all("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s))) {
            return order + "-";
        }
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        if (!r) {
            return order + "-";
        }
        order += r->body.empty() ? "-" : r->body;
    }
    return order;
}

size_t count(const std::string& order, char c) {
    return static_cast<size_t>(std::count(order.begin(), order.end(), c));
}

// Sends batches until `done(batch)` holds or `limit` passes; returns how long it took.
template <typename Done>
std::chrono::milliseconds until(uint16_t port, std::chrono::milliseconds limit, Done done) {
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
        if (done(send(port, 30))) {
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

}  // namespace

TEST_CASE("a failing upstream is ejected within one interval and returns after the ejection time",
          "[integration][outlier]") {
    Three three;
    GantryProcess gantry(config(R"(    outlier_detection:
      consecutive_5xx: 3
      interval: 500ms
      base_ejection_time: 2s
      max_ejection_percent: 50
)"),
                         three.options());
    std::string healthy = send(gantry.port(), 60);
    REQUIRE(count(healthy, 'C') > 0);

    three.c_failing = true;
    // C answers 500 three times in a row on some worker, then is ejected at the next sweep.
    const auto ejected_after = until(gantry.port(), 3000ms, [](const std::string& batch) {
        return count(batch, 'C') == 0 && count(batch, '-') == 0;
    });
    CHECK(ejected_after < 1500ms);  // a few requests to trip it plus one 500 ms interval
    // While ejected, traffic moves to A and B only.
    std::string during = send(gantry.port(), 60);
    CHECK(count(during, 'C') == 0);
    CHECK(count(during, 'A') + count(during, 'B') == 60);

    three.c_failing = false;
    // Back after base_ejection_time (2 s) at the next sweep (<= 500 ms later).
    const auto back_after = until(gantry.port(), 5000ms,
                                  [](const std::string& batch) { return count(batch, 'C') > 0; });
    CHECK(back_after > 800ms);
    CHECK(back_after < 3500ms);
}

TEST_CASE("an ejection survives a reload that changes the cluster", "[integration][outlier]") {
    Three three;
    auto outlier = [](const std::string& connect_timeout) {
        return config("    connect_timeout: " + connect_timeout + R"(
    outlier_detection:
      consecutive_5xx: 3
      interval: 300ms
      base_ejection_time: 30s
      max_ejection_percent: 50
)");
    };
    GantryProcess gantry(outlier("1s"), three.options());
    three.c_failing = true;
    until(gantry.port(), 3000ms, [](const std::string& batch) {
        return count(batch, 'C') == 0 && count(batch, '-') == 0;
    });
    REQUIRE(count(send(gantry.port(), 30), 'C') == 0);
    three.c_failing = false;
    // A new fingerprint: the workers build new Clusters, which read the same endpoint states.
    gantry.write_config(outlier("2s"));
    REQUIRE(gantry.reload().applied);
    std::this_thread::sleep_for(700ms);  // two sweeps of the new generation
    CHECK(count(send(gantry.port(), 60), 'C') == 0);
}

TEST_CASE("a health check marks an endpoint down and up again", "[integration][health_check]") {
    Three three;
    GantryProcess gantry(config(R"(    health_check:
      path: /health
      interval: 200ms
      interval_jitter: 20ms
      timeout: 500ms
      healthy_threshold: 2
      unhealthy_threshold: 2
)"),
                         three.options());
    // The first successful probe brings every endpoint up.
    until(gantry.port(), 2000ms, [](const std::string& batch) {
        return count(batch, 'A') && count(batch, 'B') && count(batch, 'C');
    });
    three.c_down = true;
    const auto down_after = until(gantry.port(), 3000ms,
                                  [](const std::string& batch) { return count(batch, 'C') == 0; });
    CHECK(down_after < 1500ms);  // two failed probes, 200-220 ms apart
    CHECK(count(send(gantry.port(), 60), 'C') == 0);

    three.c_down = false;
    const auto up_after = until(gantry.port(), 3000ms,
                                [](const std::string& batch) { return count(batch, 'C') > 0; });
    CHECK(up_after < 1500ms);
    // The probes carried the cluster's name as Host, as Envoy's do.
    bool saw_probe = false;
    for (const auto& request : three.upstreams[0].requests()) {
        if (request.target == "/health") {
            saw_probe = true;
            CHECK(request.header("host") == "three");
        }
    }
    CHECK(saw_probe);
}

TEST_CASE("priority failover: half of level 0 down sends 30% to level 1",
          "[integration][health_check][priority]") {
    Three three;
    GantryProcess gantry(
        config(
            R"(    health_check: { path: /health, interval: 100ms, timeout: 500ms, unhealthy_threshold: 1 }
)",
            R"(
      - { address: "127.0.0.1:@A@", priority: 0 }
      - { address: "127.0.0.1:@C@", priority: 0 }
      - { address: "127.0.0.1:@B@", priority: 1 }
)"),
        three.options());
    // All healthy: level 0 takes everything.
    until(gantry.port(), 2000ms,
          [](const std::string& batch) { return count(batch, 'A') && count(batch, 'C'); });
    std::string healthy = send(gantry.port(), 200);
    CHECK(count(healthy, 'B') == 0);
    // C down: level 0 keeps 1.4 x 50% = 70% (all on A), level 1 (B) gets 30%.
    three.c_down = true;
    until(gantry.port(), 3000ms, [](const std::string& batch) { return count(batch, 'C') == 0; });
    constexpr int kRequests = 2000;
    std::string order = send(gantry.port(), kRequests);
    REQUIRE(order.size() == kRequests);
    CHECK(count(order, 'C') == 0);
    CHECK(100.0 * static_cast<double>(count(order, 'A')) / kRequests == Approx(70).margin(4));
    CHECK(100.0 * static_cast<double>(count(order, 'B')) / kRequests == Approx(30).margin(4));
}

TEST_CASE("a TCP health check takes a closed port out of rotation", "[integration][health_check]") {
    Three three;
    three.upstreams[2].stop();
    GantryProcess gantry(config(R"(    health_check: { type: tcp, interval: 200ms, timeout: 300ms }
)"),
                         three.options());
    // C never accepts: once A and B have answered a probe, only they get traffic (C is down and
    // two of three healthy is above the panic threshold).
    until(gantry.port(), 2000ms, [](const std::string& batch) { return count(batch, '-') == 0; });
    std::string order = send(gantry.port(), 60);
    CHECK(count(order, 'A') + count(order, 'B') == 60);
}

namespace {

// The /metrics series of endpoint `letter` (A, B or C) of cluster "three".
std::string endpoint_series(const std::string& name, const Three& three, char letter,
                            const std::string& extra = "") {
    return name + "{cluster=\"three\",endpoint=\"127.0.0.1:" +
           std::to_string(three.upstreams[static_cast<size_t>(letter - 'A')].port()) + "\"" +
           extra + "}";
}

std::string clusters_line(const Three& three, char letter, const std::string& fact) {
    return "three::127.0.0.1:" +
           std::to_string(three.upstreams[static_cast<size_t>(letter - 'A')].port()) + "::" + fact +
           "\n";
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("an endpoint failing its health check shows as unhealthy in /clusters and /metrics",
          "[integration][health_check][admin]") {
    Three three;
    three.c_down = true;
    GantryProcess gantry(
        config(
            R"(    health_check: { path: /health, interval: 100ms, timeout: 500ms, unhealthy_threshold: 1 }
)",
            kThreeEndpoints, kAdminGlobals),
        three.options());
    // A and B come up with their first passing probe; C never does.
    std::string clusters;
    REQUIRE(wait_until(
        [&] {
            clusters = admin_get(gantry, "/clusters").body;
            return has(clusters, "three::healthy_endpoints::2\n") &&
                   !has(clusters, clusters_line(three, 'C', "health_check_failures::0"));
        },
        3000ms));
    INFO(clusters);
    CHECK(has(clusters, clusters_line(three, 'A', "health_flags::healthy")));
    CHECK(has(clusters, clusters_line(three, 'B', "health_flags::healthy")));
    CHECK(has(clusters, clusters_line(three, 'C', "health_flags::/failed_active_hc")));

    std::string page = scrape(gantry);
    const std::string state = "gantry_upstream_endpoint_health_state";
    CHECK(metric(page, endpoint_series(state, three, 'C', ",state=\"healthy\"")) == 0);
    CHECK(metric(page, endpoint_series(state, three, 'C', ",state=\"failed_health_check\"")) == 1);
    CHECK(metric(page, endpoint_series(state, three, 'C', ",state=\"ejected\"")) == 0);
    CHECK(metric(page, endpoint_series(state, three, 'A', ",state=\"healthy\"")) == 1);
    CHECK(metric(page, endpoint_series("gantry_upstream_endpoint_health_check_failures_total",
                                       three, 'C')) >= 1);
    CHECK(metric(page, endpoint_series("gantry_upstream_endpoint_health_check_failures_total",
                                       three, 'A')) == 0);
    CHECK(metric(page, "gantry_upstream_cluster_healthy_endpoints{cluster=\"three\"}") == 2);
    CHECK(metric(page, "gantry_upstream_cluster_endpoints{cluster=\"three\"}") == 3);

    // C passes again: the page follows.
    three.c_down = false;
    CHECK(wait_until(
        [&] {
            return metric(scrape(gantry),
                          "gantry_upstream_cluster_healthy_endpoints{cluster=\"three\"}") == 3;
        },
        3000ms));
    CHECK(has(admin_get(gantry, "/clusters").body,
              clusters_line(three, 'C', "health_flags::healthy")));
}

TEST_CASE("an outlier ejection increments the endpoint's and the cluster's ejection counters",
          "[integration][outlier][admin]") {
    Three three;
    GantryProcess gantry(config(R"(    outlier_detection:
      consecutive_5xx: 3
      interval: 200ms
      base_ejection_time: 30s
      max_ejection_percent: 50
)",
                                kThreeEndpoints, kAdminGlobals),
                         three.options());
    const std::string ejections =
        endpoint_series("gantry_upstream_endpoint_ejections_total", three, 'C');
    const std::string cluster_ejections =
        "gantry_upstream_cluster_ejections_total{cluster=\"three\"}";
    std::string before = scrape(gantry);
    CHECK(metric(before, ejections) == 0);
    CHECK(metric(before, cluster_ejections) == 0);
    CHECK(metric(before, "gantry_upstream_cluster_healthy_endpoints{cluster=\"three\"}") == 3);

    three.c_failing = true;
    std::string page;
    REQUIRE(wait_until(
        [&] {
            send(gantry.port(), 30);
            page = scrape(gantry);
            return metric(page, ejections) >= 1;
        },
        5000ms));
    // Ejected for 30 s: exactly one ejection, seen on both pages.
    page = scrape(gantry);
    CHECK(metric(page, ejections) == 1);
    CHECK(metric(page, cluster_ejections) == 1);
    CHECK(metric(page, endpoint_series("gantry_upstream_endpoint_health_state", three, 'C',
                                       ",state=\"ejected\"")) == 1);
    CHECK(metric(page, "gantry_upstream_cluster_healthy_endpoints{cluster=\"three\"}") == 2);
    std::string clusters = admin_get(gantry, "/clusters").body;
    INFO(clusters);
    CHECK(has(clusters, clusters_line(three, 'C', "health_flags::/failed_outlier_check")));
    CHECK(has(clusters, clusters_line(three, 'C', "ejections::1")));
    CHECK(has(clusters, "three::outlier_ejections_total::1\n"));
}

}  // namespace gantry::test
