#pragma once

// ClientConnection: one HTTP/2 connection from gantry to an upstream endpoint (h2 with prior
// knowledge over TCP, or over TLS with ALPN "h2" for a cluster with `tls:`). It multiplexes the
// requests of many streams of the same worker: each request is a stream whose events go to a
// ClientStreamSink (the UpstreamExchange of one UpstreamRequest). It respects the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS (a full connection takes no new stream; the pool opens another)
// and stops taking streams after a GOAWAY; streams the peer did not process (above the GOAWAY's
// last stream id, or REFUSED_STREAM) are reported as refused so the request may be retried.
// Response DATA is given back to the peer's window only as the sink consumes it.
//
// Owned by shared_ptrs: its own read loop (while open) and the exchanges using it; the endpoint's
// upstream::ConnectionPool (in the worker's Cluster) keeps a weak reference. Touched only by its
// worker's thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/net/transport.h>
#include <gantry/runtime/async_event.h>
#include <gantry/tls/client_context.h>
#include <gantry/upstream/multiplexed_connection.h>

struct nghttp2_session;

namespace gantry::http2 {

// Receives the events of one client stream (all on the worker thread, from inside the session).
class ClientStreamSink {
public:
    virtual ~ClientStreamSink() = default;
    // A header block begins: response head (final or interim) or trailers.
    virtual void on_response_field(std::string_view name, std::string_view value) = 0;
    virtual void on_response_headers_end(bool end_stream) = 0;
    virtual void on_response_data(std::string_view data) = 0;
    virtual void on_response_end() = 0;
    // The stream is gone. `refused`: the peer never processed it (safe to retry);
    // `connection_lost`: the whole connection closed (EOF, a reset, an error) under it, as
    // opposed to the peer resetting this stream.
    virtual void on_stream_closed(uint32_t error_code, bool refused, bool connection_lost) = 0;
    // The request body source (nghttp2 data provider semantics: bytes, 0 + EOF flag, or
    // NGHTTP2_ERR_DEFERRED).
    virtual long read_request_body(uint8_t* buffer, size_t length, uint32_t* data_flags) = 0;
};

class ClientConnection final : public upstream::MultiplexedConnection,
                               public std::enable_shared_from_this<ClientConnection> {
public:
    // `tls`: the cluster's TLS context (null for plain TCP), used only during connect() (the SSL
    // object then holds its SSL_CTX); `host`: the endpoint's configured host, for SNI and the
    // name check; `session`: the endpoint's TLS session slot (the pool's), offered for
    // resumption and refreshed by this connection's tickets.
    ClientConnection(boost::asio::io_context& io_context, boost::asio::ip::tcp::endpoint endpoint,
                     std::chrono::milliseconds idle_timeout,
                     const tls::ClientContext* tls = nullptr, std::string host = {},
                     std::shared_ptr<tls::SessionSlot> session = {});
    ~ClientConnection() override;

    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    // Connects (and with TLS handshakes, requiring ALPN "h2") within `timeout` (0: none) and
    // starts the session (sends the preface and SETTINGS).
    boost::asio::awaitable<boost::system::error_code> connect(
        std::chrono::milliseconds timeout = {});

    const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }

    // Whether a new stream may be opened now (connected, no GOAWAY, under the peer's limit).
    bool can_open_stream() const override;

    bool is_open() const override { return is_connected_ && !is_closed_; }

    // Opens a stream; returns its id, or a negative value when the session refused.
    int32_t submit_request(const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                           bool has_body, ClientStreamSink* sink);
    void resume_body(int32_t stream_id);
    // The sink handed `bytes` of response DATA on: give them back to the peer's windows.
    void consume(int32_t stream_id, size_t bytes);
    void reset_stream(int32_t stream_id, uint32_t error_code);
    // Request trailers, from inside read_request_body when the body ends.
    void submit_trailers(int32_t stream_id,
                         const std::vector<std::pair<std::string_view, std::string_view>>& fields);
    // The sink is going away; no more events for it.
    void detach(int32_t stream_id);
    // Closes the connection (after a request timed out on it, or a fatal error).
    void close();

    // --- nghttp2 callbacks -------------------------------------------------------------
    int on_header(int32_t stream_id, std::string_view name, std::string_view value);
    int on_frame_recv(int32_t stream_id, uint8_t type, uint8_t flags, int32_t last_stream_id);
    int on_data_chunk(int32_t stream_id, std::string_view data);
    int on_stream_close(int32_t stream_id, uint32_t error_code);
    long read_body(int32_t stream_id, uint8_t* buffer, size_t length, uint32_t* data_flags);

private:
    boost::asio::awaitable<void> read_loop();
    boost::asio::awaitable<void> write_loop();
    void send();
    void schedule_send();
    ClientStreamSink* sink(int32_t stream_id);
    boost::asio::awaitable<boost::system::error_code> connect_and_handshake();
    boost::asio::awaitable<boost::system::error_code> handshake();

    boost::asio::io_context& io_context_;
    boost::asio::ip::tcp::endpoint endpoint_;
    std::chrono::milliseconds idle_timeout_;
    const tls::ClientContext* tls_;  // null once connect() has returned
    std::string host_;
    // Shared with the endpoint's pool, so this connection resumes the session of an earlier one
    // (either protocol) and may outlive the cluster (reload).
    std::shared_ptr<tls::SessionSlot> session_slot_;
    net::Transport transport_;
    nghttp2_session* session_ = nullptr;
    std::unordered_map<int32_t, ClientStreamSink*> sinks_;
    std::string input_;
    std::string output_;
    size_t output_sent_ = 0;
    boost::asio::steady_timer idle_timer_;
    bool is_connected_ = false;
    bool is_closed_ = false;
    bool is_writing_ = false;
    bool is_send_posted_ = false;
    bool in_session_ = false;
    bool is_going_away_ = false;
    int32_t goaway_last_stream_id_ = INT32_MAX;
};

}  // namespace gantry::http2
