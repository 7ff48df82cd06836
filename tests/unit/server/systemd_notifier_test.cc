#include <cstring>

#include <catch2/catch.hpp>

#include <gantry/server/systemd_notifier.h>

namespace gantry::server {

using namespace std::chrono_literals;

TEST_CASE("a NOTIFY_SOCKET path is used with its terminating NUL", "[sd_notify]") {
    sockaddr_un address{};
    socklen_t length = sd_notify::parse_address("/run/systemd/notify", address);
    CHECK(length == offsetof(sockaddr_un, sun_path) + std::strlen("/run/systemd/notify") + 1);
    CHECK(std::string(address.sun_path) == "/run/systemd/notify");
    CHECK(address.sun_family == AF_UNIX);
}

TEST_CASE("an abstract NOTIFY_SOCKET starts with NUL and counts only its bytes", "[sd_notify]") {
    sockaddr_un address{};
    socklen_t length = sd_notify::parse_address("@gantry/notify", address);
    CHECK(length == offsetof(sockaddr_un, sun_path) + std::strlen("@gantry/notify"));
    CHECK(address.sun_path[0] == '\0');
    CHECK(std::string(address.sun_path + 1) == "gantry/notify");
}

TEST_CASE("unusable NOTIFY_SOCKET values are refused", "[sd_notify]") {
    sockaddr_un address{};
    CHECK(sd_notify::parse_address("", address) == 0);
    CHECK(sd_notify::parse_address("@", address) == 0);
    CHECK(sd_notify::parse_address("relative/path", address) == 0);
    CHECK(sd_notify::parse_address("vsock:2:1234", address) == 0);
    CHECK(sd_notify::parse_address("/" + std::string(200, 'x'), address) == 0);
}

TEST_CASE("RELOADING carries the monotonic timestamp systemd 253 asks for", "[sd_notify]") {
    CHECK(sd_notify::reloading_message(123456789) == "RELOADING=1\nMONOTONIC_USEC=123456789");
}

TEST_CASE("the watchdog is fed at half of WATCHDOG_USEC, only for our own pid", "[sd_notify]") {
    CHECK(sd_notify::watchdog_interval("10000000", nullptr, 42) == std::chrono::microseconds(5s));
    CHECK(sd_notify::watchdog_interval("10000000", "42", 42) == std::chrono::microseconds(5s));
    CHECK_FALSE(sd_notify::watchdog_interval("10000000", "43", 42));
    CHECK_FALSE(sd_notify::watchdog_interval(nullptr, nullptr, 42));
    CHECK_FALSE(sd_notify::watchdog_interval("0", nullptr, 42));
    CHECK_FALSE(sd_notify::watchdog_interval("10s", nullptr, 42));
    CHECK_FALSE(sd_notify::watchdog_interval("-5", nullptr, 42));
}

}  // namespace gantry::server
