#pragma once

// SystemdNotifier: the sd_notify protocol in a few lines, so that gantry runs as a systemd
// `Type=notify` service without linking libsystemd. Messages are "KEY=VALUE" lines sent as one
// datagram to the unix socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract
// namespace). When $NOTIFY_SOCKET is unset every call does nothing. Owned by server::Server;
// main thread only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>

namespace gantry::server {

class SystemdNotifier {
public:
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment of this process.
    static SystemdNotifier from_environment();

    bool is_active() const { return address_length_ > 0; }

    // READY=1 (every listener is bound, workers run); `status` becomes STATUS=.
    bool ready(std::string_view status);
    // RELOADING=1 with MONOTONIC_USEC= (systemd >= 253 asks for the timestamp).
    bool reloading();
    bool stopping();
    bool watchdog();

    // Half of WATCHDOG_USEC when systemd asked this process for keep-alives (WATCHDOG_PID unset
    // or equal to our pid), the interval systemd's documentation recommends; else nullopt.
    std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

    // Sends one datagram holding `message`. False when inactive or the send failed.
    bool send(std::string_view message);

private:
    sockaddr_un address_{};
    socklen_t address_length_ = 0;
    std::optional<std::chrono::microseconds> watchdog_;
    bool has_warned_ = false;
};

// Pure helpers, exposed for the unit tests.
namespace sd_notify {

// Fills `out` from a NOTIFY_SOCKET value: an absolute path, or "@name" (abstract namespace,
// the '@' becomes a NUL byte). Returns the address length, or 0 when the value is unusable.
socklen_t parse_address(std::string_view value, sockaddr_un& out);

// The message for RELOADING=1 at `monotonic` (CLOCK_MONOTONIC, microseconds).
std::string reloading_message(uint64_t monotonic_usec);

// The watchdog interval for WATCHDOG_USEC / WATCHDOG_PID (either may be null) as seen by the
// process `pid`: half the timeout, or nullopt when unset, malformed, 0 or meant for another pid.
std::optional<std::chrono::microseconds> watchdog_interval(const char* usec, const char* pid_text,
                                                           long pid);

}  // namespace sd_notify

}  // namespace gantry::server
