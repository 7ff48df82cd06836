// Request mirroring: the shadow cluster gets a copy with "-shadow" appended to the Host, and a
// slow, failing, absent or overloaded shadow never delays or fails the primary request.

#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string mirror_config(const std::string& mirror, const std::string& shadow_extra = "") {
    return one_host_config(
        "      - match: { prefix: / }\n        forward: { cluster: backend, "
        "timeout: 5s, mirror: " +
            mirror + " }\n",
        "clusters:\n  - name: backend\n    endpoints: [{ address: "
        "\"127.0.0.1:@UP@\" }]\n  - name: shadow\n" +
            shadow_extra + "    endpoints: [{ address: \"127.0.0.1:@SHADOW@\" }]\n");
}

GantryOptions options_for(uint16_t primary, uint16_t shadow) {
    GantryOptions options;
    options.vars["UP"] = std::to_string(primary);
    options.vars["SHADOW"] = std::to_string(shadow);
    return options;
}

HttpUpstream::Handler slow_handler(std::chrono::milliseconds delay) {
    return [delay](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "shadow");
        response.delay = delay;
        return response;
    };
}

}  // namespace

TEST_CASE("the mirror gets a copy with a -shadow Host while a slow mirror delays nobody",
          "[integration][mirror]") {
    HttpUpstream primary;
    HttpUpstream shadow(slow_handler(2s));
    GantryProcess gantry(mirror_config("{ cluster: shadow, percent: 100 }"),
                         options_for(primary.port(), shadow.port()));
    auto start = Clock::now();
    CurlResult r = run_curl({"-H", "Host: api.example.com:8080", gantry.url("/copy?x=1")});
    auto elapsed = Clock::now() - start;
    CHECK(r.status == 200);
    CHECK(r.body == "ok");
    CHECK(elapsed < 500ms);
    REQUIRE(shadow.wait_for_requests(1, 5s));
    auto copies = shadow.requests();
    CHECK(copies[0].target == "/copy?x=1");
    CHECK(copies[0].header("host") == "api.example.com-shadow:8080");
    CHECK(copies[0].header("x-forwarded-for") == "127.0.0.1");
    CHECK(primary.requests()[0].header("host") == "api.example.com:8080");
}

TEST_CASE("the mirror gets the request body too", "[integration][mirror]") {
    HttpUpstream primary;
    HttpUpstream shadow;
    GantryProcess gantry(mirror_config("{ cluster: shadow }"),
                         options_for(primary.port(), shadow.port()));
    std::string body(5000, 'm');
    SECTION("with a Content-Length") {
        CHECK(run_curl({"--data-binary", body, gantry.url("/post")}).status == 200);
    }
    SECTION("chunked") {
        CHECK(run_curl(
                  {"-H", "Transfer-Encoding: chunked", "--data-binary", body, gantry.url("/post")})
                  .status == 200);
    }
    REQUIRE(shadow.wait_for_requests(1, 5s));
    CHECK(shadow.requests()[0].method == "POST");
    CHECK(shadow.requests()[0].body == body);
    CHECK(primary.requests()[0].body == body);
}

TEST_CASE("an absent or failing mirror never fails the primary", "[integration][mirror]") {
    HttpUpstream primary;
    SECTION("nothing listens") {
        uint16_t closed = free_port();
        GantryProcess gantry(mirror_config("{ cluster: shadow }"),
                             options_for(primary.port(), closed));
        for (int i = 0; i < 3; ++i) {
            CHECK(run_curl({gantry.url("/")}).status == 200);
        }
    }
    SECTION("the mirror resets") {
        HttpUpstream shadow([](const UpstreamRequest&) {
            UpstreamResponse response;
            response.reset = true;
            return response;
        });
        GantryProcess gantry(mirror_config("{ cluster: shadow }"),
                             options_for(primary.port(), shadow.port()));
        for (int i = 0; i < 3; ++i) {
            CHECK(run_curl({gantry.url("/")}).status == 200);
        }
    }
    CHECK(primary.request_count() == 3);
}

TEST_CASE("mirroring obeys percent and the shadow cluster's circuit breakers",
          "[integration][mirror]") {
    HttpUpstream primary;
    SECTION("percent 0 mirrors nothing") {
        HttpUpstream shadow;
        GantryProcess gantry(mirror_config("{ cluster: shadow, percent: 0 }"),
                             options_for(primary.port(), shadow.port()));
        for (int i = 0; i < 20; ++i) {
            CHECK(run_curl({gantry.url("/")}).status == 200);
        }
        std::this_thread::sleep_for(200ms);
        CHECK(shadow.heads_received() == 0);
    }
    SECTION("max_requests of the shadow cluster drops extra copies") {
        HttpUpstream shadow(slow_handler(1s));
        GantryProcess gantry(
            mirror_config("{ cluster: shadow }", "    circuit_breakers: { max_requests: 1 }\n"),
            options_for(primary.port(), shadow.port()));
        for (int i = 0; i < 5; ++i) {
            CHECK(run_curl({gantry.url("/")}).status == 200);
        }
        REQUIRE(shadow.wait_for_requests(1, 3s));
        std::this_thread::sleep_for(300ms);
        CHECK(shadow.heads_received() == 1);
    }
}

}  // namespace gantry::test
