// Listeners change on reload: an added listener accepts at once, a removed one stops accepting
// while the requests in flight on it finish, a moved address is bound before the old one
// closes, and a reload whose new port cannot be bound changes nothing.

#include <arpa/inet.h>
#include <future>
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

constexpr const char* kHost = R"(virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: /slow }
        forward: { cluster: backend }
      - match: { prefix: / }
        respond: { status: 200, body: "@BODY@" }
clusters:
  - name: backend
    endpoints: [{ address: "127.0.0.1:@UP@" }]
)";

// Listener "main" on @PORT@, plus listener "extra" on `extra_port` when it is not empty.
std::string config(const std::string& body, const std::string& extra_port = {}) {
    std::string text =
        "workers: 2\nlog: { access: { path: \"off\" } }\nlimits: { drain_timeout: 5s }\n"
        "listeners:\n"
        "  - name: main\n    listen: [\"127.0.0.1:@PORT@\"]\n    virtual_hosts: [main]\n";
    if (!extra_port.empty()) {
        text += "  - name: extra\n    listen: [\"127.0.0.1:" + extra_port +
                "\"]\n    virtual_hosts: [main]\n";
    }
    return text + substitute(kHost, {{"BODY", body}});
}

std::string get_body(uint16_t port, const std::string& path = "/") {
    return run_curl({"http://127.0.0.1:" + std::to_string(port) + path}).body;
}

}  // namespace

TEST_CASE("a reload adds a listener, and removing it drains its in-flight requests",
          "[integration][reload]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response = UpstreamResponse::text(200, "slow");
        response.delay = 1500ms;
        return response;
    });
    GantryProcess gantry(config("one"), with_upstream(upstream));
    uint16_t extra = gantry.port(1);
    REQUIRE(try_connect(extra) == ConnectOutcome::Refused);

    gantry.write_config(config("two", std::to_string(extra)));
    REQUIRE(gantry.reload().applied);
    // The error log says what the reload changed.
    CHECK(gantry.wait_for_log("reload: + listener extra\n", 0, 2s));
    CHECK(gantry.wait_for_log("reload: ~ route main: prefix / (respond.body)\n", 0, 2s));
    CHECK(get_body(extra) == "two");
    CHECK(get_body(gantry.port()) == "two");

    // A slow request in flight on the extra listener, and an idle keep-alive connection on it.
    auto slow = std::async(std::launch::async, [&] {
        return run_curl({"http://127.0.0.1:" + std::to_string(extra) + "/slow"});
    });
    REQUIRE(wait_until([&] { return upstream.heads_received() >= 1; }, 5s));
    BufferedSocket idle = connect_to(extra);
    REQUIRE(idle.send_all("GET / HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    REQUIRE(read_response(idle, deadline_in(2s)));

    gantry.write_config(config("three"));
    REQUIRE(gantry.reload().applied);
    CHECK(wait_until([&] { return try_connect(extra) == ConnectOutcome::Refused; }, 2s));
    CHECK(idle.wait_closed(deadline_in(2s)));  // idle connections of a removed listener close
    CurlResult finished = slow.get();
    CHECK(finished.exit_code == 0);
    CHECK(finished.status == 200);
    CHECK(finished.body == "slow");
    CHECK(get_body(gantry.port()) == "three");
}

TEST_CASE("a reload that moves a listener binds the new address and drains the old one",
          "[integration][reload]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(config("before"), options);
    BufferedSocket old_connection = connect_to(gantry.port());
    REQUIRE(old_connection.send_all("GET / HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    REQUIRE(read_response(old_connection, deadline_in(2s)));

    std::string moved = substitute(config("after"), {{"PORT", std::to_string(gantry.port(2))}});
    gantry.write_config(moved);
    REQUIRE(gantry.reload().applied);
    CHECK(gantry.wait_for_log("reload: ~ listener main (listen)\n", 0, 2s));
    CHECK(get_body(gantry.port(2)) == "after");
    CHECK(wait_until([&] { return try_connect(gantry.port()) == ConnectOutcome::Refused; }, 2s));
    CHECK(old_connection.wait_closed(deadline_in(2s)));
}

TEST_CASE("a reload whose new port cannot be bound is rejected and changes nothing",
          "[integration][reload]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    options.allow_error_lines = true;
    GantryProcess gantry(config("kept"), options);

    // Another socket holds the port without SO_REUSEPORT, so gantry cannot join it.
    int blocker = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(blocker >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(gantry.port(1));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(blocker, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(blocker, 16) == 0);

    gantry.write_config(config("new", std::to_string(gantry.port(1))));
    GantryProcess::ReloadOutcome outcome = gantry.reload();
    ::close(blocker);
    INFO(outcome.line);
    REQUIRE(outcome.rejected);
    CHECK(outcome.line.find("cannot listen on 127.0.0.1:" + std::to_string(gantry.port(1))) !=
          std::string::npos);
    CHECK(gantry.wait_for_log("1 failed reloads since start", 0, 2s));
    CHECK(get_body(gantry.port()) == "kept");
}

}  // namespace gantry::test
