#include <filesystem>

#include <catch2/catch.hpp>

#include <gantry/admin/config_dump.h>
#include <gantry/config_diff.h>

namespace gantry::admin {
namespace {

constexpr const char* kConfig = R"(workers: 3
admin: { listen: "127.0.0.1:9901" }
listeners:
  - name: public
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [api]
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - match: { prefix: /v1/, headers: { x-canary: "1" } }
        forward: { cluster: v1, timeout: 250ms }
        request_headers:
          set: { authorization: "Bearer s3cr3t-token", x-env: prod, x-api-key: "k-123456" }
          add: { cookie: "session=abcdef" }
clusters:
  - name: v1
    endpoints: [{ address: "127.0.0.1:9000", weight: 3 }]
)";

std::shared_ptr<const config::ConfigSnapshot> load(const char* text) {
    config::LoadResult loaded = config::load_config_from_string(text, "test.yaml");
    REQUIRE(loaded.ok());
    return loaded.config;
}

TEST_CASE("The config dump shows the running settings with their defaults", "[admin]") {
    std::string dump = dump_config(*load(kConfig));
    INFO(dump);
    YAML::Node root = YAML::Load(dump);
    CHECK(root["workers"].as<int>() == 3);
    CHECK(root["admin"]["listen"].as<std::string>() == "127.0.0.1:9901");
    CHECK(root["listeners"][0]["name"].as<std::string>() == "public");
    CHECK(root["limits"]["header_timeout"].as<std::string>() == "10s");
    YAML::Node route = root["virtual_hosts"][0]["routes"][0];
    CHECK(route["match"]["prefix"].as<std::string>() == "/v1/");
    CHECK(route["match"]["headers"]["x-canary"].as<std::string>() == "1");
    CHECK(route["forward"]["timeout"].as<std::string>() == "250ms");
    CHECK(route["request_headers"]["set"]["x-env"].as<std::string>() == "prod");
    CHECK(root["clusters"][0]["endpoints"][0]["weight"].as<int>() == 3);
    CHECK(root["clusters"][0]["connect_timeout"].as<std::string>() == "1s");
}

TEST_CASE("The config dump redacts secret header values", "[admin]") {
    std::string dump = dump_config(*load(kConfig));
    INFO(dump);
    CHECK(dump.find("s3cr3t") == std::string::npos);
    CHECK(dump.find("k-123456") == std::string::npos);
    CHECK(dump.find("abcdef") == std::string::npos);
    YAML::Node set = YAML::Load(dump)["virtual_hosts"][0]["routes"][0]["request_headers"]["set"];
    CHECK(set["authorization"].as<std::string>() == kRedacted);
    CHECK(set["x-api-key"].as<std::string>() == kRedacted);
}

TEST_CASE("Redaction keeps key file paths and replaces inline keys and passwords", "[admin]") {
    YAML::Node node = YAML::Load(R"(
tls:
  certificates:
    - { cert: /etc/gantry/a.pem, key: /etc/gantry/a.key }
    - { cert: /etc/gantry/b.pem, key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----" }
  session_ticket_key: "c2VjcmV0"
upstream_auth: { username: bob, password: hunter2, client_secret: xyz }
pem: "-----BEGIN RSA PRIVATE KEY-----\nabc"
name: plain
)");
    redact_secrets(node);
    CHECK(node["tls"]["certificates"][0]["key"].as<std::string>() == "/etc/gantry/a.key");
    CHECK(node["tls"]["certificates"][0]["cert"].as<std::string>() == "/etc/gantry/a.pem");
    CHECK(node["tls"]["certificates"][1]["key"].as<std::string>() == kRedacted);
    CHECK(node["tls"]["session_ticket_key"].as<std::string>() == kRedacted);
    CHECK(node["upstream_auth"]["username"].as<std::string>() == "bob");
    CHECK(node["upstream_auth"]["password"].as<std::string>() == kRedacted);
    CHECK(node["upstream_auth"]["client_secret"].as<std::string>() == kRedacted);
    CHECK(node["pem"].as<std::string>() == kRedacted);
    CHECK(node["name"].as<std::string>() == "plain");
}

TEST_CASE("Secret key names are recognised case-insensitively", "[admin]") {
    CHECK(is_secret_key("Authorization"));
    CHECK(is_secret_key("X-Auth-Token"));
    CHECK(is_secret_key("db_password"));
    CHECK(is_secret_key("Set-Cookie"));
    CHECK(is_secret_key("key"));
    CHECK_FALSE(is_secret_key("keep_alive"));
    CHECK_FALSE(is_secret_key("host"));
    CHECK_FALSE(is_secret_key("x-env"));
}

// Every traffic-management and file-less TLS key, each with a value other than its default.
constexpr const char* kTrafficConfig = R"(listeners:
  - { name: web, listen: ["127.0.0.1:8080"], virtual_hosts: [site] }
  - name: edge
    listen: ["127.0.0.1:8443"]
    mode: tls_passthrough
    sni_routes:
      - { server_names: [a.example, "*.b.example"], cluster: a }
    default_cluster: b
virtual_hosts:
  - name: site
    domains: ["*"]
    routes:
      - match: { prefix: /v1/ }
        forward:
          weighted: [{ cluster: a, weight: 90 }, { cluster: b, weight: 0 }]
          rewrite_regex: { pattern: "^/v1/(.*)$", substitution: "/x/\\1" }
          timeout: 2s
          per_try_timeout: 500ms
          idle_timeout: 30s
          upgrades: [websocket]
          retries:
            attempts: 4
            on: [gateway-error, reset]
            retriable_status: [429, 409]
            backoff: { base: 10ms, max: 70ms }
            budget: { percent: 35, min_concurrency: 7 }
            methods: [POST]
            body_buffer: 16KiB
          mirror: { cluster: b, percent: 5 }
        request_headers:
          set: { x-client: "$remote_addr", x-id: "${request_id}" }
          add: { x-price: "$$5 for $host" }
        response_headers: { add: { x-host: "$scheme://$host$uri $$" }, remove: [server] }
      - match: { prefix: / }
        forward: { cluster: b, retries: { retriable_status: [503] } }
clusters:
  - name: a
    endpoints: [{ address: "10.0.0.1:80" }]
    circuit_breakers: { max_connections: 10, max_pending: 5, max_requests: 20, max_retries: 2 }
    tls: { sni: api.internal, verify: false }
  - name: b
    endpoints: [{ address: "10.0.0.2:80" }]
)";

TEST_CASE("The config dump writes the traffic-management and passthrough keys", "[admin]") {
    auto loaded = load(kTrafficConfig);
    std::string dump = dump_config(*loaded);
    INFO(dump);
    YAML::Node root = YAML::Load(dump);
    YAML::Node forward = root["virtual_hosts"][0]["routes"][0]["forward"];
    CHECK_FALSE(forward["cluster"]);
    CHECK(forward["weighted"][1]["cluster"].as<std::string>() == "b");
    CHECK(forward["weighted"][1]["weight"].as<int>() == 0);
    CHECK(forward["rewrite_regex"]["substitution"].as<std::string>() == "/x/\\1");
    CHECK(forward["idle_timeout"].as<std::string>() == "30s");
    YAML::Node retries = forward["retries"];
    CHECK(retries["attempts"].as<int>() == 4);
    CHECK(retries["on"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"gateway-error", "reset"});
    CHECK(retries["retriable_status"].as<std::vector<int>>() == std::vector<int>{429, 409});
    CHECK(retries["backoff"]["max"].as<std::string>() == "70ms");
    CHECK(retries["budget"]["min_concurrency"].as<int>() == 7);
    CHECK(retries["methods"].as<std::vector<std::string>>() == std::vector<std::string>{"POST"});
    CHECK(retries["body_buffer"].as<uint64_t>() == 16 * 1024);
    CHECK(forward["mirror"]["percent"].as<int>() == 5);
    YAML::Node headers = root["virtual_hosts"][0]["routes"][0]["request_headers"];
    CHECK(headers["add"]["x-price"].as<std::string>() == "$$5 for $host");
    YAML::Node second = root["virtual_hosts"][0]["routes"][1]["forward"];
    CHECK_FALSE(second["retries"]["budget"]);
    CHECK(second["retries"]["backoff"]["base"].as<std::string>() == "25ms");
    YAML::Node edge = root["listeners"][1];
    CHECK(edge["mode"].as<std::string>() == "tls_passthrough");
    CHECK_FALSE(edge["protocols"]);
    CHECK(edge["sni_routes"][0]["server_names"][1].as<std::string>() == "*.b.example");
    CHECK(edge["default_cluster"].as<std::string>() == "b");
    YAML::Node cluster = root["clusters"][0];
    CHECK(cluster["circuit_breakers"]["max_pending"].as<int>() == 5);
    CHECK(cluster["tls"]["sni"].as<std::string>() == "api.internal");
    CHECK(cluster["tls"]["verify"].as<bool>() == false);
    CHECK_FALSE(root["clusters"][1]["tls"]);

    config::LoadResult again = config::load_config_from_string(dump, "dump.yaml");
    for (const auto& diagnostic : again.diagnostics) {
        UNSCOPED_INFO(diagnostic.to_string());
    }
    REQUIRE(again.ok());
    CHECK(dump_config(*again.config) == dump);
    const auto& route =
        std::get<config::ForwardAction>(again.config->virtual_hosts[0].routes[0].action);
    CHECK(route.total_weight == 90);
    CHECK(route.retries->on == (config::kRetryOnGatewayError | config::kRetryOnReset));
    CHECK(again.config->virtual_hosts[0].routes[0].request_headers.add[0].second ==
          "$$5 for $host");
}

// The dump is itself a valid config that loads to the same settings: dumping it again gives
// the same text, and `check --against`'s diff finds no change between the config and its dump
// (so every key the diff compares survives the dump). Checked on the shipped config and on the
// fuzz corpus's configs that load (every_health_key.yaml sets every cluster health key).
TEST_CASE("The config dump loads back as the same config", "[admin]") {
    const std::filesystem::path root(GANTRY_SOURCE_DIR);
    std::vector<std::filesystem::path> files = {root / "config/gantry.yaml"};
    for (const auto& entry :
         std::filesystem::directory_iterator(root / "tests/fuzz/corpus/config_fuzz")) {
        files.push_back(entry.path());
    }
    size_t checked = 0;
    for (const auto& file : files) {
        config::LoadResult loaded = config::load_config(file.string());
        if (!loaded.ok() || file.filename() == "errors.yaml") {
            continue;
        }
        INFO(file.string());
        std::string dump = dump_config(*loaded.config);
        config::LoadResult again = config::load_config_from_string(dump, "dump.yaml");
        for (const auto& diagnostic : again.diagnostics) {
            UNSCOPED_INFO(diagnostic.to_string());
        }
        REQUIRE(again.ok());
        CHECK(dump_config(*again.config) == dump);
        CHECK(config::format_changes(config::diff_configs(*loaded.config, *again.config)) ==
              "no changes\n");
        ++checked;
    }
    CHECK(checked >= 4);
}

}  // namespace
}  // namespace gantry::admin
