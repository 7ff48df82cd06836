// Hash balancers and zone-aware routing across real upstreams.

#include <array>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

struct Three {
    std::array<HttpUpstream, 3> upstreams{
        HttpUpstream([](const UpstreamRequest&) { return UpstreamResponse::text(200, "A"); }),
        HttpUpstream([](const UpstreamRequest&) { return UpstreamResponse::text(200, "B"); }),
        HttpUpstream([](const UpstreamRequest&) { return UpstreamResponse::text(200, "C"); })};

    GantryOptions options() const {
        GantryOptions o;
        o.vars["A"] = std::to_string(upstreams[0].port());
        o.vars["B"] = std::to_string(upstreams[1].port());
        o.vars["C"] = std::to_string(upstreams[2].port());
        return o;
    }
};

std::string cluster(const std::string& extra) {
    return R"(clusters:
  - name: three
    endpoints:
      - { address: "127.0.0.1:@A@", zone: a }
      - { address: "127.0.0.1:@B@", zone: b }
      - { address: "127.0.0.1:@C@", zone: b }
)" + extra;
}

std::string config(const std::string& cluster_text, std::string_view globals = kQuietGlobals) {
    return one_host_config("      - match: { prefix: / }\n        forward: { cluster: three }\n",
                           cluster_text, globals);
}

// Sends one request per item of `headers` over one connection; returns who answered each.
std::string send(uint16_t port, const std::vector<std::string>& headers) {
    std::string order;
    BufferedSocket socket = connect_to(port);
    for (const auto& header : headers) {
        std::string request = "GET /x HTTP/1.1\r\nHost: a\r\n" + header + "\r\n";
        if (!socket.send_all(request, deadline_in(2s))) {
            break;
        }
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        if (!r || r->status() != 200) {
            break;
        }
        order += r->body;
    }
    return order;
}

}  // namespace

TEST_CASE("ring_hash and maglev send the same user to the same upstream on every worker",
          "[integration][lb][hash]") {
    std::string lb = GENERATE(std::string("ring_hash"), std::string("maglev"));
    INFO("lb: " << lb);
    Three three;
    GantryProcess gantry(config(cluster("    lb: " + lb + "\n    hash_on: header:x-user\n"),
                                "workers: 2\nlog: { access: { path: \"off\" } }\n"),
                         three.options());
    std::vector<std::string> users;
    for (int i = 0; i < 60; ++i) {
        users.push_back("x-user: u" + std::to_string(i) + "\r\n");
    }
    // Two connections (likely on different workers) agree on every user's upstream.
    std::string first = send(gantry.port(), users);
    std::string second = send(gantry.port(), users);
    REQUIRE(first.size() == users.size());
    CHECK(first == second);
    // And the users are spread: every upstream has some.
    for (char c : {'A', 'B', 'C'}) {
        CHECK(std::count(first.begin(), first.end(), c) >= 5);
    }
}

TEST_CASE("zone-aware routing with a fleet splits 2/3 local and 1/3 to the other zone",
          "[integration][zone]") {
    // Fleet 1:1, upstreams 1 in zone a and 2 in b: from zone a, Envoy's split keeps
    // (1/3) / (1/2) = 66.7% local and sends 33.3% to b (16.7% to each of B and C).
    Three three;
    std::string globals =
        "workers: 1\nlog: { access: { path: \"off\" } }\nnode: { name: t, zone: a }\n";
    GantryProcess gantry(
        config(cluster("    zone_aware: { min_cluster_size: 3, fleet: { a: 1, b: 1 } }\n"),
               globals),
        three.options());
    constexpr int kRequests = 3000;
    std::string order = send(gantry.port(), std::vector<std::string>(kRequests, ""));
    REQUIRE(order.size() == kRequests);
    auto share = [&](char c) {
        return 100.0 * static_cast<double>(std::count(order.begin(), order.end(), c)) / kRequests;
    };
    CHECK(share('A') == Approx(66.67).margin(3));
    CHECK(share('B') == Approx(16.67).margin(3));
    CHECK(share('C') == Approx(16.67).margin(3));
}

TEST_CASE("zone-aware routing keeps everything local when the local zone suffices",
          "[integration][zone]") {
    Three three;
    std::string globals =
        "workers: 1\nlog: { access: { path: \"off\" } }\nnode: { name: t, zone: b }\n";
    GantryProcess gantry(config(cluster("    zone_aware: { min_cluster_size: 3 }\n"), globals),
                         three.options());
    std::string order = send(gantry.port(), std::vector<std::string>(200, ""));
    REQUIRE(order.size() == 200);
    CHECK(three.upstreams[0].request_count() == 0);
    CHECK(three.upstreams[1].request_count() == 100);
    CHECK(three.upstreams[2].request_count() == 100);
}

}  // namespace gantry::test
