#pragma once

// ServerStream: one request stream of an HTTP/2 connection, as the proxy sees its client. It is
// the proxy::Downstream of a proxy::Stream: it builds the RequestHead from the header block,
// delivers request DATA with flow control tied to the router (the stream window is given back
// only as the router takes the body, so a slow upstream slows the client), and turns the response
// head, body and trailers into HEADERS, DATA and trailing HEADERS frames through an nghttp2 data
// source that reads from a bounded per-stream queue. Tunnels (CONNECT, extended CONNECT, Upgrade)
// are not carried over HTTP/2.
// Made by its ServerConnection (which keeps it in its stream map) when the client opens a stream;
// shared_ptr-owned so that an upstream coroutine can hold it (hold()). Touched only by the
// connection's worker thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gantry/http2/request_head_builder.h>
#include <gantry/proxy/downstream.h>
#include <gantry/runtime/async_event.h>

namespace gantry::proxy {
class Stream;
}  // namespace gantry::proxy

namespace gantry::http2 {

class ServerConnection;

class ServerStream final : public proxy::Downstream,
                           public std::enable_shared_from_this<ServerStream> {
public:
    ServerStream(std::shared_ptr<ServerConnection> connection, int32_t id);
    ~ServerStream() override;

    int32_t id() const { return id_; }

    // --- Events from the connection (nghttp2 callbacks) ---------------------------------
    // Returns false when the stream could not start (the listener went away).
    bool begin(const RequestLimits& limits);
    void begin_trailers();
    void on_header(std::string_view name, std::string_view value);
    // The header block ended; `end_stream` when it also ended the request.
    void on_headers_end(bool end_stream);
    void on_data(std::string_view data);
    void on_end_stream();
    // nghttp2 closed the stream (both sides done, or a reset either way).
    void on_closed(uint32_t error_code);
    // The transport is gone: no more frames either way.
    void on_connection_closed();

    // The connection's output went below its watermark: a waiting upstream may go on.
    void on_connection_drained() { drained_.set(); }

    // The tick: give back window for body the router took, reset a stream the proxy aborted,
    // run a deferred upstream request. Returns true when the stream may be erased.
    bool process();

    bool is_response_ended() const { return is_response_ended_; }

    bool is_request_ended() const { return is_request_ended_; }

    bool is_closed() const { return is_closed_; }

    bool is_marked() const { return is_marked_; }

    void set_marked(bool marked) { is_marked_ = marked; }

    // The data source of the response body (called by nghttp2 while serializing).
    ssize_t read_body(uint8_t* buffer, size_t length, uint32_t* data_flags);

    // --- proxy::Downstream --------------------------------------------------------------
    std::shared_ptr<void> hold() override { return shared_from_this(); }

    http::BodyFraming write_response_head(http::ResponseHead& head, std::string_view request_method,
                                          bool end_stream) override;
    void write_response_body(std::string_view data, bool end_stream) override;
    void write_response_trailers(const http::HeaderMap& trailers) override;
    void write_continue() override;
    void flush_output() override;
    bool is_output_congested() const override;
    boost::asio::awaitable<void> wait_output_drained() override;
    bool is_broken() const override;
    void notify_stream() override;

    void set_keep_alive(bool) override {}

    runtime::ByteBuffer& tunnel_input() override { return no_tunnel_input_; }

    boost::asio::awaitable<std::tuple<boost::system::error_code, size_t>> tunnel_read_some(
        boost::asio::mutable_buffer buffer) override;

    void tunnel_write(std::string_view) override {}

    void tunnel_close() override {}

private:
    void reject_request(HeadError error);
    void start_request();
    void submit_trailers();
    void finish_proxy_stream();
    void reset(uint32_t error_code);

    std::shared_ptr<ServerConnection> connection_;
    int32_t id_;
    std::unique_ptr<proxy::Stream> stream_;
    http::RequestHead* head_ = nullptr;
    http::HeaderMap* trailers_ = nullptr;
    RequestHeadBuilder builder_;
    RequestLimits limits_;
    uint64_t body_received_ = 0;
    uint64_t unconsumed_ = 0;  // request bytes not yet given back to the stream window

    std::string body_;  // response body queued for DATA frames
    size_t body_sent_ = 0;
    // Response trailers, copied: they go out after the proxy stream (and its arena) may be gone.
    std::vector<std::string> trailer_fields_;  // name, value, name, value, ...
    bool has_trailers_ = false;
    runtime::AsyncEvent drained_;
    runtime::ByteBuffer no_tunnel_input_;
    char status_text_[4] = {};

    bool is_started_ = false;  // a proxy::Stream is running
    bool is_head_delivered_ = false;
    bool in_trailers_ = false;
    bool is_request_ended_ = false;
    bool is_response_submitted_ = false;
    bool is_response_ended_ = false;  // the last byte of the response was queued
    bool is_body_allowed_ = true;
    bool is_deferred_ = false;  // the data source waits for bytes
    bool is_closed_ = false;
    bool is_reset_sent_ = false;
    bool is_marked_ = false;
};

}  // namespace gantry::http2
