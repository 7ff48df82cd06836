// Upgrade: websocket is tunnelled only where the route allows it; then bytes flow both ways.

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/scripted_upstream.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

const std::string kConfig = one_host_config(R"(      - match: { prefix: /ws }
        forward: { cluster: ws, upgrades: [websocket] }
      - match: { prefix: / }
        forward: { cluster: plain }
)",
                                            R"(clusters:
  - name: ws
    endpoints: [{ address: "127.0.0.1:@WS@" }]
  - name: plain
    endpoints: [{ address: "127.0.0.1:@PLAIN@" }]
)");

// Options that point the "ws" and "plain" clusters at these upstreams.
GantryOptions upstreams(const ScriptedUpstream& ws, const HttpUpstream& plain) {
    GantryOptions options;
    options.vars["WS"] = std::to_string(ws.port());
    options.vars["PLAIN"] = std::to_string(plain.port());
    return options;
}

constexpr const char* kSwitching =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

std::string upgrade_request(const std::string& path) {
    return "GET " + path +
           " HTTP/1.1\r\n"
           "Host: example.com\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n";
}

}  // namespace

TEST_CASE("a websocket upgrade on an allowing route tunnels bytes both ways",
          "[integration][websocket]") {
    ScriptedUpstream ws({step::expect_head(), step::send(kSwitching),
                         step::send("hello-from-upstream"), step::echo()});
    HttpUpstream plain;
    GantryProcess gantry(kConfig, upstreams(ws, plain));

    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all(upgrade_request("/ws/chat"), deadline_in(2s)));
    std::optional<std::string> head_text = socket.read_until("\r\n\r\n", deadline_in(5s));
    REQUIRE(head_text.has_value());
    HttpHead head;
    REQUIRE(parse_head(*head_text, false, &head));
    CHECK(head.status == 101);
    CHECK(to_lower(joined_header(head.headers, "upgrade")) == "websocket");
    CHECK(to_lower(joined_header(head.headers, "connection")).find("upgrade") != std::string::npos);
    CHECK(header_value(head.headers, "sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    // Upstream speaks first, then echoes.
    CHECK(socket.read_exact(19, deadline_in(5s)) == "hello-from-upstream");
    for (int i = 0; i < 3; ++i) {
        std::string msg = "ping-" + std::to_string(i);
        REQUIRE(socket.send_all(msg, deadline_in(2s)));
        CHECK(socket.read_exact(msg.size(), deadline_in(5s)) == msg);
    }
    std::string blob(256 * 1024, '\0');
    BodyPattern::instance().fill(0, blob.data(), blob.size());
    REQUIRE(socket.send_all(blob, deadline_in(5s)));
    CHECK(socket.read_exact(blob.size(), deadline_in(10s)) == blob);

    std::string upstream_head = to_lower(ws.received(0));
    CHECK(upstream_head.find("\r\nupgrade: websocket\r\n") != std::string::npos);
    CHECK(upstream_head.find("sec-websocket-key: dghlihnhbxbszsbub25jzq==") != std::string::npos);
    CHECK(upstream_head.find("ping-0ping-1ping-2") != std::string::npos);
    CHECK(plain.request_count() == 0);

    // The client's close reaches the upstream.
    socket.close();
    CHECK(wait_until([&] { return ws.completed_scripts() == 1; }, 5s));
}

TEST_CASE("a websocket upgrade on a route without upgrades is not tunnelled",
          "[integration][websocket]") {
    ScriptedUpstream ws({step::expect_head(), step::send(kSwitching), step::echo()});
    HttpUpstream plain;
    GantryProcess gantry(kConfig, upstreams(ws, plain));

    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all(upgrade_request("/plain"), deadline_in(2s)));
    std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
    REQUIRE(r.has_value());
    CHECK(r->status() != 101);
    CHECK_FALSE(has_header(r->head.headers, "upgrade"));
    for (const UpstreamRequest& seen : plain.requests()) {
        // Forwarded as a plain request: the upgrade offer is hop-by-hop and is dropped.
        CHECK_FALSE(has_header(seen.headers, "upgrade"));
        CHECK(to_lower(joined_header(seen.headers, "connection")).find("upgrade") ==
              std::string::npos);
    }
    CHECK(ws.connection_count() == 0);
}

}  // namespace gantry::test
