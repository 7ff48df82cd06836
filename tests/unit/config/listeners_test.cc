#include <catch2/catch.hpp>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using namespace std::chrono_literals;
using Errors = std::vector<std::string>;

namespace {

// A virtual host every listener below can name; it sits after the listeners, so the listener
// sections keep their line numbers.
const std::string kSite = R"(virtual_hosts:
  - name: site
    domains: ["*"]
)";

}  // namespace

TEST_CASE("a listener is read with its addresses, protocols and virtual hosts", "[config]") {
    auto config = load_valid(R"(listeners:
  - name: public
    listen: ["0.0.0.0:8080", "[::]:8080"]
    protocols: [http1]
    virtual_hosts: [site, other]
virtual_hosts:
  - name: site
    domains: ["a.example"]
  - name: other
    domains: ["b.example"]
)");
    REQUIRE(config->listeners.size() == 1);
    const ListenerConfig& listener = config->listeners[0];
    CHECK(listener.name == "public");
    REQUIRE(listener.listen.size() == 2);
    CHECK(listener.listen[0].host == "0.0.0.0");
    CHECK(listener.listen[0].port == 8080);
    CHECK(listener.listen[1].host == "::");
    CHECK(listener.listen[1].text == "[::]:8080");
    CHECK(listener.protocols == std::vector<Protocol>{Protocol::Http1});
    CHECK(listener.virtual_hosts == std::vector<std::string>{"site", "other"});
}

TEST_CASE("a listener's limits start from the top-level limits and apply its overrides",
          "[config]") {
    auto config = load_valid(R"(listeners:
  - name: strict
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
    limits: { max_headers: 20, header_timeout: 2s }
  - name: plain
    listen: ["127.0.0.1:8081"]
    virtual_hosts: [site]
limits:
  max_headers: 50
  max_request_body: 4MiB
)" + kSite);
    const Limits& strict = config->listeners[0].limits;
    CHECK(strict.max_headers == 20);
    CHECK(strict.header_timeout == 2s);
    CHECK(strict.max_request_body == 4 * 1024 * 1024);  // from the top level, written later
    CHECK(strict.idle_timeout == 60s);                  // the default
    const Limits& plain = config->listeners[1].limits;
    CHECK(plain.max_headers == 50);
    CHECK(plain.header_timeout == 10s);
}

TEST_CASE("protocols default to http1 and may list http2", "[config]") {
    auto config = load_valid(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
)" + kSite);
    CHECK(config->listeners[0].protocols == std::vector<Protocol>{Protocol::Http1});

    auto both = load_valid(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    protocols: [http2, http1]
    virtual_hosts: [site]
)" + kSite);
    CHECK(both->listeners[0].protocols == std::vector<Protocol>{Protocol::Http2, Protocol::Http1});

    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    protocols: [http1, http2, h3, http1, http2]
    virtual_hosts: [site]
)" + kSite) == Errors{"4:31: protocols: unknown value `h3`: expected one of http1, http2",
                      "4:35: protocols: `http1` is listed twice",
                      "4:42: protocols: `http2` is listed twice"});
}

TEST_CASE("listen addresses must be host:port with a port in range", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:0", "127.0.0.1:65536", "8080", "[::1]", 8080]
    virtual_hosts: [site]
)" + kSite) ==
          Errors{
              "3:14: listen: invalid address `127.0.0.1:0`: expected HOST:PORT with an IP address "
              "or a name and a port 1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, api.internal:8080)",
              "3:29: listen: invalid address `127.0.0.1:65536`: expected HOST:PORT with an IP "
              "address or a name and a port 1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, "
              "api.internal:8080)",
              "3:48: listen: invalid address `8080`: expected HOST:PORT with an IP address or a "
              "name and a port 1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, api.internal:8080)",
              "3:56: listen: invalid address `[::1]`: expected HOST:PORT with an IP address or a "
              "name and a port 1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, api.internal:8080)",
              "3:65: listen: invalid address `8080`: expected HOST:PORT with an IP address or a "
              "name and a port 1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, api.internal:8080)",
          });
}

TEST_CASE("a listener needs a name, a listen address and a virtual host", "[config]") {
    CHECK(errors_of(R"(listeners:
  - protocols: [http1]
)") == Errors{"2:5: missing `name` in listener", "2:5: missing `listen` in listener",
              "2:5: listener has no virtual hosts: name at least one in `virtual_hosts`"});
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: []
    virtual_hosts: []
)") == Errors{"3:13: listen: listener needs at least one listen address",
              "4:20: virtual_hosts: listener has no virtual hosts: name at least one in "
              "`virtual_hosts`"});
}

TEST_CASE("a listen address written as a string instead of a list is a type error", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    virtual_hosts: [site]
)" + kSite) == Errors{"3:13: listen: expected a list, got a string"});
}

TEST_CASE("listener names are identifiers", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: "my listener"
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
)" + kSite) == Errors{"2:11: name: invalid name `my listener`: use letters, digits, `_`, `-` "
                      "and `.` only"});
}

TEST_CASE("a virtual host listed twice on one listener is an error", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site, site]
)" + kSite) == Errors{"4:27: virtual_hosts: virtual host `site` is listed twice"});
}

TEST_CASE("keys of later listener features are refused where they are written", "[config]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
    http_filters: []
    lisen: x
)" + kSite) == Errors{"5:5: `http_filters` is not supported yet",
                      "6:5: unknown key `lisen` in listener (did you mean `listen`?)"});
}

TEST_CASE("a listener's tls section is checked key by key", "[config][tls]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
    tls:
      certificates: []
      min_version: "1.1"
      alpn: [h3]
      client_auth: required
      handshake_timeout: 0
      ciphers: x
)" + kSite) == Errors{"6:21: tls needs at least one certificate",
                      "7:20: min_version: 1.1 is not supported yet",
                      "8:14: alpn: unknown value `h3`: expected one of h2, http/1.1",
                      "9:20: client_auth needs `client_ca`",
                      "10:26: handshake_timeout: must be greater than 0",
                      "11:7: unknown key `ciphers` in tls"});
}

TEST_CASE("a listener's certificate files must exist", "[config][tls]") {
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
    tls:
      certificates: [{ cert: /nonexistent/a.pem, key: /nonexistent/a.key }, { key: k }]
      client_ca: /nonexistent/ca.pem
)" + kSite) ==
          Errors{"6:30: cannot read `/nonexistent/a.pem`: No such file or directory",
                 "6:77: missing `cert` in certificate",
                 "7:18: client_ca: cannot read `/nonexistent/ca.pem`: No such file or directory"});
}

TEST_CASE("a tls_passthrough listener is read with its sni routes", "[config][tls]") {
    auto config = load_valid(R"(listeners:
  - name: pass
    listen: ["127.0.0.1:8443"]
    mode: tls_passthrough
    sni_routes:
      - { server_names: [DB.example.com, "*.db.example.com"], cluster: db }
    default_cluster: db
clusters:
  - name: db
    endpoints: [{ address: "127.0.0.1:5432" }]
)");
    const ListenerConfig& listener = config->listeners[0];
    CHECK(listener.mode == ListenerMode::TlsPassthrough);
    REQUIRE(listener.sni_routes.size() == 1);
    CHECK(listener.sni_routes[0].server_names ==
          std::vector<std::string>{"db.example.com", "*.db.example.com"});
    CHECK(listener.sni_routes[0].cluster == "db");
    CHECK(listener.default_cluster == "db");
    CHECK(listener.virtual_hosts.empty());
}

TEST_CASE("passthrough keys are checked against the listener's mode", "[config][tls]") {
    CHECK(errors_of(R"(listeners:
  - name: pass
    listen: ["127.0.0.1:8443"]
    mode: tls_passthrough
    virtual_hosts: [site]
    sni_routes:
      - { server_names: [], cluster: nowhere }
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
    default_cluster: x
  - name: empty
    listen: ["127.0.0.1:8081"]
    mode: tcp
)" + kSite) == Errors{"5:20: a tls_passthrough listener does not take `virtual_hosts`",
                      "7:25: server_names: an sni route needs at least one server name",
                      "7:38: route forwards to cluster `nowhere`, which is not defined",
                      "11:22: `default_cluster` needs `mode: tls_passthrough`",
                      "12:5: listener has no virtual hosts: name at least one in `virtual_hosts`",
                      "14:11: mode: unknown value `tcp`: expected one of http, tls_passthrough"});
}
