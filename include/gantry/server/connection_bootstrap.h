#pragma once

// ConnectionBootstrap: a client connection from its accept until its protocol is known, on a
// listener with TLS or with http2 (a plain-TCP HTTP/1.1-only listener makes its
// proxy::DownstreamConnection straight at accept, with no bootstrap). It does the TLS handshake
// (bounded by handshake_timeout; a failure counts in the listener's metrics) and chooses the
// protocol: ALPN over TLS; on plain TCP, the 24-byte HTTP/2 connection preface sniffed from the
// first bytes (waited for under header_timeout) when the listener serves both, and always HTTP/2
// on an http2-only listener. It then makes the proxy::DownstreamConnection or the
// http2::ServerConnection, hands it the transport, the TLS session and the bytes already read,
// and gives it its place in the drain registry: until then the bootstrap is in the registry
// itself, so a drain or a reload reaches the client in every phase. Owned by its coroutine and
// its timer's handler; touched only by its worker's thread.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/config.h>
#include <gantry/http/http1_parser.h>
#include <gantry/net/transport.h>
#include <gantry/proxy/drainable_connection.h>
#include <gantry/runtime/byte_buffer.h>

namespace gantry::config {
struct ListenerRuntime;
}  // namespace gantry::config

namespace gantry::tls {
class ServerContext;
struct ServerSession;
}  // namespace gantry::tls

namespace gantry::server {

class Worker;

// --- The choice itself (pure) -----------------------------------------------------------------

// Whether connections of `listener` need a bootstrap (TLS, or HTTP/2 to choose).
bool needs_bootstrap(const config::ListenerConfig& listener);

// After a TLS handshake: whether the connection speaks HTTP/2. ALPN offers only what the
// listener serves (tls::ServerContext::build); a client that negotiated nothing on an
// http2-only listener gets HTTP/2 too (prior knowledge).
bool is_h2_negotiated(std::string_view alpn, const config::ListenerConfig& listener);

enum class PrefaceMatch : uint8_t {
    NeedMore,  // a strict prefix of the preface: read more
    Http2,     // starts with the whole preface
    Http1,     // anything else (no HTTP/1.1 request line can start with the preface: "PRI" is
               // reserved for exactly this)
};
PrefaceMatch match_http2_preface(std::string_view first_bytes);

// --- The connection ---------------------------------------------------------------------------

class ConnectionBootstrap final : public proxy::DrainableConnection,
                                  public std::enable_shared_from_this<ConnectionBootstrap> {
public:
    // Worker thread: takes the accepted socket and enters the drain registry.
    ConnectionBootstrap(Worker& worker, std::string listener_name,
                        boost::asio::ip::tcp::socket socket);
    ~ConnectionBootstrap();

    ConnectionBootstrap(const ConnectionBootstrap&) = delete;
    ConnectionBootstrap& operator=(const ConnectionBootstrap&) = delete;

    // `listener`: the connection's listener in the worker's current generation.
    void start(const config::ListenerRuntime& listener);

    // --- proxy::DrainableConnection -----------------------------------------------------
    // While waiting for the first bytes: close now. Otherwise the connection the bootstrap
    // hands over to starts draining.
    void begin_drain() override;
    void abort() override;

    const std::string& listener_name() const override { return listener_name_; }

    boost::asio::ip::tcp::endpoint local_endpoint(boost::system::error_code& ec) override {
        return transport_.socket().local_endpoint(ec);
    }

private:
    boost::asio::awaitable<void> run(std::shared_ptr<ConnectionBootstrap> self,
                                     std::shared_ptr<const tls::ServerContext> tls,
                                     std::chrono::milliseconds header_timeout);
    boost::asio::awaitable<bool> handshake(std::shared_ptr<const tls::ServerContext> context);
    // Plain TCP: waits for the first bytes (header_timeout), sniffs them and hands over.
    boost::asio::awaitable<void> select_plain(std::chrono::milliseconds header_timeout);
    // Reads until the bytes read are told apart from the preface (or a read fails).
    boost::asio::awaitable<PrefaceMatch> sniff_preface(bool& is_readable_hint);
    void count_handshake_failure();
    std::string remote_address();
    const config::ListenerRuntime* current_listener() const;

    enum class Http1Start : uint8_t { FirstRequest, WithInput, Close };
    void hand_over_http1(Http1Start start, bool is_readable_hint = false);
    void hand_over_http2(const config::ListenerRuntime& listener);
    void hand_over(proxy::DrainableConnection& successor);

    void arm_timer(std::chrono::milliseconds timeout);
    void close();

    Worker& worker_;
    std::string listener_name_;
    net::Transport transport_;
    runtime::ByteBuffer input_;                // the first bytes, on plain TCP
    std::unique_ptr<tls::ServerSession> tls_;  // what the handshake left
    http::Http1Limits parser_limits_;          // the listener's, as it was at accept
    boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                      boost::asio::wait_traits<std::chrono::steady_clock>,
                                      boost::asio::io_context::executor_type>
        timer_;  // handshake_timeout, then header_timeout
    bool is_timed_out_ = false;
    bool is_idle_ = false;      // waiting for the first bytes: a drain closes at once
    bool is_draining_ = false;  // passed on to the connection handed over to
    bool is_closed_ = false;    // closed, or the transport was handed over
};

}  // namespace gantry::server
