// gantry speaks sd_notify to the socket in $NOTIFY_SOCKET: READY once it serves, RELOADING and
// READY around a reload, STOPPING on shutdown, and WATCHDOG at half of $WATCHDOG_USEC.

#include <cstring>
#include <random>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

// A unix datagram socket in the abstract namespace, standing in for systemd's notify socket.
class NotifySocket {
public:
    NotifySocket() {
        std::random_device random;
        name_ =
            "@gantry-test-notify-" + std::to_string(::getpid()) + "-" + std::to_string(random());
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name_.data(), name_.size());
        address.sun_path[0] = '\0';
        auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0);
    }

    ~NotifySocket() { ::close(fd_); }

    const std::string& name() const { return name_; }

    // The next message, or nullopt after `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout) {
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buffer[4096];
        ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n < 0) {
            return std::nullopt;
        }
        return std::string(buffer, static_cast<size_t>(n));
    }

    // The next message that is not a watchdog keep-alive; every WATCHDOG=1 seen is counted.
    std::optional<std::string> next_state(std::chrono::milliseconds timeout) {
        Deadline deadline = deadline_in(timeout);
        while (Clock::now() < deadline) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            auto message = receive(std::max(left, std::chrono::milliseconds(1)));
            if (message && *message == "WATCHDOG=1") {
                ++watchdogs_;
                continue;
            }
            return message;
        }
        return std::nullopt;
    }

    size_t watchdogs() const { return watchdogs_; }

private:
    std::string name_;
    int fd_ = -1;
    size_t watchdogs_ = 0;
};

std::string first_line(const std::optional<std::string>& message) {
    return message ? message->substr(0, message->find('\n')) : "(nothing)";
}

}  // namespace

TEST_CASE("systemd hears READY, RELOADING, READY and STOPPING in order, and the watchdog",
          "[integration][systemd]") {
    NotifySocket notify;
    GantryOptions options;
    options.env["NOTIFY_SOCKET"] = notify.name();
    options.env["WATCHDOG_USEC"] = "200000";  // fed every 100 ms
    options.env["WATCHDOG_PID"] = "";
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        respond: { body: \"ok\" }\n"),
        options);

    auto ready = notify.next_state(5s);
    CHECK(first_line(ready) == "READY=1");
    CHECK(ready.value_or("").find("STATUS=serving generation 1") != std::string::npos);

    REQUIRE(gantry.reload().applied);
    auto reloading = notify.next_state(5s);
    CHECK(first_line(reloading) == "RELOADING=1");
    CHECK(reloading.value_or("").find("\nMONOTONIC_USEC=") != std::string::npos);
    auto ready_again = notify.next_state(5s);
    CHECK(first_line(ready_again) == "READY=1");
    CHECK(ready_again.value_or("").find("STATUS=serving generation 2") != std::string::npos);

    std::this_thread::sleep_for(350ms);
    CHECK(gantry.stop() == 0);
    CHECK(first_line(notify.next_state(5s)) == "STOPPING=1");
    CHECK(notify.watchdogs() >= 3);
}

TEST_CASE("without NOTIFY_SOCKET gantry runs and stops as usual", "[integration][systemd]") {
    GantryOptions options;
    options.env["NOTIFY_SOCKET"] = "";
    GantryProcess gantry(
        one_host_config("      - match: { prefix: / }\n        respond: { body: \"ok\" }\n"),
        options);
    REQUIRE(gantry.reload().applied);
    CHECK(gantry.stop() == 0);
}

}  // namespace gantry::test
