// What a reload leaves alone: 20 reloads that change routes and clusters under wrk at full
// speed fail no request; an established WebSocket tunnel stays open through a reload; and the
// next request on a keep-alive connection opened before a reload uses the new routes.

#include <thread>

#include <catch2/catch.hpp>
#include <re2/re2.h>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/scripted_upstream.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// Reload `n` changes the local route's body, renames the proxied route's cluster and resizes
// the other cluster's pool (so both clusters change fingerprint every time).
std::string changing_config(int n) {
    std::string body = "v" + std::to_string(n);
    std::string cluster = "backend" + std::to_string(n % 2);
    return std::string("workers: 2\nlog: { access: { path: \"off\" } }\n") + R"(listeners:
  - name: main
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: /proxied }
        forward: { cluster: )" +
           cluster + R"( }
        response_headers: { set: { x-generation: ")" +
           body + R"(" } }
      - match: { prefix: / }
        respond: { status: 200, body: ")" +
           body + R"(" }
clusters:
  - name: )" +
           cluster +
           R"(
    endpoints: [{ address: "127.0.0.1:@UP@" }]
  - name: other
    endpoints: [{ address: "127.0.0.1:@UP@" }]
    pool: { max_idle_per_endpoint: )" +
           std::to_string(10 + n) + " }\n";
}

// Numbers from wrk's summary.
struct WrkSummary {
    uint64_t requests = 0;
    uint64_t socket_errors = 0;  // connect + read + write + timeout
    uint64_t non_2xx = 0;
};

WrkSummary parse_wrk(const std::string& out) {
    WrkSummary summary;
    RE2::PartialMatch(out, R"((\d+) requests in)", &summary.requests);
    uint64_t connect = 0, read = 0, write = 0, timeout = 0;
    if (RE2::PartialMatch(out,
                          R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))",
                          &connect, &read, &write, &timeout)) {
        summary.socket_errors = connect + read + write + timeout;
    }
    RE2::PartialMatch(out, R"(Non-2xx or 3xx responses: (\d+))", &summary.non_2xx);
    return summary;
}

const std::string kWsConfig = one_host_config(R"(      - match: { prefix: /ws }
        forward: { cluster: ws, upgrades: [websocket] }
      - match: { prefix: / }
        respond: { body: "@BODY@" }
)",
                                              R"(clusters:
  - name: ws
    endpoints: [{ address: "127.0.0.1:@WS@" }]
    connect_timeout: @CONNECT@
)");

}  // namespace

TEST_CASE("20 reloads that change routes and clusters under wrk fail no request",
          "[integration][reload][load]") {
    HttpUpstream upstream;
    GantryProcess gantry(changing_config(0), with_upstream(upstream));
    std::string script = gantry.dir().file("paths.lua");
    write_file(script, R"(local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then return wrk.format("GET", "/proxied") end
  return wrk.format("GET", "/")
end
)");
    ProcessResult wrk;
    std::thread load([&] {
        wrk = run_process(
            {"wrk", "-t2", "-c16", "-d8s", "--timeout", "5s", "-s", script, gantry.url("/")}, 30s);
    });
    std::this_thread::sleep_for(500ms);
    int applied = 0;
    for (int n = 1; n <= 20; ++n) {
        gantry.write_config(changing_config(n));
        applied += gantry.reload().applied ? 1 : 0;
        std::this_thread::sleep_for(250ms);
    }
    load.join();

    INFO(wrk.out << wrk.err);
    CHECK(applied == 20);
    REQUIRE(wrk.exit_code == 0);
    WrkSummary summary = parse_wrk(wrk.out);
    CHECK(summary.requests > 1000);
    CHECK(summary.socket_errors == 0);
    CHECK(summary.non_2xx == 0);
    CHECK(run_curl({gantry.url("/")}).body == "v20");
    CHECK(run_curl({gantry.url("/proxied")}).header("x-generation") == "v20");
}

TEST_CASE("a reload keeps an established WebSocket tunnel open", "[integration][reload]") {
    ScriptedUpstream ws({step::expect_head(),
                         step::send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\n\r\n"),
                         step::echo()});
    GantryOptions options;
    options.vars["WS"] = std::to_string(ws.port());
    options.vars["BODY"] = "before";
    options.vars["CONNECT"] = "1s";
    GantryProcess gantry(kWsConfig, options);

    BufferedSocket tunnel = connect_to(gantry.port());
    REQUIRE(
        tunnel.send_all("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\n\r\n",
                        deadline_in(2s)));
    REQUIRE(tunnel.read_until("\r\n\r\n", deadline_in(5s)));
    REQUIRE(tunnel.send_all("ping-1", deadline_in(2s)));
    REQUIRE(tunnel.read_exact(6, deadline_in(5s)) == "ping-1");

    // The routes change and the tunnel's own cluster changes (new connect_timeout).
    options.vars["BODY"] = "after";
    options.vars["CONNECT"] = "2s";
    gantry.write_config(substitute(kWsConfig, options.vars));
    REQUIRE(gantry.reload().applied);
    REQUIRE(run_curl({gantry.url("/")}).body == "after");

    REQUIRE(tunnel.send_all("ping-2", deadline_in(2s)));
    CHECK(tunnel.read_exact(6, deadline_in(5s)) == "ping-2");
    std::this_thread::sleep_for(300ms);
    REQUIRE(tunnel.send_all("ping-3", deadline_in(2s)));
    CHECK(tunnel.read_exact(6, deadline_in(5s)) == "ping-3");
    tunnel.close();
    CHECK(wait_until([&] { return ws.completed_scripts() == 1; }, 5s));
}

TEST_CASE("a keep-alive connection opened before a reload gets the new routes on its next request",
          "[integration][reload]") {
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        respond: { body: \"old\" }\n"));
    BufferedSocket socket = connect_to(gantry.port());
    auto get = [&] {
        REQUIRE(socket.send_all("GET / HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
        auto response = read_response(socket, deadline_in(5s));
        REQUIRE(response);
        return response->body;
    };
    CHECK(get() == "old");
    gantry.write_config(
        one_host_config("      - match: { prefix: / }\n        respond: { body: \"new\" }\n"));
    REQUIRE(gantry.reload().applied);
    CHECK(get() == "new");  // same socket
    CHECK(get() == "new");
}

}  // namespace gantry::test
