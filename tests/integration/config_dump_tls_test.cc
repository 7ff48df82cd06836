// The /config dump of the TLS keys that name files: the loader checks those files, so the
// certificates are made at test time with TestPki (which is why this is not a unit test).

#include <catch2/catch.hpp>

#include <gantry/admin/config_dump.h>
#include <gantry/config_diff.h>

#include "support/test_pki.h"

namespace gantry::test {
namespace {

std::string tls_config(const TestPki& ca, const IssuedCertificate& server,
                       const IssuedCertificate& other, const IssuedCertificate& client) {
    return R"(listeners:
  - name: web
    listen: ["127.0.0.1:8443"]
    protocols: [http1, http2]
    virtual_hosts: [site]
    tls:
      certificates:
        - { cert: ")" +
           server.cert + R"(", key: ")" + server.key + R"(" }
        - { cert: ")" +
           other.cert + R"(", key: ")" + other.key + R"(" }
      min_version: "1.3"
      alpn: [http/1.1]
      client_ca: ")" +
           ca.ca() + R"("
      client_auth: required
      handshake_timeout: 3s
  - name: plain
    listen: ["127.0.0.1:8080"]
    virtual_hosts: [site]
    tls:
      certificates: [{ cert: ")" +
           server.cert + R"(", key: ")" + server.key + R"(" }]
virtual_hosts:
  - name: site
    domains: ["*"]
    routes: [{ match: { prefix: / }, forward: { cluster: app } }]
clusters:
  - name: app
    endpoints: [{ address: "127.0.0.1:9000" }]
    tls:
      sni: app.internal
      ca: ")" +
           ca.ca() + R"("
      cert: ")" +
           client.cert + R"("
      key: ")" +
           client.key + R"("
)";
}

TEST_CASE("The config dump shows every TLS key, key paths included, and loads back the same",
          "[admin][tls]") {
    TestPki ca;
    IssuedCertificate server = ca.issue("server", "gantry.test", {"DNS:gantry.test"});
    IssuedCertificate other = ca.issue("other", "other.test", {"DNS:other.test"}, KeyType::Rsa);
    IssuedCertificate client = ca.issue("client", "client", {"DNS:client.test"});
    config::LoadResult loaded =
        config::load_config_from_string(tls_config(ca, server, other, client), "tls.yaml");
    for (const auto& diagnostic : loaded.diagnostics) {
        UNSCOPED_INFO(diagnostic.to_string());
    }
    REQUIRE(loaded.ok());
    std::string dump = admin::dump_config(*loaded.config);
    INFO(dump);
    YAML::Node root = YAML::Load(dump);
    YAML::Node tls = root["listeners"][0]["tls"];
    CHECK(tls["certificates"][1]["cert"].as<std::string>() == other.cert);
    CHECK(tls["certificates"][1]["key"].as<std::string>() == other.key);
    CHECK(tls["min_version"].as<std::string>() == "1.3");
    CHECK(tls["alpn"].as<std::vector<std::string>>() == std::vector<std::string>{"http/1.1"});
    CHECK(tls["client_ca"].as<std::string>() == ca.ca());
    CHECK(tls["client_auth"].as<std::string>() == "required");
    CHECK(tls["handshake_timeout"].as<std::string>() == "3s");
    YAML::Node defaults = root["listeners"][1]["tls"];
    CHECK(defaults["min_version"].as<std::string>() == "1.2");
    CHECK_FALSE(defaults["alpn"]);
    CHECK_FALSE(defaults["client_ca"]);
    CHECK(defaults["handshake_timeout"].as<std::string>() == "10s");
    YAML::Node upstream = root["clusters"][0]["tls"];
    CHECK(upstream["sni"].as<std::string>() == "app.internal");
    CHECK(upstream["ca"].as<std::string>() == ca.ca());
    CHECK(upstream["verify"].as<bool>());
    CHECK(upstream["cert"].as<std::string>() == client.cert);
    CHECK(upstream["key"].as<std::string>() == client.key);

    config::LoadResult again = config::load_config_from_string(dump, "dump.yaml");
    for (const auto& diagnostic : again.diagnostics) {
        UNSCOPED_INFO(diagnostic.to_string());
    }
    REQUIRE(again.ok());
    CHECK(admin::dump_config(*again.config) == dump);
}

TEST_CASE("check --against reports listener TLS changes", "[admin][tls]") {
    TestPki ca;
    IssuedCertificate server = ca.issue("server", "gantry.test", {"DNS:gantry.test"});
    IssuedCertificate other = ca.issue("other", "other.test", {"DNS:other.test"});
    IssuedCertificate client = ca.issue("client", "client", {"DNS:client.test"});
    std::string text = tls_config(ca, server, other, client);
    std::string next_text = text;
    next_text.replace(next_text.find("min_version: \"1.3\""), 18, "min_version: \"1.2\"");
    next_text.replace(next_text.find("client_auth: required"), 21, "client_auth: optional");
    auto running = config::load_config_from_string(text, "running.yaml");
    auto next = config::load_config_from_string(next_text, "next.yaml");
    REQUIRE(running.ok());
    REQUIRE(next.ok());
    auto changes = config::diff_configs(*running.config, *next.config);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].what == "listener");
    CHECK(changes[0].name == "web");
    CHECK(changes[0].details == std::vector<std::string>{"tls.min_version: 1.3 -> 1.2",
                                                         "tls.client_auth: required -> optional"});
}

}  // namespace
}  // namespace gantry::test
