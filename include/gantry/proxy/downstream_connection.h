#pragma once

// DownstreamConnection: one client connection speaking HTTP/1.1, over TCP or TLS. It owns the
// transport (socket and TLS session), the read buffer, the request parser, the output buffers and
// the current Stream; it reads requests one at a time (pipelined ones wait in the read buffer and
// are answered in order), frames responses and handles keep-alive, timeouts and drain. A
// plain-TCP HTTP/1.1-only listener makes one straight at accept; on other listeners a
// server::ConnectionBootstrap does the TLS handshake and the protocol choice first and hands the
// transport over. Owned by shared_ptrs held by its own coroutines (and an in-flight upstream
// request); touched only by its worker's thread. Its life-cycle phase is one State (waiting for
// a request, reading a head, serving, idle, parked, closing, closed): the phases and the
// transitions between them are in gantry/proxy/downstream_connection_state.h.

#include <cassert>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/http/http1_parser.h>
#include <gantry/http/http1_serializer.h>
#include <gantry/net/transport.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/downstream_connection_state.h>
#include <gantry/proxy/drainable_connection.h>
#include <gantry/runtime/async_event.h>
#include <gantry/runtime/byte_buffer.h>
#include <gantry/runtime/deadline_queue.h>

namespace gantry::config {
struct ListenerRuntime;
}  // namespace gantry::config

namespace gantry::tls {
struct ServerSession;
}  // namespace gantry::tls

namespace gantry::proxy {

class Stream;

class DownstreamConnection final : public Downstream,
                                   public DrainableConnection,
                                   public std::enable_shared_from_this<DownstreamConnection>,
                                   private runtime::DeadlineQueue::Entry {
public:
    // Accepted by a plain-TCP HTTP/1.1-only listener; enters the drain registry.
    DownstreamConnection(proxy::ProxyWorker& worker, std::string listener_name,
                         boost::asio::ip::tcp::socket socket);
    // Handed over by a server::ConnectionBootstrap that chose HTTP/1.1: the transport (a
    // non-blocking socket, with its SSL after a handshake), what the handshake left (null for
    // plain TCP) and the parser limits of the listener as it was at accept. The bootstrap hands
    // its place in the drain registry over (server::Worker::replace_connection).
    DownstreamConnection(proxy::ProxyWorker& worker, std::string listener_name,
                         net::Transport transport, std::unique_ptr<tls::ServerSession> tls,
                         const http::Http1Limits& parser_limits);
    ~DownstreamConnection() override;

    // Accepted here: takes the listener's limits and waits for the first request.
    void start();
    // Handed over (the constructor above), the first request not read yet: waits for it.
    void start_first_request();
    // Handed over with the first bytes already read (the bootstrap sniffed them for the HTTP/2
    // preface) into `input`, a buffer from the worker's pool: serves the first request from it.
    // `is_readable_hint`: the last read filled the buffer (more may be waiting).
    void start_with_input(runtime::ByteBuffer input, bool is_readable_hint);
    // Handed over after the wait for the first bytes failed (header_timeout): closes as an idle
    // connection does (lingering close).
    void start_close();

    // --- DrainableConnection ------------------------------------------------------------
    // Close when idle; the in-flight response (if any) ends the connection.
    void begin_drain() override;
    // Close now (drain timeout); an in-flight stream is aborted.
    void abort() override;

    const std::string& listener_name() const override { return listener_name_; }

    boost::asio::ip::tcp::endpoint local_endpoint(boost::system::error_code& ec) override {
        return transport_.socket().local_endpoint(ec);
    }

    // --- Downstream ---------------------------------------------------------------------
    std::shared_ptr<void> hold() override { return shared_from_this(); }

    // Adds the Connection header keep-alive needs.
    http::BodyFraming write_response_head(http::ResponseHead& head, std::string_view request_method,
                                          bool end_stream) override;
    void write_response_body(std::string_view data, bool end_stream) override;
    void write_response_trailers(const http::HeaderMap& trailers) override;
    void write_continue() override;

    void flush_output() override { flush(); }

    bool is_output_congested() const override;
    boost::asio::awaitable<void> wait_output_drained() override;

    bool is_broken() const override { return is_broken_; }

    void notify_stream() override;

    void set_keep_alive(bool keep_alive) override { keep_alive_ = keep_alive && !is_draining_; }

    runtime::ByteBuffer& tunnel_input() override { return input_; }

    boost::asio::awaitable<std::tuple<boost::system::error_code, size_t>> tunnel_read_some(
        boost::asio::mutable_buffer buffer) override;

    void tunnel_write(std::string_view bytes) override { write_raw(bytes); }

    void tunnel_close() override;

    // -------------------------------------------------------------------------------------
    bool is_draining() const { return is_draining_; }

    // Whether the client connection stays open after the current response.
    bool will_keep_alive() const { return keep_alive_; }

private:
    using State = DownstreamConnectionState;

    // The one place the phase changes (debug builds check the table of allowed transitions).
    void enter(State next) {
        assert(is_allowed_transition(state_, next));
        state_ = next;
    }

    // Idle between requests over plain TCP, in run(): may be parked (see park()).
    bool can_park() const { return state_ == State::Idle && !transport_.is_tls(); }

    enum class RunFrom : uint8_t {
        Accept,        // accepted here: take the listener's limits, wait for the first request
        FirstRequest,  // handed over: wait for the first request
        NextRequest,   // unparked (socket readable) or handed over with bytes: serve a request
        Close,         // the caller entered Closing: close as an idle connection does
    };
    void spawn_run(RunFrom from);
    void read_peer();  // remote_ip_ and remote_port_
    // `self` keeps the connection alive for as long as this coroutine (its frame) lives.
    boost::asio::awaitable<void> run(std::shared_ptr<DownstreamConnection> self, RunFrom from);
    boost::asio::awaitable<bool> serve_one_request();
    boost::asio::awaitable<bool> read_request_body(Stream& stream);
    boost::asio::awaitable<boost::system::error_code> read_more();
    // Around the wait for the next request's first bytes (when none are buffered): begin_idle
    // releases the buffers, arms header_timeout (first request) or idle_timeout and enters
    // AwaitingFirstRequest or Idle; false: the connection ends instead. end_idle: whether to
    // read the request (then it entered ReadingHead).
    bool begin_idle();
    bool end_idle(boost::system::error_code ec);
    // Parking: a plain-TCP connection idle between requests for a while leaves run() (freeing
    // its coroutine frames and the awaitable wait) and waits with a plain callback instead,
    // which spawns run() again. park(): after the wait was cancelled for it; false: go on.
    bool park(boost::system::error_code ec);
    void on_parked_readable(boost::system::error_code ec);
    boost::asio::awaitable<void> write_loop();
    boost::asio::awaitable<void> lingering_close();
    // Writes raw bytes (interim 100 Continue, tunnelled bytes).
    void write_raw(std::string_view bytes);
    void reply_and_close(int status, const char* reason);
    void flush();
    void on_write_error();
    void arm_deadline(std::chrono::milliseconds timeout);
    std::chrono::steady_clock::time_point next_wake(
        std::chrono::steady_clock::time_point now) const;
    void wait_deadline(std::chrono::steady_clock::time_point wake);
    void on_deadline(boost::system::error_code ec);
    // A parked connection's idle timeout, from the worker's queue of idle deadlines.
    void on_deadline() noexcept override;
    void close_socket();
    void release_idle_buffers();
    void take_request_objects();
    const config::ListenerRuntime* listener();

    uint64_t listener_generation_ = 0;
    http::Http1Limits parser_limits_;
    const config::ListenerRuntime* listener_ = nullptr;
    net::Transport transport_;
    // What the TLS handshake left (null for plain TCP); tls_info_ points into it.
    std::unique_ptr<tls::ServerSession> tls_;
    runtime::ByteBuffer input_;
    // Held while a request runs and given back to the worker while the connection idles.
    // The stream (and its arena) outlives the parser, whose heads live in that arena.
    std::unique_ptr<Stream> stream_;
    std::unique_ptr<http::Http1Parser> parser_;
    runtime::AsyncEvent stream_event_;

    std::string pending_output_;  // appended by the response path
    std::string writing_output_;  // owned by write_loop while a write is in flight
    runtime::AsyncEvent drained_event_;

    // On the io_context's own executor type: a smaller object than any_io_executor's timer.
    boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                      boost::asio::wait_traits<std::chrono::steady_clock>,
                                      boost::asio::io_context::executor_type>
        deadline_timer_;
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
    // (The small members sit together, after the larger ones, so the object has no padding
    // holes.)
    State state_ = State::New;  // changed only by enter()
    http::BodyFraming response_framing_ = http::BodyFraming::None;
    uint8_t idle_ticks_ = 0;  // deadline ticks of the current Idle phase
    // Not phases: each of these can be true in several phases, so they are flags beside state_.
    bool is_writing_ = false;  // write_loop has bytes in flight (Serving, Idle, Closing, Closed)
    bool is_deadline_armed_ = false;  // a wait of deadline_timer_ is pending (any phase)
    bool is_timed_out_ = false;  // deadline_ passed since the last arm_deadline (any waiting phase)
    // The client connection stays open after the current response; set per request, cleared by
    // the response framing, errors, drain and close.
    bool keep_alive_ = true;
    bool is_broken_ = false;    // a write failed; stays so until the end (Serving onwards)
    bool is_draining_ = false;  // begin_drain() was called (any phase)
    // The socket just reported readable or the last read filled the buffer: read before waiting
    // (handed over, end of a wait, between pipelined requests).
    bool is_readable_hint_ = false;
    // The last wait between requests was short: read, do not wait. Kept from one Idle phase to
    // the next; only ever set on a connection that can park.
    bool is_busy_ = false;
};

}  // namespace gantry::proxy
