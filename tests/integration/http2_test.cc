// HTTP/2 from the client (h2c with prior knowledge) to an HTTP/1.1 upstream: curl, nghttp,
// h2load and a raw-frame client (h2_client.py) against the real gantry binary. Covers the
// translation (pseudo-headers, bodies, trailers, flow control), the refusal of anything that
// could smuggle through the HTTP/1.1 side, and the protections against the HTTP/2 floods of the
// 2023-2024 CVEs, after each of which gantry still answers a normal request within a second.

#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/h2_client.h"
#include "support/http_upstream.h"
#include "support/test_listener.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string h2_config(const std::string& protocols = "[http1, http2]",
                      const std::string& limits = "") {
    return "workers: 1\nlog: { access: { path: \"@DIR@/access.log\" } }\n" + limits +
           R"(listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    protocols: )" +
           protocols + R"(
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { path: /local }
        respond: { status: 200, body: "local\n" }
      - match: { prefix: / }
        forward: { cluster: backend }
clusters:
  - name: backend
    endpoints: [{ address: "127.0.0.1:@UP@" }]
)";
}

GantryOptions options_for(const HttpUpstream& upstream) {
    GantryOptions options;
    options.vars["UP"] = std::to_string(upstream.port());
    return options;
}

using Outcome = H2Outcome;

Outcome h2_client(uint16_t port, const std::vector<std::string>& args) {
    return run_h2_client(port, args, false);
}

std::string get(const Outcome& outcome, const std::string& key) {
    return outcome_value(outcome, key);
}

// A normal HTTP/2 request answered within a second.
void check_still_serving(const GantryProcess& gantry) {
    CurlResult after =
        run_curl({"--http2-prior-knowledge", "--max-time", "1", gantry.url("/local")});
    CHECK(after.exit_code == 0);
    CHECK(after.status == 200);
    CHECK(after.body == "local\n");
}

}  // namespace

TEST_CASE("curl with HTTP/2 prior knowledge is proxied to an HTTP/1.1 upstream", "[http2]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));

    CurlResult result = run_curl({"--http2-prior-knowledge", "-H", "x-test: one", "-H",
                                  "Cookie: a=1", "-H", "cookie: b=2", gantry.url("/a/b?x=1")});
    REQUIRE(result.exit_code == 0);
    CHECK(result.status == 200);
    CHECK(result.body == "ok");
    REQUIRE(upstream.wait_for_requests(1, std::chrono::seconds(2)));
    UpstreamRequest seen = upstream.requests().at(0);
    CHECK(seen.method == "GET");
    CHECK(seen.target == "/a/b?x=1");
    CHECK(seen.version == "HTTP/1.1");
    CHECK(seen.header("host") == "127.0.0.1:" + std::to_string(gantry.port()));
    CHECK(seen.header("x-test") == "one");
    CHECK(seen.header("x-forwarded-proto") == "http");
    CHECK(seen.header("x-forwarded-for") == "127.0.0.1");
    CHECK(seen.header("cookie") == "a=1; b=2");  // crumbs joined for HTTP/1.1 (RFC 9113 8.2.3)
    CHECK(seen.header("x-request-id").has_value());

    // The same listener still speaks HTTP/1.1.
    CurlResult http1 = run_curl({gantry.url("/local")});
    CHECK(http1.status == 200);
    CHECK(http1.body == "local\n");

    REQUIRE(wait_until(
        [&] {
            return read_file(gantry.dir().file("access.log")).find("HTTP/2.0\" 200") !=
                   std::string::npos;
        },
        std::chrono::seconds(3)));
    CHECK(read_file(gantry.dir().file("access.log")).find("\"GET /a/b?x=1 HTTP/2.0\" 200") !=
          std::string::npos);
}

TEST_CASE("an http2-only listener serves HTTP/2 without sniffing", "[http2]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config("[http2]"), options_for(upstream));
    CurlResult result = run_curl({"--http2-prior-knowledge", gantry.url("/local")});
    CHECK(result.status == 200);
    CHECK(result.body == "local\n");
    // An HTTP/1.1 request is not HTTP/2's preface: the connection is closed, nothing proxied.
    CurlResult http1 = run_curl({"--max-time", "2", gantry.url("/x")});
    CHECK(http1.status == 0);
    CHECK(upstream.request_count() == 0);
}

TEST_CASE("request bodies with and without content-length reach the upstream intact", "[http2]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));

    CurlResult sized =
        run_curl({"--http2-prior-knowledge", "--data-binary", "0123456789", gantry.url("/sized")});
    CHECK(sized.status == 200);
    Outcome streamed = h2_client(gantry.port(), {"trailers", "/streamed"});
    CHECK(get(streamed, "streams.1.status") == "200");
    REQUIRE(upstream.wait_for_requests(2, std::chrono::seconds(2)));
    auto requests = upstream.requests();
    CHECK(requests[0].body == "0123456789");
    CHECK(requests[0].header("content-length") == "10");
    CHECK_FALSE(requests[0].chunked);
    // No length from the client: HTTP/1.1 chunked, with the client's trailers in the last chunk.
    CHECK(requests[1].target == "/streamed");
    CHECK(requests[1].chunked);
    CHECK(requests[1].body == "hello world");
    CHECK(header_value(requests[1].trailers, "x-checksum") == "abc");
}

TEST_CASE("large bodies stream both ways through HTTP/2 flow control", "[http2]") {
    constexpr uint64_t kSize = 16 * 1024 * 1024;
    HttpUpstream upstream([](const test::UpstreamRequest& request) {
        UpstreamResponse response;
        if (request.method == "GET") {
            response.generated_body_size = kSize;
        } else {
            response.body = std::to_string(request.body_size);
        }
        return response;
    });
    GantryProcess gantry(h2_config("[http1, http2]", "limits: { max_request_body: 0 }\n"),
                         options_for(upstream));
    CurlResult result = run_curl({"--http2-prior-knowledge", gantry.url("/big")});
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.body.size() == kSize);
    CHECK(BodyPattern::instance().matches(0, result.body.data(), result.body.size()));

    TempDir dir;
    std::string upload = dir.file("upload");
    std::string pattern(kSize, '\0');
    for (uint64_t offset = 0; offset < kSize; offset += BodyPattern::kMaxSpan) {
        BodyPattern::instance().fill(offset, pattern.data() + offset,
                                     std::min<uint64_t>(BodyPattern::kMaxSpan, kSize - offset));
    }
    write_file(upload, pattern);
    CurlResult posted =
        run_curl({"--http2-prior-knowledge", "--data-binary", "@" + upload, gantry.url("/upload")});
    CHECK(posted.status == 200);
    CHECK(posted.body == std::to_string(kSize));
    auto requests = upstream.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[1].body_size == kSize);
    CHECK(requests[1].body_is_pattern);
}

TEST_CASE("a stalled upstream stops an HTTP/2 upload through flow control", "[http2]") {
    TestListener stalled("stalled upstream", 16);
    stalled.start([&](BufferedSocket&, size_t) { stalled.sleep_for(std::chrono::seconds(30)); });
    GantryOptions options;
    options.vars["UP"] = std::to_string(stalled.port());
    GantryProcess gantry(h2_config("[http1, http2]", "limits: { max_request_body: 0 }\n"), options);
    uint64_t rss_before = proc_status_kib(gantry.pid(), "VmRSS");
    Outcome outcome = h2_client(gantry.port(), {"upload_stall", "3"});
    uint64_t rss_after = proc_status_kib(gantry.pid(), "VmRSS");
    // Unbounded buffering would take hundreds of MiB in 3 s on loopback; what gets through is
    // the stream window, the router's queue and the kernel's socket buffers.
    uint64_t sent = std::stoull(get(outcome, "sent"));
    INFO("sent " << sent << " bytes; RSS " << rss_before << " -> " << rss_after << " KiB");
    CHECK(sent < 32ull * 1024 * 1024);
    CHECK(rss_after < rss_before + 16 * 1024);
    stalled.stop();
}

TEST_CASE("response trailers from a chunked upstream reach the HTTP/2 client", "[http2]") {
    HttpUpstream upstream([](const test::UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "payload");
        response.chunked = true;
        response.trailers.emplace_back("Grpc-Status", "0");
        response.trailers.emplace_back("grpc-message", "fine");
        return response;
    });
    GantryProcess gantry(h2_config(), options_for(upstream));
    Outcome outcome = h2_client(gantry.port(), {"get", "/t"});
    CHECK(get(outcome, "streams.1.status") == "200");
    CHECK(get(outcome, "streams.1.body") == "payload");
    CHECK(get(outcome, "streams.1.trailers.grpc-status") == "0");
    CHECK(get(outcome, "streams.1.trailers.grpc-message") == "fine");
    CHECK(get(outcome, "streams.1.headers.transfer-encoding") == "(absent)");
    CHECK(get(outcome, "streams.1.ended") == "1");
}

TEST_CASE("h2load with 16 connections of 32 streams gets every answer", "[http2]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));
    ProcessResult local =
        run_process({"h2load", "-n", "4000", "-c", "16", "-m", "32", gantry.url("/local")},
                    std::chrono::seconds(30));
    INFO(local.out);
    CHECK(local.out.find("4000 succeeded, 0 failed") != std::string::npos);
    ProcessResult proxied =
        run_process({"h2load", "-n", "1000", "-c", "4", "-m", "32", gantry.url("/p")},
                    std::chrono::seconds(30));
    INFO(proxied.out);
    CHECK(proxied.out.find("1000 succeeded, 0 failed") != std::string::npos);
    ProcessResult nghttp = run_process({"nghttp", "-n", gantry.url("/local")});
    CHECK(nghttp.exit_code == 0);
}

TEST_CASE("HTTP/2 requests that could smuggle through HTTP/1.1 never reach the upstream",
          "[http2][security]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));
    for (const char* kind : {"cr", "lf", "nul", "upper", "connection", "keep-alive",
                             "transfer-encoding", "upgrade", "te", "host-mismatch", "space-name"}) {
        INFO(kind);
        Outcome outcome = h2_client(gantry.port(), {"bad_header", kind});
        // A stream error (RST_STREAM PROTOCOL_ERROR, RFC 9113 8.1.1) or a 400 with a reason.
        bool reset = get(outcome, "streams.1.rst") == "1";
        bool refused = get(outcome, "streams.1.status") == "400" &&
                       get(outcome, "streams.1.headers.x-gantry-error") != "(absent)";
        CHECK((reset || refused));
    }
    Outcome longer = h2_client(gantry.port(), {"length_mismatch", "10", "5"});
    CHECK(get(longer, "streams.1.status") != "200");
    Outcome shorter = h2_client(gantry.port(), {"length_mismatch", "3", "5"});
    CHECK(get(shorter, "streams.1.status") != "200");
    Outcome connect = h2_client(gantry.port(), {"connect"});
    CHECK(get(connect, "streams.1.status") == "501");
    CHECK(get(connect, "streams.1.body") == "connect-not-supported");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(upstream.request_count() == 0);
    check_still_serving(gantry);
}

TEST_CASE("rapid reset (CVE-2023-44487) ends in GOAWAY and bounded upstream work",
          "[http2][security]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));
    Outcome outcome = h2_client(gantry.port(), {"rapid_reset", "5000"});
    CHECK(get(outcome, "goaway") == "11");  // ENHANCE_YOUR_CALM
    CHECK(get(outcome, "closed") == "1");
    CHECK(std::stoi(get(outcome, "elapsed_ms")) < 5000);
    // At most twice the stream limit ever reached the upstream side.
    CHECK(upstream.heads_received() <= 200);
    check_still_serving(gantry);
    CHECK(gantry.error_log().find("rapid-reset") != std::string::npos);
}

TEST_CASE(
    "CONTINUATION, PING, SETTINGS, PRIORITY, WINDOW_UPDATE and empty DATA floods close "
    "the connection",
    "[http2][security]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));

    struct Attack {
        std::vector<std::string> args;
        std::string reason;  // what gantry's error log names
    };

    std::vector<Attack> attacks{{{"continuation_flood", "100000"}, "continuation-flood"},
                                {{"flood", "ping", "100000"}, "ping-flood"},
                                {{"flood", "settings", "100000"}, "settings-flood"},
                                {{"flood", "priority", "100000"}, "priority-flood"},
                                {{"flood", "window_update", "100000"}, "window-update-flood"},
                                {{"flood", "empty_data", "10000"}, "empty-frame-flood"}};
    for (const auto& attack : attacks) {
        INFO(attack.reason);
        Outcome outcome = h2_client(gantry.port(), attack.args);
        CHECK(get(outcome, "closed") == "1");
        CHECK(get(outcome, "goaway") == "11");  // ENHANCE_YOUR_CALM
        CHECK(std::stoi(get(outcome, "elapsed_ms")) < 5000);
        // PING and SETTINGS acks queued past 1000 within one read trip nghttp2's own limit
        // first ("control-frame-flood"); either way the flood is named.
        std::string log = gantry.error_log();
        bool named = log.find("(" + attack.reason + ")") != std::string::npos ||
                     ((attack.reason == "ping-flood" || attack.reason == "settings-flood") &&
                      log.find("(control-frame-flood)") != std::string::npos);
        CHECK(named);
        check_still_serving(gantry);
    }
}

TEST_CASE("a header block that never ends is cut off after header_timeout", "[http2][security]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config("[http1, http2]", "limits: { header_timeout: 1s }\n"),
                         options_for(upstream));
    Outcome outcome = h2_client(gantry.port(), {"slow_headers"});
    CHECK(get(outcome, "closed") == "1");
    int elapsed = std::stoi(get(outcome, "block_open_ms"));
    CHECK(elapsed >= 900);
    CHECK(elapsed < 4000);
    CHECK(upstream.request_count() == 0);
    check_still_serving(gantry);
}

TEST_CASE("an HPACK bomb gets 431 and the header list limit holds", "[http2][security]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));
    Outcome outcome = h2_client(gantry.port(), {"hpack_bomb"});
    CHECK(get(outcome, "streams.1.status") == "200");
    CHECK(get(outcome, "streams.3.status") == "431");
    CHECK(get(outcome, "streams.3.headers.x-gantry-error") == "headers-too-large");
    CHECK(std::stoi(get(outcome, "wire_bytes")) < 1024);
    CHECK(upstream.request_count() == 1);
    check_still_serving(gantry);
}

TEST_CASE("streams over the concurrency limit are refused", "[http2][security]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));
    Outcome outcome = h2_client(gantry.port(), {"concurrency", "150"});
    CHECK(std::stoi(get(outcome, "refused")) >= 50);
    CHECK(upstream.heads_received() <= 100);
    check_still_serving(gantry);
}

TEST_CASE("an idle HTTP/2 connection does not hold up a graceful stop", "[http2]") {
    HttpUpstream upstream;
    GantryProcess gantry(h2_config(), options_for(upstream));
    BufferedSocket idle = connect_to(gantry.port());
    const std::string empty_settings("\0\0\0\4\0\0\0\0\0", 9);
    REQUIRE(idle.send_all("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + empty_settings,
                          deadline_in(std::chrono::seconds(1))));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto started = std::chrono::steady_clock::now();
    CHECK(gantry.stop() == 0);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
    CHECK(idle.wait_closed(deadline_in(std::chrono::seconds(1))));
}

}  // namespace gantry::test
