#pragma once

// Listening sockets.
//  * ListenSocket: a socket bound and listening but not yet owned by a worker. The main thread
//    opens one per worker per address (at start-up and when a reload adds an address), so that
//    a bind error rejects the reload before anything changes; the socket then moves to its
//    worker. Closes the socket unless released.
//  * Listener: one worker's acceptor for one listen address, bound with SO_REUSEPORT so that the
//    kernel spreads new connections across workers with no shared accept lock. Owned by its
//    Worker (shared_ptr: the accept loop holds a reference until it has ended, so a reload can
//    drop a closed listener at once); touched only on the worker's thread. Its name is the
//    configured listener that owns the address in the worker's current generation; a reload
//    that moves the address to another listener renames it and keeps the socket.

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace gantry::server {

class Worker;

class ListenSocket {
public:
    ListenSocket() = default;
    ~ListenSocket();
    ListenSocket(ListenSocket&& other) noexcept;
    ListenSocket& operator=(ListenSocket&& other) noexcept;

    // Opens, binds and listens (SO_REUSEADDR + SO_REUSEPORT, IPV6_V6ONLY for IPv6). Returns an
    // invalid socket and fills `error` on failure.
    static ListenSocket open(const boost::asio::ip::tcp::endpoint& endpoint, std::string* error);

    bool is_valid() const { return fd_ >= 0; }

    const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }

    int release();  // gives up ownership of the descriptor

private:
    boost::asio::ip::tcp::endpoint endpoint_;
    int fd_ = -1;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // Worker thread (or before the worker's thread starts): takes over `socket`.
    Listener(Worker& worker, std::string name, ListenSocket socket);

    void start();  // worker thread: runs the accept loop
    void close();  // worker thread: stops accepting; the loop ends on its own

    const std::string& name() const { return name_; }

    void set_name(const std::string& name) { name_ = name; }

    const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }

private:
    void start_connection(boost::asio::ip::tcp::socket socket);

    Worker& worker_;
    std::string name_;
    boost::asio::ip::tcp::endpoint endpoint_;
    boost::asio::ip::tcp::acceptor acceptor_;
};

// True when a socket bound to `bound` accepts connections whose local address is `local`
// (the same address, or a wildcard address of the same family, and the same port).
bool endpoint_covers(const boost::asio::ip::tcp::endpoint& bound,
                     const boost::asio::ip::tcp::endpoint& local);

}  // namespace gantry::server
