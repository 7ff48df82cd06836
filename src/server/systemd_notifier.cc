#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include <gantry/runtime/log.h>
#include <gantry/server/systemd_notifier.h>

namespace gantry::server {

namespace {

std::optional<uint64_t> parse_number(const char* text) {
    if (text == nullptr || *text == '\0') {
        return std::nullopt;
    }
    uint64_t value = 0;
    const char* end = text + std::strlen(text);
    auto [ptr, ec] = std::from_chars(text, end, value);
    if (ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

uint64_t monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1000000u +
           static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

namespace sd_notify {

socklen_t parse_address(std::string_view value, sockaddr_un& out) {
    out = sockaddr_un{};
    out.sun_family = AF_UNIX;
    if (value.size() < 2 || value.size() >= sizeof out.sun_path ||
        (value.front() != '/' && value.front() != '@')) {
        return 0;
    }
    std::memcpy(out.sun_path, value.data(), value.size());
    if (value.front() == '@') {
        out.sun_path[0] = '\0';
        // An abstract name is exactly its bytes: no terminating NUL is counted.
        return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size());
    }
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() + 1);
}

std::string reloading_message(uint64_t monotonic) {
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic);
}

std::optional<std::chrono::microseconds> watchdog_interval(const char* usec, const char* pid_text,
                                                           long pid) {
    auto timeout = parse_number(usec);
    if (!timeout || *timeout == 0) {
        return std::nullopt;
    }
    if (pid_text != nullptr) {
        auto owner = parse_number(pid_text);
        if (!owner || *owner != static_cast<uint64_t>(pid)) {
            return std::nullopt;
        }
    }
    return std::chrono::microseconds(*timeout / 2);
}

}  // namespace sd_notify

SystemdNotifier SystemdNotifier::from_environment() {
    SystemdNotifier notifier;
    if (const char* socket = std::getenv("NOTIFY_SOCKET")) {
        notifier.address_length_ = sd_notify::parse_address(socket, notifier.address_);
        if (notifier.address_length_ == 0) {
            log::warn("NOTIFY_SOCKET=", socket, " is not a usable socket address; ignored");
        }
    }
    notifier.watchdog_ = sd_notify::watchdog_interval(std::getenv("WATCHDOG_USEC"),
                                                      std::getenv("WATCHDOG_PID"), ::getpid());
    return notifier;
}

bool SystemdNotifier::send(std::string_view message) {
    if (!is_active()) {
        return false;
    }
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    ssize_t sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                            reinterpret_cast<const sockaddr*>(&address_), address_length_);
    int error = errno;
    ::close(fd);
    if (sent < 0 && !has_warned_) {
        has_warned_ = true;  // once: the watchdog would repeat it every few seconds
        log::warn("sd_notify: cannot send to NOTIFY_SOCKET: ", std::strerror(error));
    }
    return sent >= 0;
}

bool SystemdNotifier::ready(std::string_view status) {
    std::string message = "READY=1\nSTATUS=";
    message.append(status);
    return send(message);
}

bool SystemdNotifier::reloading() {
    return send(sd_notify::reloading_message(monotonic_usec()));
}

bool SystemdNotifier::stopping() {
    return send("STOPPING=1");
}

bool SystemdNotifier::watchdog() {
    return send("WATCHDOG=1");
}

}  // namespace gantry::server
