// SIGTERM drains: in-flight requests finish, new connections are refused, idle keep-alive
// connections are closed, and gantry exits 0.

#include <future>
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

const std::string kConfig = proxy_config({}, {}, R"(workers: 2
log: { access: { path: "off" } }
limits:
  drain_timeout: 10s
)");

UpstreamResponse slow_for_slow_path(const UpstreamRequest& r) {
    UpstreamResponse response = UpstreamResponse::text(200, "finished " + r.target);
    if (r.target == "/slow") {
        response.delay = 2s;
    }
    return response;
}

}  // namespace

TEST_CASE("SIGTERM lets an in-flight request finish, refuses new connections and exits 0",
          "[integration][stop]") {
    HttpUpstream upstream(slow_for_slow_path);
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);

    std::future<CurlResult> slow =
        std::async(std::launch::async, [&] { return run_curl({gantry.url("/slow")}); });
    REQUIRE(wait_until([&] { return upstream.heads_received() >= 1; }, 5s));
    auto signalled = Clock::now();
    gantry.signal(SIGTERM);

    // While the slow request is still running, the listener is already gone.
    CHECK(
        wait_until([&] { return try_connect(gantry.port()) == ConnectOutcome::Refused; }, 1500ms));
    CHECK(upstream.request_count() == 1);

    CurlResult r = slow.get();
    INFO("curl stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.status == 200);
    CHECK(r.body == "finished /slow");
    CHECK(Clock::now() - signalled >= 1500ms);

    std::optional<int> code = gantry.wait_exit(5s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
}

TEST_CASE("SIGTERM closes idle keep-alive connections and exits promptly", "[integration][stop]") {
    HttpUpstream upstream(slow_for_slow_path);
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);

    std::vector<BufferedSocket> idle;
    for (int i = 0; i < 4; ++i) {
        BufferedSocket socket = connect_to(gantry.port());
        REQUIRE(socket.send_all("GET /quick HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        REQUIRE(r.has_value());
        REQUIRE(r->status() == 200);
        idle.push_back(std::move(socket));
    }
    // One more connection that never sent a byte.
    idle.push_back(connect_to(gantry.port()));

    std::vector<BufferedSocket*> sockets;
    for (BufferedSocket& socket : idle) {
        sockets.push_back(&socket);
    }
    check_sigterm_closes_idle(gantry, sockets);
}

TEST_CASE("SIGINT stops gantry like SIGTERM", "[integration][stop]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    REQUIRE(run_curl({gantry.url("/")}).status == 200);
    gantry.signal(SIGINT);
    std::optional<int> code = gantry.wait_exit(5s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
}

TEST_CASE("stop() of an idle gantry returns exit code 0", "[integration][stop]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    CHECK(gantry.stop() == 0);
    CHECK_FALSE(gantry.running());
    CHECK(try_connect(gantry.port()) == ConnectOutcome::Refused);
}

}  // namespace gantry::test
