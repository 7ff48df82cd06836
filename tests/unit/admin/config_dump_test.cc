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
