#include <cstdio>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include <gantry/runtime/resolver.h>

using boost::asio::ip::make_address;
using gantry::runtime::prefer_ipv4;
using gantry::runtime::Resolver;

TEST_CASE("prefer_ipv4 keeps IPv4 when there is any, sorted and unique", "[runtime][dns]") {
    Resolver::Addresses mixed{make_address("::1"), make_address("10.0.0.2"),
                              make_address("10.0.0.1"), make_address("10.0.0.2")};
    CHECK(prefer_ipv4(mixed) ==
          Resolver::Addresses{make_address("10.0.0.1"), make_address("10.0.0.2")});
    Resolver::Addresses v6{make_address("fd00::2"), make_address("fd00::1")};
    CHECK(prefer_ipv4(v6) == Resolver::Addresses{make_address("fd00::1"), make_address("fd00::2")});
}

TEST_CASE("the hosts-file resolver reads every line naming the host", "[runtime][dns]") {
    const auto path = std::filesystem::temp_directory_path() / "gantry-resolver-test-hosts";
    std::ofstream(path) << "# comment\n10.0.0.1 api.test other.test\n10.0.0.2   api.test # two\n"
                           "fd00::1 api.test\nbogus api.test\n10.0.0.3 web.test\n";
    auto resolver = gantry::runtime::make_hosts_file_resolver(path.string());
    Resolver::Addresses out;
    std::string error;
    REQUIRE(resolver->resolve("api.test", out, &error));
    CHECK(out == Resolver::Addresses{make_address("10.0.0.1"), make_address("10.0.0.2")});
    REQUIRE(resolver->resolve("other.test", out, &error));
    CHECK(out == Resolver::Addresses{make_address("10.0.0.1")});
    CHECK_FALSE(resolver->resolve("missing.test", out, &error));
    CHECK(error.find("missing.test") != std::string::npos);
    std::filesystem::remove(path);
    CHECK_FALSE(resolver->resolve("api.test", out, &error));
    CHECK(error.find("cannot read hosts file") != std::string::npos);
}
