#pragma once

// UpstreamRequest: one try of a forwarded request against one endpoint of a cluster. It leases
// (or opens) an upstream connection, writes the request head and streams the request body from a
// bounded queue, reads and validates the response and feeds it back to the stream, and tunnels an
// accepted upgrade. Made by the RouterFilter in the stream's arena; runs as one coroutine on the
// stream's worker thread, and the stream is not finished before that coroutine ends.

#include <chrono>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/error.h>
#include <gantry/http/headers.h>
#include <gantry/runtime/async_event.h>
#include <gantry/runtime/byte_buffer.h>
#include <gantry/runtime/deadline_queue.h>
#include <gantry/upstream/connection_pool.h>

namespace gantry::config {
struct ForwardAction;
}

namespace gantry::upstream {
class Cluster;
}

namespace gantry::http {
class Http1Parser;
}

namespace gantry::proxy {

class Stream;

class UpstreamRequest final : public runtime::DeadlineQueue::Entry {
public:
    UpstreamRequest(Stream& stream, upstream::Cluster& cluster, const config::ForwardAction& action,
                    std::string_view target, bool is_upgrade);
    ~UpstreamRequest();

    // Starts the request: spawned beside the client connection when a request body must be
    // streamed, otherwise left for the connection to run with run_inline().
    void start();
    boost::asio::awaitable<void> run_inline();

    // Request body and trailers from the client, in order; bounded by the high watermark (the
    // stream pauses the client above it).
    void push_body(std::string_view data, bool end_stream);
    void push_trailers(const http::HeaderMap& trailers);

    // Stops everything now: the client is gone or the worker is closing.
    void abort();

private:
    enum class TimeoutKind : uint8_t { None, Connect, Request, Idle };

    boost::asio::awaitable<void> run(std::shared_ptr<void> keep);
    boost::asio::awaitable<bool> try_once(bool allow_reused, bool* failed_before_response);
    boost::asio::awaitable<bool> acquire_connection(bool allow_reused);
    // Upstream TLS on the fresh connection to endpoint `index`.
    boost::asio::awaitable<boost::system::error_code> handshake(size_t index);
    boost::asio::awaitable<boost::system::error_code> send(std::string_view bytes);
    boost::asio::awaitable<void> pump_body();
    boost::asio::awaitable<bool> read_response(bool* failed_before_response);
    boost::asio::awaitable<void> tunnel();
    boost::asio::awaitable<void> tunnel_client_to_upstream();
    bool on_response_head(http::Http1Parser& parser);
    http::Http1Parser& response_parser();
    void serialize_head();
    void fail(ProxyError error);
    ProxyError upstream_failure(ProxyError::Phase phase) const;
    void release_connection(bool reusable);
    void arm_idle();
    void arm_timer();
    void on_deadline() noexcept override;

    Stream& stream_;
    upstream::Cluster& cluster_;
    const config::ForwardAction& action_;
    std::string_view target_;
    bool is_upgrade_;
    int endpoint_ = -1;
    std::unique_ptr<upstream::UpstreamConnection> connection_;
    bool is_reused_connection_ = false;

    std::string head_bytes_;
    // Request body waiting for the upstream, and the part being written (double-buffered so
    // that appending never moves bytes a write is using).
    std::pmr::string body_queue_;
    std::pmr::string body_sending_;
    bool is_body_end_ = false;
    bool is_client_paused_ = false;
    const http::HeaderMap* trailers_ = nullptr;
    bool is_body_pump_running_ = false;
    bool is_body_sent_ = false;
    runtime::AsyncEvent body_event_;
    runtime::AsyncEvent pump_done_event_;

    runtime::ByteBuffer read_buffer_;
    bool is_response_started_ = false;  // a final response head went to the client
    bool is_response_ended_ = false;
    bool is_response_keep_alive_ = false;
    bool is_interim_ = false;
    bool is_tunnel_ = false;
    int response_status_ = 0;

    // The nearest of the deadlines below is scheduled on the worker's DeadlineQueue.
    boost::asio::any_io_executor executor_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point scheduled_deadline_;
    std::chrono::steady_clock::time_point overall_deadline_;
    std::chrono::steady_clock::time_point try_deadline_;
    std::chrono::steady_clock::time_point idle_deadline_ =
        std::chrono::steady_clock::time_point::max();
    std::chrono::steady_clock::time_point connect_deadline_ =
        std::chrono::steady_clock::time_point::max();
    TimeoutKind timeout_kind_ = TimeoutKind::None;
    bool is_aborted_ = false;
    bool is_running_ = false;
};

}  // namespace gantry::proxy
