// The admin listener: /metrics counters that move by exactly the traffic a test sends (summed
// over two workers), /config with secrets redacted, /ready and /healthz, and the admin port's
// answers to unknown paths, other methods and malformed requests.

#include <csignal>
#include <thread>

#include <catch2/catch.hpp>

#include "support/admin_client.h"
#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

constexpr std::string_view kGlobals = kAdminGlobals;

std::string admin_config() {
    return one_host_config(R"(      - match: { prefix: /api/ }
        forward: { cluster: backend }
        request_headers: { set: { authorization: "Bearer hunter2-secret", x-env: prod } }
      - match: { path: /local }
        respond: { status: 200, body: "local\n" }
)",
                           backend_cluster(), kGlobals);
}

// Sends `count` GETs for `path`, on one keep-alive connection while gantry keeps it open;
// returns the statuses and adds the connections it opened to `*connections`.
std::vector<int> send_requests(uint16_t port, const std::string& path, int count,
                               int* connections = nullptr) {
    BufferedSocket socket;
    std::vector<int> statuses;
    for (int i = 0; i < count; ++i) {
        if (!socket.is_open()) {
            socket = connect_to(port);
            REQUIRE(socket.is_open());
            if (connections != nullptr) {
                ++*connections;
            }
        }
        std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
        REQUIRE(socket.send_all(request, deadline_in(5s)));
        auto response = read_response(socket, deadline_in(5s));
        REQUIRE(response);
        statuses.push_back(response->status());
        if (to_lower(response->header("connection").value_or("")) == "close") {
            socket.close();
        }
    }
    return statuses;
}

const std::string kApiSeries =
    "gantry_requests_total{listener=\"main\",virtual_host=\"main\",route=\"0 prefix "
    "/api/\",cluster=\"backend\",status_class=";
const std::string kLocalSeries =
    "gantry_requests_total{listener=\"main\",virtual_host=\"main\",route=\"1 path "
    "/local\",cluster=\"\",status_class=";
const std::string kNoRouteSeries =
    "gantry_requests_total{listener=\"main\",virtual_host=\"\",route=\"\",cluster=\"\","
    "status_class=";

TEST_CASE("Admin /metrics counters move by exactly the requests sent", "[admin]") {
    HttpUpstream upstream([](const UpstreamRequest& request) {
        return UpstreamResponse::text(request.target == "/api/fail" ? 503 : 200, "ok");
    });
    GantryProcess gantry(admin_config(), with_upstream(upstream));
    std::string before = scrape(gantry);

    // Several connections so that both workers may see traffic; the sums must not care.
    int connections = 0;
    for (int status : send_requests(gantry.port(), "/api/x", 12, &connections)) {
        CHECK(status == 200);
    }
    for (int status : send_requests(gantry.port(), "/api/y", 8, &connections)) {
        CHECK(status == 200);
    }
    for (int status : send_requests(gantry.port(), "/api/fail", 3, &connections)) {
        CHECK(status == 503);
    }
    for (int status : send_requests(gantry.port(), "/local", 5, &connections)) {
        CHECK(status == 200);
    }
    for (int status : send_requests(gantry.port(), "/nowhere", 2, &connections)) {
        CHECK(status == 404);
    }
    // The last response may be written a moment before its stream records it.
    std::string after;
    REQUIRE(wait_until(
        [&] {
            after = scrape(gantry);
            return metric(after, "gantry_downstream_connections_active") == 0;
        },
        5s));
    INFO(after);
    auto diff = [&](const std::string& series) {
        return metric(after, series) - metric(before, series);
    };
    CHECK(diff(kApiSeries + "\"2xx\"}") == 20);
    CHECK(diff(kApiSeries + "\"5xx\"}") == 3);
    CHECK(diff(kLocalSeries + "\"2xx\"}") == 5);
    CHECK(diff(kNoRouteSeries + "\"4xx\"}") == 2);
    CHECK(diff("gantry_request_duration_seconds_count{listener=\"main\"}") == 30);
    CHECK(diff("gantry_local_replies_total{listener=\"main\",status_class=\"2xx\"}") == 5);
    CHECK(diff("gantry_local_replies_total{listener=\"main\",status_class=\"4xx\"}") == 2);
    CHECK(diff("gantry_downstream_connections_total") == connections);
    CHECK(diff("gantry_upstream_requests_total{cluster=\"backend\",status_class=\"2xx\"}") == 20);
    CHECK(diff("gantry_upstream_requests_total{cluster=\"backend\",status_class=\"5xx\"}") == 3);
    CHECK(diff("gantry_upstream_request_duration_seconds_count{cluster=\"backend\"}") == 23);
    double new_connections =
        diff("gantry_upstream_connections_total{cluster=\"backend\",connection=\"new\"}");
    double reused =
        diff("gantry_upstream_connections_total{cluster=\"backend\",connection=\"reused\"}");
    CHECK(new_connections + reused == 23);
    CHECK(new_connections == static_cast<double>(upstream.connection_count()));
    std::string endpoint = "{cluster=\"backend\",endpoint=\"" + upstream.address() + "\"}";
    CHECK(diff("gantry_upstream_endpoint_requests_total" + endpoint) == 23);
    CHECK(diff("gantry_upstream_endpoint_failures_total" + endpoint) == 3);
    CHECK(metric(after, "gantry_upstream_endpoint_active_requests" + endpoint) == 0);
    CHECK(metric(after, "gantry_workers") == 2);
    CHECK(after.find("gantry_build_info{version=\"") != std::string::npos);

    CurlResult clusters = admin_get(gantry, "/clusters");
    CHECK(clusters.status == 200);
    CHECK(clusters.body.find("backend::" + upstream.address() + "::requests::23\n") !=
          std::string::npos);
}

TEST_CASE("Admin /metrics counts upstream timeouts and reloads, applied and rejected", "[admin]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "slow");
        response.delay = 1500ms;
        return response;
    });
    std::string config = one_host_config(
        "      - match: { prefix: / }\n        forward: { cluster: backend, timeout: 200ms }\n",
        backend_cluster(), kGlobals);
    GantryOptions options = with_upstream(upstream);
    options.allow_error_lines = true;  // the rejected reload logs an error
    GantryProcess gantry(config, options);
    for (int status : send_requests(gantry.port(), "/", 2)) {
        CHECK(status == 504);
    }
    REQUIRE(wait_until(
        [&] {
            return metric(scrape(gantry), "gantry_upstream_timeouts_total{cluster=\"backend\"}") ==
                   2;
        },
        5s));

    CHECK(gantry.reload().applied);
    gantry.write_config("workers: 2\nno_such_key: 1\n");
    CHECK(gantry.reload().rejected);
    std::string page = scrape(gantry);
    CHECK(metric(page, "gantry_config_reloads_total") == 1);
    CHECK(metric(page, "gantry_config_reload_failures_total") == 1);
    CHECK(metric(page, "gantry_config_generation") == 2);
    CHECK(metric(page,
                 "gantry_upstream_requests_total{cluster=\"backend\",status_class=\"none\"}") == 2);
}

TEST_CASE("Admin /metrics counters continue across a reload that keeps their route", "[admin]") {
    HttpUpstream upstream;
    GantryProcess gantry(admin_config(), with_upstream(upstream));
    for (int status : send_requests(gantry.port(), "/api/a", 5)) {
        CHECK(status == 200);
    }
    // The reload adds a route after the existing ones and a second cluster: new series, while
    // the kept route keeps its series and its count.
    gantry.write_config(one_host_config(R"(      - match: { prefix: /api/ }
        forward: { cluster: backend }
        request_headers: { set: { authorization: "Bearer hunter2-secret", x-env: prod } }
      - match: { path: /local }
        respond: { status: 200, body: "local\n" }
      - match: { prefix: /other/ }
        forward: { cluster: other }
)",
                                        backend_cluster() + R"(  - name: other
    endpoints: [{ address: "127.0.0.1:@UP@" }]
)",
                                        kGlobals));
    REQUIRE(gantry.reload().applied);
    for (int status : send_requests(gantry.port(), "/api/b", 3)) {
        CHECK(status == 200);
    }
    for (int status : send_requests(gantry.port(), "/other/c", 2)) {
        CHECK(status == 200);
    }
    std::string page;
    REQUIRE(wait_until(
        [&] {
            page = scrape(gantry);
            return metric(page, "gantry_downstream_connections_active") == 0;
        },
        5s));
    INFO(page);
    CHECK(metric(page, kApiSeries + "\"2xx\"}") == 8);
    CHECK(metric(page,
                 "gantry_requests_total{listener=\"main\",virtual_host=\"main\",route=\"2 prefix "
                 "/other/\",cluster=\"other\",status_class=\"2xx\"}") == 2);
    CHECK(metric(page,
                 "gantry_upstream_requests_total{cluster=\"backend\",status_class=\"2xx\"}") == 8);
    CHECK(metric(page, "gantry_upstream_requests_total{cluster=\"other\",status_class=\"2xx\"}") ==
          2);
    CHECK(metric(page, "gantry_config_reloads_total") == 1);
}

TEST_CASE("Admin /config is the running config as YAML with secrets redacted", "[admin]") {
    HttpUpstream upstream;
    GantryProcess gantry(admin_config(), with_upstream(upstream));
    CurlResult r = admin_get(gantry, "/config");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/yaml");
    INFO(r.body);
    CHECK(r.body.find("hunter2") == std::string::npos);
    CHECK(r.body.find("authorization: \"[redacted]\"") != std::string::npos);
    CHECK(r.body.find("x-env: prod") != std::string::npos);
    CHECK(r.body.find("cluster: backend") != std::string::npos);
    CHECK(r.body.find("127.0.0.1:" + std::to_string(upstream.port())) != std::string::npos);
}

TEST_CASE("Admin /ready and /healthz answer 200 while serving; /ready is 503 while draining",
          "[admin]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "slow");
        response.delay = 1500ms;
        return response;
    });
    GantryProcess gantry(admin_config(), with_upstream(upstream));
    CHECK(admin_get(gantry, "/ready").status == 200);
    CHECK(admin_get(gantry, "/healthz").status == 200);
    CHECK(admin_get(gantry, "/healthz").body == "ok\n");

    // A slow request keeps the process draining after SIGTERM.
    std::thread client([&] {
        auto statuses = send_requests(gantry.port(), "/api/slow", 1);
        CHECK(statuses == std::vector<int>{200});
    });
    REQUIRE(wait_until([&] { return upstream.heads_received() == 1; }, 5s));
    gantry.signal(SIGTERM);
    CHECK(wait_until([&] { return admin_get(gantry, "/ready").status == 503; }, 1s));
    client.join();
    CHECK(gantry.wait_exit(10s) == 0);
}

TEST_CASE("The admin port answers 404, 405 and 400 to what it does not serve", "[admin]") {
    HttpUpstream upstream;
    GantryProcess gantry(admin_config(), with_upstream(upstream));
    CurlResult missing = admin_get(gantry, "/stats");
    CHECK(missing.status == 404);
    CHECK(missing.header("x-gantry-error") == "no-route");
    CurlResult post = admin_get(gantry, "/metrics", {"-X", "POST", "-d", "x=1"});
    CHECK(post.status == 405);
    CHECK(post.header("allow") == "GET");

    BufferedSocket garbage = connect_to(admin_port(gantry));
    REQUIRE(garbage.send_all("NOT HTTP AT ALL\r\n\r\n", deadline_in(2s)));
    auto response = read_response(garbage, deadline_in(5s));
    REQUIRE(response);
    CHECK(response->status() == 400);
    CHECK(response->header("x-gantry-error"));

    BufferedSocket huge = connect_to(admin_port(gantry));
    std::string head = "GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(16 * 1024, 'a');
    huge.send_all(head, deadline_in(2s));  // may fail once gantry answers and closes
    auto too_big = read_response(huge, deadline_in(5s));
    REQUIRE(too_big);
    CHECK(too_big->status() == 431);

    // A client that sends nothing is cut off after the admin timeout, not held forever; the
    // admin port keeps serving meanwhile.
    BufferedSocket idle = connect_to(admin_port(gantry));
    CHECK(admin_get(gantry, "/healthz").status == 200);
    CHECK(idle.wait_closed(deadline_in(15s)));
}

}  // namespace
}  // namespace gantry::test
