// Route timeouts with retries: per_try_timeout ends one try (and may be retried), `timeout` is
// the budget of the whole request with its retries, both firing on time (within 20%).

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string config(const std::string& forward_extra) {
    return one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend, " +
                               forward_extra + " }\n",
                           backend_cluster());
}

GantryOptions options_for(uint16_t port) {
    GantryOptions options;
    options.vars["UP"] = std::to_string(port);
    options.allow_error_lines = true;
    return options;
}

struct Timed {
    std::optional<HttpResponse> response;
    std::chrono::milliseconds elapsed{0};
};

// One request over a raw socket, timed from the send to the complete response.
Timed timed_get(uint16_t port) {
    BufferedSocket socket = connect_to(port);
    auto start = Clock::now();
    Timed out;
    if (socket.send_all("GET /t HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s))) {
        out.response = read_response(socket, deadline_in(10s));
    }
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return out;
}

// The first `slow` requests take 3 s, the others answer at once.
struct SlowThenFast {
    explicit SlowThenFast(int slow) : slow_left(slow) {}

    std::atomic<int> slow_left;
    HttpUpstream server{[this](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "fast");
        if (slow_left.fetch_sub(1) > 0) {
            response.delay = 3s;
            response.body = "slow";
        }
        return response;
    }};
};

}  // namespace

TEST_CASE("per_try_timeout fires on time and answers 504 without retries",
          "[integration][timeouts]") {
    SlowThenFast upstream(100);
    GantryProcess gantry(config("timeout: 10s, per_try_timeout: 400ms"),
                         options_for(upstream.server.port()));
    Timed t = timed_get(gantry.port());
    REQUIRE(t.response);
    CHECK(t.response->status() == 504);
    CHECK(t.response->header("x-gantry-error") == "upstream-timeout");
    CHECK(t.elapsed >= 320ms);
    CHECK(t.elapsed <= 480ms);
}

TEST_CASE("a try cut by per_try_timeout is retried and the retry answers",
          "[integration][timeouts]") {
    SlowThenFast upstream(1);
    GantryProcess gantry(config("timeout: 10s, per_try_timeout: 400ms, retries: { on: [reset], "
                                "backoff: { base: 1ms, max: 1ms } }"),
                         options_for(upstream.server.port()));
    Timed t = timed_get(gantry.port());
    REQUIRE(t.response);
    CHECK(t.response->status() == 200);
    CHECK(t.response->body == "fast");
    CHECK(t.elapsed >= 320ms);
    CHECK(t.elapsed <= 600ms);
    CHECK(upstream.server.heads_received() == 2);
}

TEST_CASE("the route timeout bounds the whole request, retries included",
          "[integration][timeouts]") {
    SlowThenFast upstream(100);
    GantryProcess gantry(config("timeout: 1s, per_try_timeout: 300ms, retries: { attempts: 10, "
                                "on: [5xx], backoff: { base: 1ms, max: 1ms } }"),
                         options_for(upstream.server.port()));
    Timed t = timed_get(gantry.port());
    REQUIRE(t.response);
    CHECK(t.response->status() == 504);
    CHECK(t.response->header("x-gantry-error") == "upstream-timeout");
    CHECK(t.elapsed >= 800ms);
    CHECK(t.elapsed <= 1200ms);
    // Three 300 ms tries fit into 1 s, the fourth is cut by the route timeout.
    CHECK(upstream.server.heads_received() >= 3);
    CHECK(upstream.server.heads_received() <= 4);
}

// A loopback listener that never accepts and whose backlog is full: further SYNs are dropped,
// so a connect to it hangs until the connecting side gives up.
class HangingListener {
public:
    HangingListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
        socklen_t length = sizeof(address);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        REQUIRE(::listen(fd_, 0) == 0);
        port_ = ntohs(address.sin_port);
        for (int i = 0; i < 4; ++i) {
            BufferedSocket filler = connect_to(port_, 200ms);
            if (!filler.is_open()) {
                break;
            }
            fillers_.push_back(std::move(filler));
        }
    }

    ~HangingListener() { ::close(fd_); }

    uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
    std::vector<BufferedSocket> fillers_;
};

TEST_CASE("cluster connect_timeout ends a connect that hangs", "[integration][timeouts]") {
    HangingListener hanging;
    std::string clusters =
        "clusters:\n  - name: backend\n    connect_timeout: 300ms\n"
        "    endpoints: [{ address: \"127.0.0.1:@UP@\" }]\n";
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend }\n",
                        clusters),
        options_for(hanging.port()));
    Timed t = timed_get(gantry.port());
    REQUIRE(t.response);
    CHECK(t.response->status() == 502);
    CHECK(t.response->header("x-gantry-error") == "upstream-connect-failure");
    CHECK(t.elapsed >= 240ms);
    CHECK(t.elapsed <= 1500ms);
}

TEST_CASE("a connect that times out is retried on the other endpoint",
          "[integration][timeouts][retries]") {
    HangingListener hanging;
    HttpUpstream good;
    std::string clusters =
        "clusters:\n  - name: backend\n    connect_timeout: 200ms\n"
        "    endpoints: [{ address: \"127.0.0.1:@HANG@\" }, { address: \"127.0.0.1:@UP@\" }]\n";
    GantryOptions options = options_for(good.port());
    options.vars["HANG"] = std::to_string(hanging.port());
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend, "
                        "retries: { on: [connect-failure] } }\n",
                        clusters),
        options);
    // Round robin: one of the two requests starts on the hanging endpoint.
    for (int i = 0; i < 2; ++i) {
        Timed t = timed_get(gantry.port());
        REQUIRE(t.response);
        CHECK(t.response->status() == 200);
        CHECK(t.elapsed <= 1500ms);
    }
    CHECK(good.request_count() == 2);
}

}  // namespace gantry::test
