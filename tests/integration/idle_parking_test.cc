// A plain-TCP HTTP/1.1 client connection idle between requests for more than a second is parked:
// its coroutine frames are freed and a plain callback waits for the client (see
// DownstreamConnection::park). These tests idle long enough to be parked and check that the
// connection behaves exactly as an unparked one: it serves the next requests (pipelined or
// arriving in pieces), closes at limits.idle_timeout, and closes at once on SIGTERM.

#include <signal.h>
#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// Parking happens after 0.5 to 1 s of idleness (two ticks of the connection's timer).
constexpr auto kParked = 1600ms;

const std::string kConfig =
    one_host_config(kForwardAllRoute, backend_cluster(), kQuietGlobals, "    default: true\n");

UpstreamResponse echo_target(const UpstreamRequest& r) {
    return UpstreamResponse::text(200, r.method + " " + r.target + " " + r.body);
}

void get(BufferedSocket& socket, const std::string& path) {
    REQUIRE(socket.send_all("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->status() == 200);
    CHECK(r->complete);
    CHECK(r->body == "GET " + path + " ");
}

}  // namespace

TEST_CASE("a keep-alive connection idle long enough to be parked serves its next requests",
          "[integration][http1][idle]") {
    HttpUpstream upstream(echo_target);
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    get(socket, "/before");
    std::this_thread::sleep_for(kParked);
    get(socket, "/after");

    // Woken by a request that arrives in two pieces.
    std::this_thread::sleep_for(kParked);
    REQUIRE(socket.send_all("POST /split HTTP/1.1\r\nHost: a\r\n", deadline_in(2s)));
    std::this_thread::sleep_for(100ms);
    REQUIRE(socket.send_all("Content-Length: 4\r\n\r\nbody", deadline_in(2s)));
    std::optional<HttpResponse> split = read_response(socket, deadline_in(5s));
    REQUIRE(split.has_value());
    CHECK(split->body == "POST /split body");

    // Woken by two pipelined requests at once: both are answered, in order.
    std::this_thread::sleep_for(kParked);
    REQUIRE(socket.send_all(
        "GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    for (const char* expected : {"GET /p1 ", "GET /p2 "}) {
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        REQUIRE(r.has_value());
        CHECK(r->body == expected);
    }
    CHECK(upstream.request_count() == 5);
}

// gantry with a 2.5 s idle timeout and one client connection that has had an answer.
struct ShortIdleTimeout {
    HttpUpstream upstream{echo_target};
    GantryProcess gantry{kConfig + "limits: { idle_timeout: 2500ms }\n", with_upstream(upstream)};
    BufferedSocket socket = connect_to(gantry.port());

    explicit ShortIdleTimeout(const char* first_target) { get(socket, first_target); }
};

TEST_CASE("a parked keep-alive connection is closed at limits.idle_timeout",
          "[integration][http1][idle]") {
    ShortIdleTimeout setup("/once");
    BufferedSocket& socket = setup.socket;
    auto answered = Clock::now();
    std::string extra;
    CHECK(socket.wait_closed(deadline_in(6s), &extra));
    CHECK(Clock::now() - answered >= 2300ms);
    CHECK(extra.empty());
}

TEST_CASE("a parked connection woken by a request gets a fresh idle timeout",
          "[integration][http1][idle]") {
    ShortIdleTimeout setup("/first");
    BufferedSocket& socket = setup.socket;
    std::this_thread::sleep_for(kParked);
    get(socket, "/second");  // restarts the idle timeout
    auto answered = Clock::now();
    std::this_thread::sleep_for(1500ms);  // past the first request's idle deadline
    get(socket, "/third");
    CHECK(Clock::now() - answered < 2500ms);
}

TEST_CASE("SIGTERM closes a parked keep-alive connection at once", "[integration][http1][idle]") {
    HttpUpstream upstream(echo_target);
    GantryProcess gantry(kConfig, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    get(socket, "/once");
    std::this_thread::sleep_for(kParked);
    check_sigterm_closes_idle(gantry, {&socket});
}

}  // namespace gantry::test
