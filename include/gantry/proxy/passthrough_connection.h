#pragma once

// PassthroughConnection: one client connection on a `mode: tls_passthrough` listener. It reads
// the client's ClientHello without terminating TLS (bounded in bytes and by the listener's
// header_timeout), picks the cluster its SNI names in `sni_routes` (or `default_cluster`),
// connects to an endpoint chosen by that cluster's load balancer, replays the bytes it read and
// then splices the two TCP streams until both directions have ended. Created by a Listener;
// owned by shared_ptrs held by its own coroutines; touched only by its worker's thread.

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gantry::config {
struct ListenerRuntime;
}  // namespace gantry::config

namespace gantry::proxy {
class ProxyWorker;
}  // namespace gantry::proxy

namespace gantry::proxy {

class PassthroughConnection : public std::enable_shared_from_this<PassthroughConnection> {
public:
    PassthroughConnection(proxy::ProxyWorker& worker, std::string listener_name,
                          boost::asio::ip::tcp::socket socket);

    void start();

private:
    boost::asio::awaitable<void> run();
    // Reads until the ClientHello is whole; false for anything else or on timeout.
    boost::asio::awaitable<bool> read_client_hello(std::string& server_name);
    // The cluster for `server_name`, or null when the connection is to be closed.
    const std::string* route(const config::ListenerRuntime& listener,
                             const std::string& server_name) const;
    boost::asio::awaitable<bool> connect(const boost::asio::ip::tcp::endpoint& endpoint,
                                         std::chrono::milliseconds timeout);
    boost::asio::awaitable<void> pump(boost::asio::ip::tcp::socket& from,
                                      boost::asio::ip::tcp::socket& to);
    void arm_timer(std::chrono::milliseconds timeout);
    void close();

    proxy::ProxyWorker& worker_;
    std::string listener_name_;
    boost::asio::ip::tcp::socket client_;
    boost::asio::ip::tcp::socket upstream_;
    boost::asio::steady_timer timer_;  // bounds the ClientHello and the connect
    std::string hello_;                // bytes read before deciding; replayed upstream
    bool is_timed_out_ = false;
};

}  // namespace gantry::proxy
