#pragma once

// UpstreamExchange: one forwarded request carried over HTTP/2 to an upstream (a cluster with
// `protocol: http2`). It takes a stream on a pooled multiplexed ClientConnection of the chosen
// endpoint (connecting a new one when none has room), sends the request head and streams the
// body from the UpstreamRequest's bounded queue, and relays the response head, DATA and trailers
// (gRPC's grpc-status) to the proxy stream with backpressure both ways. A stream the upstream
// refused (GOAWAY, REFUSED_STREAM) before answering is retried once on another connection when
// the whole request body is still at hand. Timeouts, aborts and failures use the
// UpstreamRequest's own deadlines and error mapping (it is a friend).
// Lives in the frame of UpstreamRequest::run() on the stream's worker thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include <gantry/http/message.h>
#include <gantry/http2/client_connection.h>

namespace gantry::proxy {
class UpstreamRequest;
}  // namespace gantry::proxy

namespace gantry::http2 {

class UpstreamExchange final : public ClientStreamSink {
public:
    explicit UpstreamExchange(proxy::UpstreamRequest& request) : request_(request) {}

    ~UpstreamExchange() override;

    // How a try ended. Over: answered, failed (already reported) or aborted; NoConnection and
    // NoResponse: nothing reached the client, so UpstreamRequest::run() may retry the request
    // under the route's policy (a retriable status is claimed here and also ends Over, with
    // the retry pending).
    enum class End : uint8_t { Over, Refused, NoConnection, NoResponse };

    // Runs one try of the request (plus one more on another connection when the upstream
    // refused the stream unprocessed).
    boost::asio::awaitable<End> run();

    // --- ClientStreamSink ---------------------------------------------------------------
    void on_response_field(std::string_view name, std::string_view value) override;
    void on_response_headers_end(bool end_stream) override;
    void on_response_data(std::string_view data) override;
    void on_response_end() override;
    void on_stream_closed(uint32_t error_code, bool refused, bool connection_lost) override;
    long read_request_body(uint8_t* buffer, size_t length, uint32_t* data_flags) override;

private:
    boost::asio::awaitable<End> try_once();
    boost::asio::awaitable<bool> acquire_connection();
    std::vector<std::pair<std::string_view, std::string_view>> request_fields();
    void pump_request_body();
    boost::asio::awaitable<void> deliver_response();
    void release_stream();
    void reset_attempt();

    proxy::UpstreamRequest& request_;
    std::shared_ptr<ClientConnection> connection_;
    int32_t stream_id_ = -1;

    // Request body waiting for DATA frames; kept whole (for a retry) until it grows large.
    std::string body_;
    size_t body_offset_ = 0;
    bool is_body_trimmed_ = false;
    bool is_body_deferred_ = false;

    // Response state, filled by the callbacks and handed on by deliver_response().
    http::ResponseHead* head_ = nullptr;
    http::HeaderMap* trailers_ = nullptr;
    bool in_trailers_ = false;
    bool is_head_ready_ = false;
    bool is_head_delivered_ = false;
    bool is_head_end_stream_ = false;
    bool is_trailers_ready_ = false;
    bool is_response_end_ = false;
    bool is_end_delivered_ = false;
    bool is_invalid_ = false;
    std::string pending_;
    std::string delivering_;
    bool is_closed_ = false;
    bool is_refused_ = false;
    bool is_connection_lost_ = false;
    uint32_t close_code_ = 0;
};

}  // namespace gantry::http2
