// HTTP/2 to the upstream (`protocol: http2`, h2 prior knowledge): gRPC proxied end to end with
// a python3-grpcio server and client (unary, server, client and bidirectional streaming, trailers
// with grpc-status and custom metadata, a 512 KiB message over flow control), and a stream the
// upstream refuses with GOAWAY retried on a new connection; /metrics counts HTTP/2 upstream
// requests and connections as it counts HTTP/1.1 ones, and a sniffed HTTP/2 client connection
// once.

#include <thread>

#include <catch2/catch.hpp>

#include "support/admin_client.h"
#include "support/gantry_process.h"
#include "support/python_server.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// A python peer from grpc_echo.py in `mode`, running for the test's lifetime.
class PythonPeer : public PythonServer {
public:
    PythonPeer(const std::string& mode, const TempDir& dir)
        : PythonServer("grpc_echo.py", {mode, "@PORT_FILE@"}, dir.file(mode + ".port")) {}
};

constexpr const char* kForwardAll = R"(      - match: { prefix: / }
        forward: { cluster: backend }
)";

// `globals` may add top-level keys (the admin listener); `routes`: the virtual host's routes.
std::string h2_upstream_config(const std::string& globals = "",
                               const std::string& routes = kForwardAll) {
    return globals + R"(workers: 1
log: { access: { path: "off" } }
listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    protocols: [http1, http2]
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
)" + routes +
           R"(clusters:
  - name: backend
    protocol: http2
    endpoints: [{ address: "127.0.0.1:@UP@" }]
)";
}

// A python peer (grpc_echo.py MODE) and gantry forwarding to it with `config`.
struct PeerAndGantry {
    PeerAndGantry(const std::string& mode, const std::string& config)
        : server(mode, dir)
        , gantry(config, [this] {
            GantryOptions options;
            options.vars["UP"] = server.port();
            return options;
        }()) {}

    TempDir dir;
    PythonPeer server;
    GantryProcess gantry;
};

}  // namespace

TEST_CASE("gRPC unary and streaming calls are proxied end to end over HTTP/2", "[http2][grpc]") {
    PeerAndGantry setup("server", h2_upstream_config());
    GantryProcess& gantry = setup.gantry;

    ProcessResult client = run_process({"/usr/bin/python3", integration_script("grpc_echo.py"),
                                        "client", std::to_string(gantry.port())},
                                       std::chrono::seconds(30));
    INFO(client.out << client.err);
    REQUIRE(client.exit_code == 0);
    std::vector<std::string> lines = split_lines(client.out);
    CHECK(lines == std::vector<std::string>{
                       "unary=echo:hello trailer=unary",
                       "server_stream=item0,item1,item2,item3,item4",
                       "client_stream=a+b+c",
                       "bidi=X,Y,Z",
                       "big=524293",
                       "fail=PERMISSION_DENIED:not you",
                   });

    // An HTTP/1.1 client reaches the HTTP/2 upstream too (the gRPC server answers a non-gRPC
    // request with its own error, which is relayed).
    CurlResult http1 = run_curl({gantry.url("/test.Echo/Unary")});
    CHECK(http1.exit_code == 0);
    CHECK(http1.status != 0);
}

TEST_CASE("a stream the upstream refuses with GOAWAY is retried on a new connection",
          "[http2][grpc]") {
    PeerAndGantry setup("goaway_server", h2_upstream_config());
    GantryProcess& gantry = setup.gantry;

    // Two requests at once share one upstream connection; the upstream answers the first and
    // sends GOAWAY(last_stream_id=1), so the second must go out again on a second connection.
    CurlResult second;
    std::thread other([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        second = run_curl({"--http2-prior-knowledge", gantry.url("/b")});
    });
    CurlResult first = run_curl({"--http2-prior-knowledge", gantry.url("/a")});
    other.join();
    CHECK(first.status == 200);
    CHECK(second.status == 200);
    std::vector<std::string> bodies{first.body, second.body};
    std::sort(bodies.begin(), bodies.end());
    CHECK(bodies == std::vector<std::string>{"conn1", "conn2"});
}

TEST_CASE("a second HTTP/2 connection is opened when the first is at the peer's stream limit",
          "[http2][grpc]") {
    PeerAndGantry setup("one_stream_server", h2_upstream_config());
    GantryProcess& gantry = setup.gantry;
    // Warm up: the first connection exists and has the peer's SETTINGS (one stream at a time).
    CurlResult warm = run_curl({"--http2-prior-knowledge", gantry.url("/warm")});
    REQUIRE(warm.body == "conn1");
    CurlResult second;
    std::thread other([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        second = run_curl({"--http2-prior-knowledge", gantry.url("/b")});
    });
    CurlResult first = run_curl({"--http2-prior-knowledge", gantry.url("/a")});
    other.join();
    CHECK(first.status == 200);
    CHECK(second.status == 200);
    std::vector<std::string> bodies{first.body, second.body};
    std::sort(bodies.begin(), bodies.end());
    CHECK(bodies == std::vector<std::string>{"conn1", "conn2"});
}

TEST_CASE("HTTP/2 upstream requests and client connections are counted like HTTP/1.1 ones",
          "[http2][admin]") {
    PeerAndGantry setup("one_stream_server",
                        h2_upstream_config("admin: { listen: \"127.0.0.1:@PORT2@\" }\n"));
    GantryProcess& gantry = setup.gantry;
    const std::string requests = "gantry_upstream_requests_total{cluster=\"backend\",status_class=";
    const std::string connections = "gantry_upstream_connections_total{cluster=\"backend\",";
    const std::string endpoint =
        "{cluster=\"backend\",endpoint=\"127.0.0.1:" + setup.server.port() + "\"}";
    std::string before = scrape(gantry);

    // One client connection per request, each HTTP/2 after the listener's sniff; the one worker
    // sends them all as streams of one upstream connection (one at a time: the peer allows one).
    constexpr int kRequests = 4;
    for (int i = 0; i < kRequests; ++i) {
        CurlResult r = run_curl({"--http2-prior-knowledge", gantry.url("/r")});
        REQUIRE(r.status == 200);
        CHECK(r.body == "conn1");
    }
    // The last connection's close may reach gantry a moment after curl exits.
    std::string after;
    REQUIRE(wait_until(
        [&] {
            after = scrape(gantry);
            return metric(after, "gantry_downstream_connections_active") == 0;
        },
        std::chrono::seconds(5)));
    auto moved = [&](const std::string& series) {
        return metric(after, series) - metric(before, series);
    };
    CHECK(moved(requests + "\"2xx\"}") == kRequests);
    CHECK(moved(requests + "\"none\"}") == 0);
    CHECK(moved(connections + "connection=\"new\"}") == 1);
    CHECK(moved(connections + "connection=\"reused\"}") == kRequests - 1);
    CHECK(moved("gantry_upstream_endpoint_requests_total" + endpoint) == kRequests);
    CHECK(metric(after, "gantry_upstream_endpoint_active_requests" + endpoint) == 0);
    CHECK(moved("gantry_upstream_request_duration_seconds_count{cluster=\"backend\"}") ==
          kRequests);
    // Each client connection counted once, though the HTTP/1.1 side handed it to HTTP/2.
    CHECK(moved("gantry_downstream_connections_total") == kRequests);
    CHECK(metric(after, "gantry_downstream_connections_active") == 0);
}

TEST_CASE("route retries apply to an HTTP/2 cluster: a 503 and a reset each become a 200",
          "[http2][retry]") {
    PeerAndGantry setup("flaky_server", h2_upstream_config("", R"(      - match: { prefix: /plain/ }
        forward: { cluster: backend, rewrite_prefix: / }
      - match: { prefix: / }
        forward:
          cluster: backend
          retries: { attempts: 2, on: [5xx, reset], methods: [GET, POST] }
)"));
    GantryProcess& gantry = setup.gantry;
    CurlResult status = run_curl({gantry.url("/fail-once/a")});
    CHECK(status.status == 200);
    CHECK(status.body == "ok 2 0");
    CurlResult reset = run_curl({"--http2-prior-knowledge", gantry.url("/reset-once/b")});
    CHECK(reset.status == 200);
    CHECK(reset.body == "ok 2 0");
    // The body goes again with the retry.
    CurlResult post =
        run_curl({"--data-binary", std::string(3000, 'x'), gantry.url("/fail-once/c")});
    CHECK(post.status == 200);
    CHECK(post.body == "ok 2 3000");
    // Without a retry policy the first answer stands.
    CurlResult plain = run_curl({gantry.url("/plain/fail-once/d")});
    CHECK(plain.status == 503);
}

}  // namespace gantry::test
