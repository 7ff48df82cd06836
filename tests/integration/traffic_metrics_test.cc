// /metrics for the traffic-management decisions: retries, circuit-breaker overflows, timeouts by
// kind and mirror copies move by exactly what the test provokes, summed over two workers.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

constexpr std::string_view kGlobals =
    "workers: 2\nadmin: { listen: \"127.0.0.1:@PORT2@\" }\nlog: { access: { path: \"off\" } }\n";

std::string traffic_config(const std::string& forward_extra, const std::string& cluster_extra) {
    return one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend, " +
                               forward_extra + " }\n",
                           backend_cluster(cluster_extra), kGlobals);
}

GantryOptions options_for(uint16_t port) {
    GantryOptions options;
    options.vars["UP"] = std::to_string(port);
    options.allow_error_lines = true;
    return options;
}

// Value of `series` (name{labels}) on a Prometheus text page; 0 when absent.
double metric(const std::string& page, const std::string& series) {
    for (const auto& line : split_lines(page)) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
            line[series.size()] == ' ') {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return 0;
}

std::string scrape(const GantryProcess& gantry) {
    CurlResult r = run_curl({"http://127.0.0.1:" + std::to_string(gantry.port(1)) + "/metrics"});
    REQUIRE(r.status == 200);
    return r.body;
}

// The counters are bumped just before the answer goes out, on the worker's thread; a scrape
// right after the last answer may come before the last bump, so wait for the expected value.
double settled(const GantryProcess& gantry, const std::string& series, double expected) {
    double value = 0;
    wait_until(
        [&] {
            value = metric(scrape(gantry), series);
            return value == expected;
        },
        3s);
    return value;
}

const std::string kRetries = "gantry_upstream_retries_total{cluster=\"backend\"}";
const std::string kRefused = "gantry_upstream_retries_refused_total{cluster=\"backend\"}";
const std::string kOverflows =
    "gantry_upstream_circuit_breaker_overflows_total{cluster=\"backend\"}";

TEST_CASE("The retries counter moves by exactly the retries made", "[integration][metrics]") {
    constexpr int kRequests = 6;
    constexpr int kAttempts = 2;
    HttpUpstream upstream([](const UpstreamRequest&) { return UpstreamResponse::text(503, "x"); });
    GantryProcess gantry(
        traffic_config("retries: { attempts: 2, on: [5xx], backoff: { base: 1ms } }", ""),
        options_for(upstream.port()));
    CHECK(metric(scrape(gantry), kRetries) == 0);
    for (int i = 0; i < kRequests; ++i) {
        CHECK(run_curl({gantry.url("/r")}).status == 503);
    }
    CHECK(upstream.request_count() == kRequests * (1 + kAttempts));
    CHECK(settled(gantry, kRetries, kRequests * kAttempts) == kRequests * kAttempts);
    std::string page = scrape(gantry);
    CHECK(metric(page, kRefused) == 0);
    CHECK(metric(page, kOverflows) == 0);
}

TEST_CASE("A retry refused by max_retries is counted as refused, not as a retry",
          "[integration][metrics]") {
    HttpUpstream upstream([](const UpstreamRequest&) { return UpstreamResponse::text(503, "x"); });
    GantryProcess gantry(traffic_config("retries: { attempts: 3, on: [5xx] }",
                                        "    circuit_breakers: { max_retries: 0 }\n"),
                         options_for(upstream.port()));
    for (int i = 0; i < 4; ++i) {
        CHECK(run_curl({gantry.url("/r")}).status == 503);
    }
    CHECK(upstream.request_count() == 4);
    CHECK(settled(gantry, kRefused, 4) == 4);
    CHECK(metric(scrape(gantry), kRetries) == 0);
}

TEST_CASE("The overflow counter moves by exactly the 503-overloaded answers",
          "[integration][metrics]") {
    constexpr int kBurst = 10;
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "slow");
        response.delay = 500ms;
        return response;
    });
    GantryProcess gantry(
        traffic_config("timeout: 5s", "    circuit_breakers: { max_requests: 3 }\n"),
        options_for(upstream.port()));
    std::vector<BufferedSocket> sockets;
    for (int i = 0; i < kBurst; ++i) {
        sockets.push_back(connect_to(gantry.port()));
        REQUIRE(sockets.back().send_all("GET /b HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    }
    int overloaded = 0;
    for (BufferedSocket& socket : sockets) {
        std::optional<HttpResponse> r = read_response(socket, deadline_in(10s));
        REQUIRE(r);
        if (r->status() == 503 && r->header("x-gantry-overloaded") == "true") {
            ++overloaded;
        }
    }
    CHECK(overloaded == kBurst - 3);
    CHECK(settled(gantry, kOverflows, overloaded) == overloaded);
}

TEST_CASE("Per-try timeouts are counted by kind", "[integration][metrics]") {
    constexpr int kRequests = 3;
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "late");
        response.delay = 400ms;
        return response;
    });
    GantryProcess gantry(traffic_config("per_try_timeout: 100ms", ""),
                         options_for(upstream.port()));
    for (int i = 0; i < kRequests; ++i) {
        CHECK(run_curl({gantry.url("/t")}).status == 504);
    }
    const std::string series =
        "gantry_upstream_timeouts_by_kind_total{cluster=\"backend\",kind=\"per_try\"}";
    CHECK(settled(gantry, series, kRequests) == kRequests);
    std::string page = scrape(gantry);
    CHECK(metric(page,
                 "gantry_upstream_timeouts_by_kind_total{cluster=\"backend\",kind="
                 "\"request\"}") == 0);
    CHECK(metric(page, "gantry_upstream_timeouts_total{cluster=\"backend\"}") == kRequests);
}

TEST_CASE("Mirror copies are counted on the mirror cluster", "[integration][metrics]") {
    constexpr int kRequests = 5;
    HttpUpstream upstream;
    HttpUpstream shadow;
    std::string clusters =
        backend_cluster() +
        "  - name: shadow\n    endpoints: [{ address: \"127.0.0.1:@SHADOW@\" }]\n";
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend, "
                        "mirror: { cluster: shadow } }\n",
                        clusters, kGlobals),
        [&] {
            GantryOptions options = options_for(upstream.port());
            options.vars["SHADOW"] = std::to_string(shadow.port());
            return options;
        }());
    for (int i = 0; i < kRequests; ++i) {
        CHECK(run_curl({gantry.url("/m")}).status == 200);
    }
    const std::string sent =
        "gantry_upstream_mirror_requests_total{cluster=\"shadow\",outcome=\"sent\"}";
    CHECK(settled(gantry, sent, kRequests) == kRequests);
    std::string page = scrape(gantry);
    CHECK(metric(page,
                 "gantry_upstream_mirror_requests_total{cluster=\"shadow\",outcome="
                 "\"dropped\"}") == 0);
    CHECK(metric(page,
                 "gantry_upstream_mirror_requests_total{cluster=\"backend\",outcome="
                 "\"sent\"}") == 0);
}

}  // namespace
}  // namespace gantry::test
