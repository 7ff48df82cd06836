// Retries against deterministic upstreams: a 503-once or a reset becomes a 200, POST is retried
// only when configured, an oversized body is never replayed, and the retry budget and the
// cluster's max_retries breaker keep a failing upstream from a retry storm.

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/scripted_upstream.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// One worker, the access log in @DIR@/access.log with the status and the tries made.
constexpr std::string_view kLoggedGlobals =
    "workers: 1\nlog: { access: { path: \"@DIR@/access.log\", format: \"$request_method $status "
    "attempts=$upstream_attempts\" } }\n";

std::string retry_config(const std::string& forward_extra, const std::string& cluster_extra = "") {
    return one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend, " +
                               forward_extra + " }\n",
                           backend_cluster(cluster_extra), kLoggedGlobals);
}

GantryOptions options_for(uint16_t port) {
    GantryOptions options;
    options.vars["UP"] = std::to_string(port);
    options.allow_error_lines = true;
    return options;
}

// Answers 503 to the first `failures` requests, then 200 "ok".
struct FlakyUpstream {
    explicit FlakyUpstream(int failures) : failures_left(failures) {}

    std::atomic<int> failures_left;
    HttpUpstream server{[this](const UpstreamRequest&) {
        if (failures_left.fetch_sub(1) > 0) {
            return UpstreamResponse::text(503, "busy");
        }
        return UpstreamResponse::text(200, "ok");
    }};
};

std::vector<std::string> log_lines(const GantryProcess& gantry, size_t n) {
    std::string path = gantry.dir().file("access.log");
    wait_until([&] { return file_exists(path) && split_lines(read_file(path)).size() >= n; }, 3s);
    return file_exists(path) ? split_lines(read_file(path)) : std::vector<std::string>{};
}

// Sends `n` requests at once, each on its own connection, and returns their statuses (0 when
// none came) and whether each 503 said x-gantry-overloaded.
struct Burst {
    std::vector<int> statuses;
    int overloaded = 0;
};

Burst send_burst(uint16_t port, int n) {
    std::vector<BufferedSocket> sockets;
    for (int i = 0; i < n; ++i) {
        sockets.push_back(connect_to(port));
        REQUIRE(sockets.back().send_all("GET /burst HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    }
    Burst out;
    for (BufferedSocket& socket : sockets) {
        std::optional<HttpResponse> r = read_response(socket, deadline_in(10s));
        out.statuses.push_back(r ? r->status() : 0);
        if (r && r->header("x-gantry-overloaded") == "true") {
            ++out.overloaded;
        }
    }
    return out;
}

int count_of(const std::vector<int>& statuses, int status) {
    return static_cast<int>(std::count(statuses.begin(), statuses.end(), status));
}

}  // namespace

TEST_CASE("a retry turns a 503-once upstream into a 200", "[integration][retries]") {
    FlakyUpstream upstream(1);
    GantryProcess gantry(retry_config("retries: { attempts: 2, on: [5xx] }"),
                         options_for(upstream.server.port()));
    CurlResult r = run_curl({gantry.url("/once")});
    CHECK(r.status == 200);
    CHECK(r.body == "ok");
    CHECK(upstream.server.request_count() == 2);
    auto lines = log_lines(gantry, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "GET 200 attempts=2");
}

TEST_CASE("without a matching condition the 503 goes to the client untouched",
          "[integration][retries]") {
    FlakyUpstream upstream(1);
    GantryProcess gantry(retry_config("retries: { on: [connect-failure, retriable-4xx] }"),
                         options_for(upstream.server.port()));
    CurlResult r = run_curl({gantry.url("/once")});
    CHECK(r.status == 503);
    CHECK(r.body == "busy");
    CHECK(upstream.server.request_count() == 1);
    CHECK(log_lines(gantry, 1) == std::vector<std::string>{"GET 503 attempts=1"});
}

TEST_CASE("a retry turns an upstream reset into a 200", "[integration][retries]") {
    ScriptedUpstream upstream([](size_t index) -> Script {
        if (index == 0) {
            return {step::expect_head(), step::reset()};
        }
        return {step::expect_head(),
                step::send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"), step::close()};
    });
    GantryProcess gantry(retry_config("retries: { attempts: 1, on: [reset] }"),
                         options_for(upstream.port()));
    CurlResult r = run_curl({gantry.url("/reset")});
    CHECK(r.status == 200);
    CHECK(r.body == "fresh");
    CHECK(upstream.connection_count() == 2);
}

TEST_CASE("an upstream that refuses connections is retried on another endpoint",
          "[integration][retries]") {
    HttpUpstream good([](const UpstreamRequest&) { return UpstreamResponse::text(200, "good"); });
    uint16_t closed = free_port();
    std::string clusters = R"(clusters:
  - name: backend
    endpoints: [{ address: "127.0.0.1:@DOWN@" }, { address: "127.0.0.1:@UP@" }]
)";
    GantryOptions options = options_for(good.port());
    options.vars["DOWN"] = std::to_string(closed);
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        forward: { cluster: backend, "
                        "retries: { attempts: 1, on: [connect-failure] } }\n",
                        clusters),
        options);
    // Round robin starts on either endpoint; whichever it is, every request ends on "good".
    for (int i = 0; i < 4; ++i) {
        CurlResult r = run_curl({gantry.url("/")});
        CHECK(r.status == 200);
        CHECK(r.body == "good");
    }
    CHECK(good.request_count() == 4);
}

TEST_CASE("POST is retried only when the route lists it, and replays its body",
          "[integration][retries]") {
    std::string body(3000, 'b');
    SECTION("not listed: the 503 is the answer") {
        FlakyUpstream upstream(1);
        GantryProcess gantry(retry_config("retries: { on: [5xx] }"),
                             options_for(upstream.server.port()));
        CurlResult r = run_curl({"-X", "POST", "--data-binary", body, gantry.url("/post")});
        CHECK(r.status == 503);
        CHECK(upstream.server.request_count() == 1);
    }
    SECTION("listed: the second try gets the same body") {
        FlakyUpstream upstream(1);
        GantryProcess gantry(retry_config("retries: { on: [5xx], methods: [POST] }"),
                             options_for(upstream.server.port()));
        CurlResult r = run_curl({"-X", "POST", "--data-binary", body, gantry.url("/post")});
        CHECK(r.status == 200);
        auto requests = upstream.server.requests();
        REQUIRE(requests.size() == 2);
        CHECK(requests[0].body == body);
        CHECK(requests[1].body == body);
    }
    SECTION("a body larger than body_buffer is not replayed, so not retried") {
        FlakyUpstream upstream(1);
        GantryProcess gantry(
            retry_config("retries: { on: [5xx], methods: [POST], body_buffer: 1KiB }"),
            options_for(upstream.server.port()));
        CurlResult r = run_curl({"-X", "POST", "--data-binary", body, gantry.url("/post")});
        CHECK(r.status == 503);
        CHECK(upstream.server.request_count() == 1);
    }
}

TEST_CASE("a response that has started is never retried", "[integration][retries]") {
    ScriptedUpstream upstream({step::expect_head(),
                               step::send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"),
                               step::sleep(100ms), step::reset()});
    GantryProcess gantry(retry_config("retries: { attempts: 3, on: [5xx, reset] }"),
                         options_for(upstream.port()));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET /partial HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<HttpResponse> response = read_response(socket, deadline_in(5s));
    REQUIRE(response.has_value());
    CHECK(response->status() == 200);
    CHECK_FALSE(response->complete);
    CHECK(upstream.connection_count() == 1);
}

TEST_CASE("the retry budget and max_retries keep a failing upstream from a retry storm",
          "[integration][retries]") {
    constexpr int kRequests = 20;
    // Every answer is a slow 503, so that all requests are in flight together.
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(503, "down");
        response.delay = 300ms;
        return response;
    });
    SECTION("budget: retries in flight stay under 20% of the requests in flight") {
        GantryProcess gantry(
            retry_config("retries: { attempts: 5, on: [5xx], budget: { percent: 20, "
                         "min_concurrency: 0 } }",
                         "    circuit_breakers: { max_retries: 1000 }\n"),
            options_for(upstream.port()));
        Burst burst = send_burst(gantry.port(), kRequests);
        CHECK(count_of(burst.statuses, 503) == kRequests);
        INFO("upstream requests: " << upstream.request_count());
        CHECK(upstream.request_count() > kRequests);  // some retries did happen
        CHECK(upstream.request_count() <= kRequests + kRequests * 20 / 100);
    }
    SECTION("max_retries: at most that many retries at a time") {
        GantryProcess gantry(retry_config("retries: { attempts: 5, on: [5xx] }",
                                          "    circuit_breakers: { max_retries: 2 }\n"),
                             options_for(upstream.port()));
        Burst burst = send_burst(gantry.port(), kRequests);
        CHECK(count_of(burst.statuses, 503) == kRequests);
        INFO("upstream requests: " << upstream.request_count());
        // Two retry slots; a request holding one may use it for all of its 5 retries.
        CHECK(upstream.request_count() >= kRequests + 2);
        CHECK(upstream.request_count() <= kRequests + 2 * 5);
    }
}

TEST_CASE("the circuit breaker answers 503 overloaded at once over max_requests",
          "[integration][circuit-breaker]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "slow");
        response.delay = 500ms;
        return response;
    });
    GantryProcess gantry(retry_config("timeout: 5s", "    circuit_breakers: { max_requests: 3 }\n"),
                         options_for(upstream.port()));
    auto start = Clock::now();
    Burst burst = send_burst(gantry.port(), 10);
    CHECK(count_of(burst.statuses, 200) == 3);
    CHECK(count_of(burst.statuses, 503) == 7);
    CHECK(burst.overloaded == 7);
    CHECK(Clock::now() - start < 3s);
    CHECK(upstream.request_count() == 3);
    // The slots come back: the next request goes through.
    CHECK(run_curl({gantry.url("/after")}).status == 200);
}

TEST_CASE("max_pending limits requests waiting for a new connection",
          "[integration][circuit-breaker]") {
    HttpUpstream upstream;
    GantryProcess gantry(retry_config("timeout: 5s", "    circuit_breakers: { max_pending: 0 }\n"),
                         options_for(upstream.port()));
    CurlResult r = run_curl({gantry.url("/")});
    CHECK(r.status == 503);
    CHECK(r.header("x-gantry-overloaded") == "true");
    CHECK(r.header("x-gantry-error") == "overloaded");
    CHECK(upstream.request_count() == 0);
}

}  // namespace gantry::test
