#include <catch2/catch.hpp>

#include <gantry/server/listener.h>

namespace gantry::server {

namespace {

boost::asio::ip::tcp::endpoint ep(const char* address, uint16_t port) {
    return {boost::asio::ip::make_address(address), port};
}

}  // namespace

TEST_CASE("a bound address covers connections to itself and a wildcard covers its family",
          "[listener]") {
    CHECK(endpoint_covers(ep("127.0.0.1", 80), ep("127.0.0.1", 80)));
    CHECK(endpoint_covers(ep("0.0.0.0", 80), ep("10.1.2.3", 80)));
    CHECK(endpoint_covers(ep("::", 80), ep("::1", 80)));
    CHECK(endpoint_covers(ep("::1", 8080), ep("::1", 8080)));
}

TEST_CASE("another port, address or family is not covered", "[listener]") {
    CHECK_FALSE(endpoint_covers(ep("127.0.0.1", 80), ep("127.0.0.1", 81)));
    CHECK_FALSE(endpoint_covers(ep("127.0.0.1", 80), ep("127.0.0.2", 80)));
    CHECK_FALSE(endpoint_covers(ep("0.0.0.0", 80), ep("::1", 80)));
    CHECK_FALSE(endpoint_covers(ep("::", 80), ep("127.0.0.1", 80)));
}

}  // namespace gantry::server
