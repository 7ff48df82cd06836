#pragma once

// ConnectionPool: the connections to one endpoint, owned by one worker's Cluster and touched only
// by that worker's thread. Idle HTTP/1.1 keep-alive connections are reused last-in first-out (the
// warmest socket first); a liveness peek drops ones the peer closed while idle, and a periodic
// sweep closes those idle longer than the pool's idle_timeout. Multiplexed (HTTP/2) connections
// are shared by requests rather than leased: the pool keeps weak references and hands out one
// with room for another stream.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include <gantry/http/http1_parser.h>
#include <gantry/net/transport.h>
#include <gantry/tls/client_context.h>
#include <gantry/upstream/multiplexed_connection.h>

namespace gantry::upstream {

struct UpstreamConnection {
    explicit UpstreamConnection(const boost::asio::any_io_executor& executor)
        : transport(boost::asio::ip::tcp::socket(executor)) {}

    // Reads and writes go through the transport (TLS when the cluster has `tls:`); the socket
    // alias serves the calls that are the same either way (connect, options, close).
    net::Transport transport;
    boost::asio::ip::tcp::socket& socket = transport.socket();
    std::chrono::steady_clock::time_point idle_since;
    uint32_t requests = 0;  // requests this connection has carried
    // Made on first use and kept with the connection, so a reused connection parses its next
    // response without allocating.
    std::unique_ptr<http::Http1Parser> parser;
};

class ConnectionPool {
public:
    ConnectionPool(uint32_t max_idle, std::chrono::milliseconds idle_timeout)
        : max_idle_(max_idle)
        , idle_timeout_(idle_timeout) {}

    // A live idle connection, or null when none is left.
    std::unique_ptr<UpstreamConnection> lease();

    // Keeps `connection` for reuse, or closes it when the pool is full.
    void release(std::unique_ptr<UpstreamConnection> connection);

    // Closes connections idle since before `now - idle_timeout`.
    void sweep(std::chrono::steady_clock::time_point now);

    // Closes every idle connection (drain, cluster removed).
    void clear();

    // Takes `other`'s idle connections (up to this pool's limit; the rest are closed): the same
    // endpoint in a cluster rebuilt by a reload or a DNS change keeps its warm connections.
    void take_from(ConnectionPool& other);

    size_t idle_count() const { return idle_.size(); }

    // A multiplexed connection that takes one more request now, or null (the caller connects
    // a new one and adds it). Closed and destroyed connections are dropped on the way.
    std::shared_ptr<MultiplexedConnection> find_multiplexed();
    void add_multiplexed(const std::shared_ptr<MultiplexedConnection>& connection);

    size_t multiplexed_count() const { return multiplexed_.size(); }

    // Upstream TLS: the endpoint's last resumable session, offered by the next handshake of
    // either protocol (HTTP/1.1 connections and HTTP/2 ones alike).
    const std::shared_ptr<tls::SessionSlot>& tls_session() const { return tls_session_; }

private:
    std::shared_ptr<tls::SessionSlot> tls_session_ = std::make_shared<tls::SessionSlot>();
    uint32_t max_idle_;
    std::chrono::milliseconds idle_timeout_;
    std::vector<std::unique_ptr<UpstreamConnection>> idle_;
    std::vector<std::weak_ptr<MultiplexedConnection>> multiplexed_;
};

}  // namespace gantry::upstream
