#pragma once

// DrainableConnection: an open client connection as its worker's drain registry sees it
// (ProxyWorker::add_connection). The HTTP/1.1 DownstreamConnection, the HTTP/2 server connection
// and a connection still in its TLS handshake or protocol selection are all one, so that a drain
// on SIGTERM and the retiring of a removed listener's connections on reload reach every client
// whatever it speaks. Touched only by its worker's thread.

#include <cstddef>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace gantry::proxy {

class DrainableConnection {
public:
    // Close when idle; what is in flight finishes first and then ends the connection.
    virtual void begin_drain() = 0;
    // Close now (drain timeout); in-flight streams are aborted.
    virtual void abort() = 0;

    // The configured listener the connection was accepted for.
    virtual const std::string& listener_name() const = 0;
    // The address the client connected to (which listening address accepted it).
    virtual boost::asio::ip::tcp::endpoint local_endpoint(boost::system::error_code& ec) = 0;

    // Where the registry keeps the connection (O(1) removal).
    size_t registry_index() const { return registry_index_; }

    void set_registry_index(size_t index) { registry_index_ = index; }

protected:
    DrainableConnection() = default;
    ~DrainableConnection() = default;

private:
    size_t registry_index_ = 0;
};

}  // namespace gantry::proxy
