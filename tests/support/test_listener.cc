#include "support/test_listener.h"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace gantry::test {

TestListener::TestListener(const char* owner, int backlog, const char* ip, uint16_t port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    socklen_t len = sizeof(addr);
    if (listen_fd_ >= 0 && port != 0) {
        int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    if (listen_fd_ < 0 || ::inet_pton(AF_INET, ip, &addr.sin_addr) != 1 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, backlog) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (listen_fd_ >= 0) {
            ::close(listen_fd_);
        }
        throw std::runtime_error(std::string(owner) + ": cannot listen");
    }
    port_ = ntohs(addr.sin_port);
}

TestListener::~TestListener() {
    stop();
}

void TestListener::start(Serve serve) {
    serve_ = std::move(serve);
    acceptor_ = std::thread([this] { accept_loop(); });
}

void TestListener::stop() {
    {
        // Set under the lock so that a sleep_for() about to wait either sees it or is woken.
        std::lock_guard lock(mutex_);
        if (stopping_.exchange(true)) {
            return;
        }
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

bool TestListener::sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void TestListener::reap_finished() {
    // Finished connection threads keep their stacks until joined; long tests make thousands.
    auto finished = [](Worker& w) {
        if (!w.done->load()) {
            return false;
        }
        w.thread.join();
        return true;
    };
    threads_.erase(std::remove_if(threads_.begin(), threads_.end(), finished), threads_.end());
}

void TestListener::accept_loop() {
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
        if (stopping_.load()) {
            ::close(fd);
            break;
        }
        size_t index = connections_.fetch_add(1);
        open_connections_.fetch_add(1);
        reap_finished();
        fds_.push_back(fd);
        auto done = std::make_shared<std::atomic<bool>>(false);
        threads_.push_back({std::thread([this, fd, index, done] {
                                run_connection(fd, index);
                                done->store(true);
                            }),
                            done});
    }
}

void TestListener::run_connection(int fd, size_t index) {
    BufferedSocket socket(fd);
    serve_(socket, index);
    {
        // Unregister before closing, so that stop() never shuts down a reused descriptor.
        std::lock_guard lock(mutex_);
        fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
    }
    socket.close();
    open_connections_.fetch_sub(1);
}

}  // namespace gantry::test
