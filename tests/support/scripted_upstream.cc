#include "support/scripted_upstream.h"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace gantry::test {

namespace {

constexpr auto kStepTimeout = std::chrono::seconds(30);

}  // namespace

ScriptedUpstream::ScriptedUpstream(Script script)
    : script_for_([script = std::move(script)](size_t) { return script; }) {
    start();
}

ScriptedUpstream::ScriptedUpstream(ScriptFor script_for) : script_for_(std::move(script_for)) {
    start();
}

ScriptedUpstream::~ScriptedUpstream() {
    stop();
}

void ScriptedUpstream::start() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 128) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::runtime_error("ScriptedUpstream: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

std::string ScriptedUpstream::received(size_t index) const {
    std::lock_guard lock(mutex_);
    return index < received_.size() ? received_[index] : std::string();
}

bool ScriptedUpstream::wait_for_connections(size_t n, std::chrono::milliseconds timeout) const {
    return wait_until([&] { return connection_count() >= n; }, timeout);
}

void ScriptedUpstream::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    cv_.notify_all();
    if (acceptor_.joinable()) {
        acceptor_.join();
    }
    ::close(listen_fd_);
    std::vector<Worker> threads;
    {
        std::lock_guard lock(mutex_);
        for (int fd : fds_) {
            ::shutdown(fd, SHUT_RDWR);
        }
        threads.swap(threads_);
    }
    for (auto& w : threads) {
        w.thread.join();
    }
}

void ScriptedUpstream::accept_loop() {
    while (!stopping_.load()) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
            continue;
        }
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        // Writes go out as the script or handler makes them; no Nagle delay between pieces.
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        std::lock_guard lock(mutex_);
        size_t index = connections_.fetch_add(1);
        received_.emplace_back();
        fds_.push_back(fd);
        auto done = std::make_shared<std::atomic<bool>>(false);
        threads_.push_back({std::thread([this, fd, index, done] {
                                run(fd, index);
                                done->store(true);
                            }),
                            done});
    }
}

void ScriptedUpstream::run(int fd, size_t index) {
    BufferedSocket socket(fd);
    Script script = script_for_(index);
    bool completed = true;
    for (const ScriptStep& s : script) {
        if (stopping_.load() || !run_step(socket, index, s)) {
            completed = s.kind == ScriptStep::Kind::Close || s.kind == ScriptStep::Kind::Reset;
            break;
        }
    }
    if (completed) {
        completed_.fetch_add(1);
    }
    record(index, socket.buffer());
    {
        // Unregister before closing, so that stop() never shuts down a reused descriptor.
        std::lock_guard lock(mutex_);
        fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
    }
    socket.close();
}

void ScriptedUpstream::record(size_t index, std::string_view bytes) {
    std::lock_guard lock(mutex_);
    received_[index].append(bytes);
}

// Returns false when the script must end here (a terminal step, or a failed expect).
bool ScriptedUpstream::run_step(BufferedSocket& socket, size_t index, const ScriptStep& s) {
    Deadline deadline = deadline_in(kStepTimeout);
    switch (s.kind) {
        case ScriptStep::Kind::ExpectBytes:
        case ScriptStep::Kind::ExpectUntil: {
            auto got = s.kind == ScriptStep::Kind::ExpectBytes
                           ? socket.read_exact(s.count, deadline)
                           : socket.read_until(s.data, deadline);
            if (got) {
                record(index, *got);
            }
            return got.has_value();
        }
        case ScriptStep::Kind::Send:
            return socket.send_all(s.data, deadline);
        case ScriptStep::Kind::Sleep: {
            std::unique_lock lock(mutex_);
            return !cv_.wait_for(lock, s.duration, [this] { return stopping_.load(); });
        }
        case ScriptStep::Kind::Close: {
            // FIN first, then drain what the peer still sends so that close() does not turn
            // into a reset because of unread bytes.
            socket.shutdown_write();
            std::string rest;
            socket.wait_closed(deadline_in(std::chrono::seconds(2)), &rest);
            record(index, rest);
            return false;
        }
        case ScriptStep::Kind::Reset: {
            linger l{1, 0};
            ::setsockopt(socket.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
            return false;
        }
        case ScriptStep::Kind::Stall:
            return pump(socket, index, false);
        case ScriptStep::Kind::Echo:
            return pump(socket, index, true);
    }
    return false;
}

bool ScriptedUpstream::pump(BufferedSocket& socket, size_t index, bool echo) {
    for (;;) {
        std::string pending;
        pending.swap(socket.buffer());
        if (!pending.empty()) {
            record(index, pending);
            if (echo && !socket.send_all(pending, deadline_in(kStepTimeout))) {
                return false;
            }
        }
        if (stopping_.load()) {
            return false;
        }
        BufferedSocket::Read r = socket.fill(deadline_in(std::chrono::milliseconds(100)));
        if (r == BufferedSocket::Read::Eof || r == BufferedSocket::Read::Reset) {
            return true;
        }
    }
}

}  // namespace gantry::test
