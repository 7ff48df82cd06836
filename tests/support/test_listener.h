#pragma once

// TestListener: the accept plumbing the test servers (HttpUpstream, ScriptedUpstream) share. A
// listening socket on 127.0.0.1:<ephemeral>, one thread that accepts, and one thread per
// connection that runs the server's `serve` and then closes the socket. Owned by one test
// server: start() and stop() run on the owner's thread, `serve` on the connection threads; the
// counters may be read anywhere.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "support/test_util.h"

namespace gantry::test {

class TestListener {
public:
    // Serves one accepted connection; `index` counts connections from 0.
    using Serve = std::function<void(BufferedSocket& socket, size_t index)>;

    // Binds and listens at once, on 127.0.0.1 and an ephemeral port unless told otherwise (an
    // IPv4 loopback address such as "127.0.0.2", a fixed port); throws std::runtime_error
    // naming `owner` on failure.
    TestListener(const char* owner, int backlog, const char* ip = "127.0.0.1", uint16_t port = 0);
    ~TestListener();
    TestListener(const TestListener&) = delete;
    TestListener& operator=(const TestListener&) = delete;

    uint16_t port() const { return port_; }

    size_t connection_count() const { return connections_.load(); }

    size_t open_connections() const { return open_connections_.load(); }

    // Starts the accept thread.
    void start(Serve serve);

    // Closes the listener, wakes sleep_for(), shuts down every open connection and joins all
    // threads.
    void stop();

    // True once stop() began; `serve` should return soon after.
    bool stopping() const { return stopping_.load(); }

    // Waits `d` unless stop() comes first; false when stopped. For `serve`.
    bool sleep_for(std::chrono::milliseconds d);

private:
    void accept_loop();
    void run_connection(int fd, size_t index);
    void reap_finished();  // with mutex_ held

    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };

    Serve serve_;
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<size_t> connections_{0};
    std::atomic<size_t> open_connections_{0};
    std::mutex mutex_;  // guards fds_ and threads_; cv_ waits on it
    std::condition_variable cv_;
    std::vector<int> fds_;
    std::vector<Worker> threads_;
    std::thread acceptor_;
};

}  // namespace gantry::test
