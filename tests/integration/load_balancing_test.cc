// Load balancing across real upstreams: weighted round robin is exact on one worker, and every
// policy reaches every endpoint.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string config(const std::string& lb, int weight_a, int weight_b) {
    return one_host_config("      - match: { prefix: / }\n        forward: { cluster: pair }\n",
                           R"(clusters:
  - name: pair
    lb: )" + lb + R"(
    endpoints:
      - { address: "127.0.0.1:@A@", weight: )" +
                               std::to_string(weight_a) + R"( }
      - { address: "127.0.0.1:@B@", weight: )" +
                               std::to_string(weight_b) + R"( }
)");
}

// Sends `n` requests over one keep-alive connection; returns which upstream answered each.
std::string send_requests(uint16_t port, int n) {
    std::string order;
    BufferedSocket socket = connect_to(port);
    for (int i = 0; i < n; ++i) {
        if (!socket.send_all("GET /lb HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s))) {
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

struct Pair {
    HttpUpstream a{[](const UpstreamRequest&) {
        return UpstreamResponse::text(200, "A");
    }};
    HttpUpstream b{[](const UpstreamRequest&) {
        return UpstreamResponse::text(200, "B");
    }};

    GantryOptions options() const {
        GantryOptions o;
        o.vars["A"] = std::to_string(a.port());
        o.vars["B"] = std::to_string(b.port());
        return o;
    }
};

}  // namespace

TEST_CASE("weighted round robin splits 400 requests exactly 300 to 100 on one worker",
          "[integration][lb]") {
    Pair pair;
    GantryProcess gantry(config("round_robin", 3, 1), pair.options());
    std::string order = send_requests(gantry.port(), 400);
    REQUIRE(order.size() == 400);
    CHECK(pair.a.request_count() == 300);
    CHECK(pair.b.request_count() == 100);
    // Every run of four consecutive picks holds three A and one B: the cycle repeats exactly.
    for (size_t i = 0; i + 4 <= order.size(); ++i) {
        INFO("window at " << i << ": " << order.substr(i, 4));
        REQUIRE(std::count(order.begin() + i, order.begin() + i + 4, 'A') == 3);
    }
}

TEST_CASE("round robin with equal weights alternates", "[integration][lb]") {
    Pair pair;
    GantryProcess gantry(config("round_robin", 1, 1), pair.options());
    std::string order = send_requests(gantry.port(), 100);
    REQUIRE(order.size() == 100);
    CHECK(pair.a.request_count() == 50);
    CHECK(pair.b.request_count() == 50);
    CHECK(order.find("AA") == std::string::npos);
    CHECK(order.find("BB") == std::string::npos);
}

TEST_CASE("random and least_request reach both endpoints", "[integration][lb]") {
    std::string lb = GENERATE(std::string("random"), std::string("least_request"));
    INFO("lb: " << lb);
    Pair pair;
    GantryProcess gantry(config(lb, 1, 1), pair.options());
    std::string order = send_requests(gantry.port(), 200);
    REQUIRE(order.size() == 200);
    // With fair choices the chance of either side getting under 50 of 200 is below 1e-12.
    CHECK(pair.a.request_count() >= 50);
    CHECK(pair.b.request_count() >= 50);
}

}  // namespace gantry::test
