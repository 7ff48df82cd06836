#pragma once

// ServerConnection: one client connection speaking HTTP/2: h2c with prior knowledge, or h2 over
// TLS when ALPN chose "h2". It owns the transport (socket and TLS session), the nghttp2 server
// session, the output buffer and its streams; every request stream is a ServerStream, the
// proxy::Downstream through which the same filter chain and router as HTTP/1.1 answer it.
//
// I/O follows the HTTP/1.1 connection: readiness waits, then non-blocking reads and writes, all
// through net::Transport, so the same code serves plain TCP and TLS. Frames go in through
// nghttp2_session_mem_recv and out through nghttp2_session_mem_send; the stream callbacks only
// queue work, and one posted "tick" per event-loop turn sends what was queued (many streams' frames
// in one write) and finishes the streams that are done. Abusive clients are measured by a
// FloodGuard and cut off with GOAWAY(ENHANCE_YOUR_CALM).
//
// Created by server::ConnectionBootstrap once it chose HTTP/2 (the connection preface sniffed on a
// plain-TCP listener, ALPN "h2" after a TLS handshake, or an http2-only listener), which takes
// over the bootstrap's place in the drain registry and calls start(); owned by shared_ptrs held
// by run(), its timer and its streams. Touched only by its worker's thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/http2/flood_guard.h>
#include <gantry/http2/request_head_builder.h>
#include <gantry/net/transport.h>
#include <gantry/proxy/drainable_connection.h>
#include <gantry/runtime/async_event.h>
#include <gantry/runtime/byte_buffer.h>
#include <gantry/tls/server_session.h>

struct nghttp2_session;

namespace gantry::config {
struct ListenerRuntime;
}  // namespace gantry::config

namespace gantry::proxy {
class ProxyWorker;
}  // namespace gantry::proxy

namespace gantry::http2 {

class ServerStream;

// HTTP/2 settings and budgets gantry applies on every HTTP/2 listener (docs/config.md).
struct ServerSettings {
    uint32_t max_concurrent_streams = 100;
    uint32_t initial_window_size = 256 * 1024;          // per stream, request bodies
    uint32_t connection_window_size = 4 * 1024 * 1024;  // whole connection
    uint32_t max_frame_size = 16384;
    uint32_t header_table_size = 4096;                 // HPACK decoder (our side)
    size_t max_deflate_table_size = 4096;              // HPACK encoder (memory we spend)
    size_t stream_output_high_watermark = 128 * 1024;  // response bytes queued per stream
    size_t output_high_watermark = 256 * 1024;         // serialized frames not yet written
    FloodLimits flood;
};

class ServerConnection final : public proxy::DrainableConnection,
                               public std::enable_shared_from_this<ServerConnection> {
public:
    // `tls`: what the TLS handshake left (null for plain TCP). `already_read`: bytes read while
    // sniffing the preface. Leaves the drain registry when destroyed.
    ServerConnection(proxy::ProxyWorker& worker, std::string listener_name,
                     net::Transport transport, std::unique_ptr<tls::ServerSession> tls,
                     std::string_view already_read, const config::ListenerRuntime& listener,
                     std::string remote_ip, uint16_t remote_port);
    ~ServerConnection();

    ServerConnection(const ServerConnection&) = delete;
    ServerConnection& operator=(const ServerConnection&) = delete;

    // Serves the connection on a coroutine of its own (run()).
    void start();
    // Serves the connection until it closes and every stream has finished.
    boost::asio::awaitable<void> run();

    // --- proxy::DrainableConnection -----------------------------------------------------
    // Graceful: GOAWAY, let open streams finish, then close.
    void begin_drain() override;
    // Now: abort every stream and close.
    void abort() override;

    const std::string& listener_name() const override { return listener_name_; }

    boost::asio::ip::tcp::endpoint local_endpoint(boost::system::error_code& ec) override {
        return transport_.socket().local_endpoint(ec);
    }

    // --- Used by ServerStream -----------------------------------------------------------
    proxy::ProxyWorker& worker() { return worker_; }

    nghttp2_session* session() { return session_; }

    const std::string& remote_ip() const { return remote_ip_; }

    uint16_t remote_port() const { return remote_port_; }

    bool is_tls() const { return transport_.is_tls(); }

    // What the TLS handshake negotiated (null for plain TCP); lives as long as the connection.
    const tls::ConnectionInfo* tls_info() const { return tls_ ? &tls_->info : nullptr; }

    bool is_closed() const { return is_closed_; }

    const config::ListenerRuntime* listener();

    bool is_output_congested() const;

    // Frames were queued in the session: send them on this turn of the event loop.
    void request_send();
    // The stream's state changed (response done, body resumed, upstream ended).
    void mark_stream(ServerStream* stream);

    const ServerSettings& settings() const { return settings_; }

    // --- nghttp2 callbacks (static trampolines in the .cc call these) --------------------
    int on_begin_frame(uint8_t type, uint8_t flags, uint32_t length);
    int on_begin_headers(int32_t stream_id, bool is_trailers);
    int on_header(int32_t stream_id, std::string_view name, std::string_view value);
    int on_frame_recv(int32_t stream_id, uint8_t type, uint8_t flags, uint32_t error_code);
    int on_data_chunk(int32_t stream_id, std::string_view data);
    int on_stream_close(int32_t stream_id, uint32_t error_code);
    int on_frame_send(int32_t stream_id, uint8_t type, uint8_t flags);

private:
    boost::asio::awaitable<void> read_loop();
    boost::asio::awaitable<void> write_loop();
    boost::asio::awaitable<void> timer_loop();
    boost::asio::awaitable<void> linger();
    bool feed(std::string_view bytes);
    void send();
    void fill_output();
    void tick();
    void schedule_tick();
    void finish_stream_if_done(ServerStream& stream);
    void cut_off(const char* reason);
    void update_deadline();
    void close_transport();

    // The only functions that touch the transport.
    size_t read_some(char* destination, size_t space, boost::system::error_code& ec);
    size_t write_some(std::string_view bytes, boost::system::error_code& ec);
    boost::asio::awaitable<boost::system::error_code> wait_readable();
    boost::asio::awaitable<boost::system::error_code> wait_writable();

    proxy::ProxyWorker& worker_;
    std::string listener_name_;
    net::Transport transport_;
    std::unique_ptr<tls::ServerSession> tls_;
    std::string remote_ip_;
    uint16_t remote_port_;
    const config::ListenerRuntime* listener_ = nullptr;
    uint64_t listener_generation_ = 0;
    RequestLimits request_limits_;
    ServerSettings settings_;
    FloodGuard flood_;
    nghttp2_session* session_ = nullptr;

    std::string initial_input_;
    runtime::ByteBuffer input_;
    std::string output_;
    size_t output_sent_ = 0;
    bool is_writing_ = false;
    runtime::AsyncEvent output_drained_;

    std::unordered_map<int32_t, std::shared_ptr<ServerStream>> streams_;
    std::vector<ServerStream*> marked_;
    std::vector<ServerStream*> processing_;
    runtime::AsyncEvent streams_gone_;

    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point deadline_;
    std::chrono::steady_clock::time_point throttle_until_{};
    std::chrono::steady_clock::time_point last_activity_{};
    std::chrono::steady_clock::time_point last_write_progress_{};
    std::chrono::steady_clock::time_point header_block_since_{};
    runtime::AsyncEvent wake_reader_;

    const char* abuse_reason_ = nullptr;
    bool in_session_ = false;  // inside nghttp2_session_mem_recv (callbacks running)
    bool is_tick_posted_ = false;
    bool is_closed_ = false;
    bool is_draining_ = false;
    bool is_lingering_ = false;
    bool is_in_header_block_ = false;  // HEADERS seen, END_HEADERS not yet
    bool has_received_preface_ = false;
};

}  // namespace gantry::http2
