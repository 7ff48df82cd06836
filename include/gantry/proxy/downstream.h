#pragma once

// Downstream: the client side of a Stream, as the filter chain and the router see it. An HTTP/1.1
// connection (DownstreamConnection) is one; an HTTP/2 stream on a multiplexed connection is
// another. Everything the request path needs from the client goes through here, so filters and
// the router do not know which protocol (or whether TLS) carries the request. Touched only by
// its worker's thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <gantry/http/http1_serializer.h>
#include <gantry/http/message.h>
#include <gantry/runtime/byte_buffer.h>

namespace gantry::proxy {
class ProxyWorker;
}  // namespace gantry::proxy

namespace gantry::tls {
struct ConnectionInfo;
}  // namespace gantry::tls

namespace gantry::proxy {

class Downstream {
public:
    Downstream(proxy::ProxyWorker& worker, std::string listener_name)
        : worker_(worker)
        , listener_name_(std::move(listener_name)) {}

    virtual ~Downstream() = default;

    Downstream(const Downstream&) = delete;
    Downstream& operator=(const Downstream&) = delete;

    proxy::ProxyWorker& worker() { return worker_; }

    const std::string& listener_name() const { return listener_name_; }

    const std::string& remote_ip() const { return remote_ip_; }

    uint16_t remote_port() const { return remote_port_; }

    // "https" when the client spoke TLS to us, else "http" (X-Forwarded-Proto, redirects).
    std::string_view scheme() const { return is_tls_ ? "https" : "http"; }

    bool is_tls() const { return is_tls_; }

    // What the TLS handshake negotiated (SNI, version, client certificate); null without TLS.
    const tls::ConnectionInfo* tls_info() const { return tls_info_; }

    // Keeps the client side (and so the stream it owns) alive while a coroutine still uses it.
    virtual std::shared_ptr<void> hold() = 0;

    // --- Response path ------------------------------------------------------------------
    // Writes a response head framed for this client; returns the framing chosen for the body.
    // `request_method` decides HEAD semantics.
    virtual http::BodyFraming write_response_head(http::ResponseHead& head,
                                                  std::string_view request_method,
                                                  bool end_stream) = 0;
    virtual void write_response_body(std::string_view data, bool end_stream) = 0;
    virtual void write_response_trailers(const http::HeaderMap& trailers) = 0;
    // An interim "100 Continue" for a client that sent Expect: 100-continue.
    virtual void write_continue() = 0;
    // Sends whatever the response path has queued (a head waiting for its body).
    virtual void flush_output() = 0;
    virtual bool is_output_congested() const = 0;
    // Waits until every queued byte has reached the client (or the client side broke).
    virtual boost::asio::awaitable<void> wait_output_drained() = 0;
    virtual bool is_broken() const = 0;

    // Request-body flow control and stream progress, signalled by the Stream.
    virtual void notify_stream() = 0;
    // Whether the client connection may stay open after this response (HTTP/1.1 keep-alive).
    virtual void set_keep_alive(bool keep_alive) = 0;

    // --- Upgraded tunnels (HTTP/1.1 Upgrade, after a 101) --------------------------------
    // Bytes the client sent after the upgrade request, already read.
    virtual runtime::ByteBuffer& tunnel_input() = 0;
    virtual boost::asio::awaitable<std::tuple<boost::system::error_code, size_t>> tunnel_read_some(
        boost::asio::mutable_buffer buffer) = 0;
    virtual void tunnel_write(std::string_view bytes) = 0;
    // Both directions are done: close the client side of the tunnel.
    virtual void tunnel_close() = 0;

protected:
    proxy::ProxyWorker& worker_;
    std::string listener_name_;
    std::string remote_ip_;
    uint16_t remote_port_ = 0;
    bool is_tls_ = false;
    const tls::ConnectionInfo* tls_info_ = nullptr;  // owned by the connection
};

}  // namespace gantry::proxy
