#pragma once

// Listener: one worker's acceptor for one listen address of one configured listener, bound with
// SO_REUSEPORT so that the kernel spreads new connections across workers with no shared accept
// lock. Owned by its Worker; its accept loop runs on the worker's thread.

#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace gantry::runtime {

class Worker;

class Listener {
public:
    Listener(Worker& worker, std::string name, boost::asio::ip::tcp::acceptor acceptor);

    // Opens, binds and listens (SO_REUSEADDR + SO_REUSEPORT). Returns false with `error` set.
    static bool open(boost::asio::ip::tcp::acceptor& acceptor,
                     const boost::asio::ip::tcp::endpoint& endpoint, std::string* error);

    void start();  // worker thread: runs the accept loop
    void close();  // worker thread: stops accepting

    const std::string& name() const { return name_; }

private:
    bool is_passthrough() const;

    Worker& worker_;
    std::string name_;
    boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace gantry::runtime
