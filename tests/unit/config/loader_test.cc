#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <re2/re2.h>

#include "unit/config/config_test_helpers.h"

using namespace gantry::config;
using namespace gantry::config::testing;
using namespace std::chrono_literals;
using Errors = std::vector<std::string>;

TEST_CASE("a YAML syntax error is reported at its position", "[config]") {
    CHECK(errors_of("listeners:\n  - name: web\n    listen: [\"127.0.0.1:80\"\n") ==
          Errors{"4:1: YAML syntax error: end of sequence flow not found"});
    CHECK(errors_of("a: b\n  c: d\n") == Errors{"2:4: YAML syntax error: illegal map value"});
}

TEST_CASE("a file holds exactly one YAML document", "[config]") {
    CHECK(errors_of(kListenerAndHost + "---\nworkers: 2\n") ==
          Errors{"11:1: a config file holds one YAML document; found another here"});
}

TEST_CASE("a stray character after the document is a syntax error, not a hang", "[config]") {
    // yaml-cpp 0.7's LoadAll loops forever on these (jbeder/yaml-cpp#1040); found by config_fuzz.
    CHECK(errors_of("{a: 1}\n,") == Errors{"2:1: YAML syntax error: unexpected text"});
    CHECK(errors_of(",") == Errors{"1:1: YAML syntax error: unexpected text"});
    CHECK(errors_of("[a]\n,\n") == Errors{"2:1: YAML syntax error: unexpected text"});
}

TEST_CASE("a syntax error in a second document is still reported", "[config]") {
    CHECK(errors_of("a: 1\n---\nb: [\n") ==
          Errors{"4:1: YAML syntax error: end of sequence flow not found"});
}

TEST_CASE("a config without listeners is refused", "[config]") {
    CHECK(errors_of("") == Errors{"0:0: no listeners are defined, so gantry would serve nothing"});
    CHECK(errors_of("# nothing\n") ==
          Errors{"0:0: no listeners are defined, so gantry would serve nothing"});
    CHECK(errors_of("workers: 2\n") ==
          Errors{"0:0: no listeners are defined, so gantry would serve nothing"});
}

TEST_CASE("the top level must be a mapping of known keys", "[config]") {
    CHECK(errors_of("- a\n") == Errors{"1:1: expected a mapping for the top level, got a list"});
    CHECK(errors_of("listener: []\nworkers: 1\nworkers: 2\n") ==
          Errors{"1:1: unknown key `listener` in the top level (did you mean `listeners`?)",
                 "3:1: duplicate key `workers` in the top level"});
    CHECK(errors_of("? [a]\n: b\n") ==
          Errors{"1:3: expected a key name in the top level, got a list"});
    CHECK(errors_of("listeners: {}\n") ==
          Errors{"1:12: listeners: expected a list, got a mapping"});
}

TEST_CASE("every error of a file is reported, in file order", "[config]") {
    // The dangling reference on line 4 is found by the cross-reference pass, after the
    // cluster's error on line 12 was found by the walk; the output is still in line order.
    CHECK(errors_of(R"(listeners:
  - name: web
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site, ghost]
    limits: { idle_timeout: soon }
virtual_hosts:
  - name: site
    domains: ["*"]
clusters:
  - name: app
    endpoints:
      - { address: "10.0.0.1:80", weight: 0 }
)") == Errors{"4:27: listener `web` names virtual host `ghost`, which is not defined",
              "5:29: idle_timeout: invalid duration `soon`: expected a whole number with a unit "
              "ms, s, m or h (e.g. 250ms, 10s), at most 8760h",
              "12:43: weight: must be between 1 and 65535, got 0"});
}

TEST_CASE("a flood of errors stops after a hundred", "[config]") {
    std::string text = "limits:\n";
    for (int i = 0; i < 150; ++i) {
        text += "  key" + std::to_string(i) + ": 1\n";
    }
    LoadResult result = load_text(text);
    CHECK_FALSE(result.ok());
    REQUIRE(result.diagnostics.size() == 101);
    CHECK(result.diagnostics[99].message == "unknown key `key99` in limits");
    CHECK(result.diagnostics[100].to_string() == "test.yaml: too many errors; stopping");
}

TEST_CASE("load_config never throws, whatever the input", "[config]") {
    std::string deep(5000, '[');
    std::string binary("\xff\xfe\x00\x01listeners: \x80\x81", 17);
    std::string aliases = "a: &a [*a]\nlisteners: *a\n";
    std::string huge_number = "workers: 99999999999999999999999999\n";
    for (const std::string& text : {deep, binary, aliases, huge_number, std::string("{{{")}) {
        LoadResult result;
        REQUIRE_NOTHROW(result = load_text(text));
        CHECK_FALSE(result.ok());
        CHECK_FALSE(result.diagnostics.empty());
    }
}

TEST_CASE("load_config reads a file and names it in diagnostics", "[config]") {
    auto path = std::filesystem::temp_directory_path() /
                ("gantry_loader_test_" + std::to_string(::getpid()) + ".yaml");
    {
        std::ofstream out(path);
        out << "workers: none\n";
    }
    LoadResult result = load_config(path.string());
    std::filesystem::remove(path);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].to_string() ==
          path.string() + ":1:10: workers: expected `auto` or a number of threads");
}

TEST_CASE("a file that cannot be read is one diagnostic without a position", "[config]") {
    LoadResult missing = load_config("/nonexistent/gantry.yaml");
    REQUIRE(missing.diagnostics.size() == 1);
    CHECK(missing.diagnostics[0].to_string() ==
          "/nonexistent/gantry.yaml: cannot read config file: No such file or directory");
    LoadResult directory = load_config("/");
    REQUIRE(directory.diagnostics.size() == 1);
    CHECK(directory.diagnostics[0].message == "cannot read config file: not a regular file");
}

TEST_CASE("a config file over 16 MiB is refused without being parsed", "[config]") {
    auto path = std::filesystem::temp_directory_path() /
                ("gantry_loader_big_" + std::to_string(::getpid()) + ".yaml");
    {
        std::ofstream out(path);
        std::string comment_line = "#" + std::string(1023, 'x') + "\n";
        for (int i = 0; i < 16 * 1024 + 1; ++i) {
            out << comment_line;
        }
    }
    LoadResult result = load_config(path.string());
    std::filesystem::remove(path);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].message == "cannot read config file: larger than 16 MiB");
}

TEST_CASE("a full config loads into the expected snapshot", "[config]") {
    auto config = load_valid(R"(node: { name: edge-1, zone: z1 }
workers: 2
admin: { listen: "127.0.0.1:9901" }
log: { level: warn, access: { path: "off", format: json } }
limits: { max_headers: 64 }
listeners:
  - name: public
    listen: ["0.0.0.0:80"]
    protocols: [http1]
    virtual_hosts: [api, fallback]
    limits: { max_request_body: 0 }
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - match: { prefix: /v1/, methods: [get], headers: { x-canary: "1" } }
        forward: { cluster: v1, rewrite_prefix: /, timeout: 0 }
        request_headers: { set: { x-env: prod } }
        response_headers: { remove: [server] }
      - match: { regex: "/v2/.*" }
        redirect: { path: /v1/, status: 302 }
  - name: fallback
    default: true
    routes:
      - match: { prefix: / }
        respond: { status: 404, body: "no such site\n" }
clusters:
  - name: v1
    endpoints:
      - { address: "10.0.0.1:8080", weight: 2, zone: z1 }
      - { address: "10.0.0.2:8080" }
    lb: random
)");
    CHECK(config->node.name == "edge-1");
    CHECK(config->workers == 2);
    CHECK(config->admin.listen->port == 9901);
    CHECK(config->log.level == LogLevel::Warn);
    CHECK(config->log.access.is_off());
    CHECK(config->log.access.format == "json");
    CHECK(config->limits.max_headers == 64);

    REQUIRE(config->listeners.size() == 1);
    const ListenerConfig& listener = config->listeners[0];
    CHECK(listener.virtual_hosts == std::vector<std::string>{"api", "fallback"});
    CHECK(listener.limits.max_headers == 64);
    CHECK(listener.limits.max_request_body == 0);

    const VirtualHostConfig* api = config->find_virtual_host("api");
    REQUIRE(api != nullptr);
    REQUIRE(api->routes.size() == 2);
    const Route& forward_route = api->routes[0];
    CHECK(forward_route.match.path == "/v1/");
    CHECK(forward_route.match.methods == std::vector<std::string>{"GET"});
    CHECK(forward_route.match.headers[0].name == "x-canary");
    const auto& forward = std::get<ForwardAction>(forward_route.action);
    CHECK(forward.cluster == "v1");
    CHECK(forward.rewrite_prefix == "/");
    CHECK(forward.timeout == 0s);
    CHECK(forward_route.request_headers.set[0] ==
          std::pair<std::string, std::string>{"x-env", "prod"});
    CHECK(forward_route.response_headers.remove == std::vector<std::string>{"server"});
    const auto& redirect = std::get<RedirectAction>(api->routes[1].action);
    CHECK(redirect.path == "/v1/");
    CHECK(redirect.status == 302);
    CHECK(RE2::FullMatch("/v2/x", *api->routes[1].match.regex));

    const VirtualHostConfig* fallback = config->find_virtual_host("fallback");
    REQUIRE(fallback != nullptr);
    CHECK(fallback->is_default);
    CHECK(std::get<RespondAction>(fallback->routes[0].action).body == "no such site\n");

    const ClusterConfig* v1 = config->find_cluster("v1");
    REQUIRE(v1 != nullptr);
    CHECK(v1->lb == LbPolicy::Random);
    REQUIRE(v1->endpoints.size() == 2);
    CHECK(v1->endpoints[0].weight == 2);
    CHECK(v1->endpoints[1].address.text == "10.0.0.2:8080");
}

TEST_CASE("the shipped config/gantry.yaml loads and serves the documented routes", "[config]") {
    auto path = std::filesystem::path(GANTRY_SOURCE_DIR) / "config/gantry.yaml";
    REQUIRE(std::filesystem::exists(path));
    LoadResult result = load_config(path.string());
    for (const Diagnostic& diagnostic : result.diagnostics) {
        UNSCOPED_INFO(diagnostic.to_string());
    }
    REQUIRE(result.ok());
    const ConfigSnapshot& config = *result.config;
    CHECK(config.workers == 0);
    CHECK(config.log.access.path == "stdout");
    CHECK(config.log.access.format == "combined");
    REQUIRE(config.listeners.size() == 1);
    CHECK(config.listeners[0].listen[0].text == "0.0.0.0:8080");

    REQUIRE(config.virtual_hosts.size() == 1);
    const auto& routes = config.virtual_hosts[0].routes;
    REQUIRE(routes.size() == 3);
    CHECK(routes[0].match.kind == PathMatchKind::Exact);
    CHECK(routes[0].match.path == "/healthz");
    const auto& health = std::get<RespondAction>(routes[0].action);
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");

    CHECK(routes[1].match.path == "/example/");
    const auto& example = std::get<ForwardAction>(routes[1].action);
    CHECK(example.cluster == "example");
    CHECK(example.rewrite_prefix == "/");

    CHECK(routes[2].match.path == "/");
    const auto& welcome = std::get<RespondAction>(routes[2].action);
    CHECK(welcome.status == 200);
    CHECK(welcome.content_type.starts_with("text/html"));
    CHECK(welcome.body.find("<h1>Welcome to gantry</h1>") != std::string::npos);

    const ClusterConfig* cluster = config.find_cluster("example");
    REQUIRE(cluster != nullptr);
    CHECK(cluster->endpoints[0].address.text == "127.0.0.1:8081");
}
