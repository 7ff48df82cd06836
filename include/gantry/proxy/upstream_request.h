#pragma once

// UpstreamRequest: a forwarded request against one cluster, try after try. Each try leases (or
// opens) an upstream connection to an endpoint, writes the request head and streams the request
// body from a bounded queue, reads and validates the response and feeds it back to the stream,
// and tunnels an accepted upgrade. Between tries it applies the route's retry policy (conditions,
// back-off, budget, a bounded body replay buffer) and the cluster's circuit breakers. Made by the
// RouterFilter in the stream's arena; runs as one coroutine on the stream's worker thread, and
// the stream is not finished before that coroutine ends.

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
struct RetryPolicy;
}  // namespace gantry::config

namespace gantry::upstream {
class Cluster;
class CircuitBreaker;
}  // namespace gantry::upstream

namespace gantry::router {
enum class TryOutcome : uint8_t;
}

namespace gantry::http {
class Http1Parser;
}

namespace gantry::observability {
class WorkerMetrics;
}

namespace gantry::http2 {
class UpstreamExchange;
}

namespace gantry::proxy {

class Stream;

class UpstreamRequest final : public runtime::DeadlineQueue::Entry {
public:
    UpstreamRequest(Stream& stream, upstream::Cluster& cluster, const config::ForwardAction& action,
                    std::string_view target, bool is_upgrade);
    ~UpstreamRequest();

    // Starts the request: spawned beside the client connection when a request body must be
    // streamed, otherwise left for the connection to run with run_inline() (HTTP/1.1: awaited
    // by the connection's coroutine) or run_holding() (HTTP/2: spawned per stream, holding the
    // stream). Both hand out run()'s own coroutine: no wrapper frame per request.
    void start();

    boost::asio::awaitable<void> run_inline() { return run(nullptr); }

    boost::asio::awaitable<void> run_holding(std::shared_ptr<void> keep) {
        return run(std::move(keep));
    }

    // Request body and trailers from the client, in order; bounded by the high watermark (the
    // stream pauses the client above it).
    void push_body(std::string_view data, bool end_stream);
    void push_trailers(const http::HeaderMap& trailers);

    // Stops everything now: the client is gone or the worker is closing.
    void abort();

private:
    // Carries the request over HTTP/2 for a `protocol: http2` cluster, on this object's body
    // queue, deadlines and error mapping.
    friend class http2::UpstreamExchange;

    enum class TimeoutKind : uint8_t { None, Connect, Request, PerTry, Idle };
    // How one try ended: Finished covers a relayed response, a failure already answered, an
    // abort and a retry claimed on the response status.
    enum class TryEnd : uint8_t { Finished, NoConnection, NoResponse };

    boost::asio::awaitable<TryEnd> run_http2();

    boost::asio::awaitable<void> run(std::shared_ptr<void> keep);
    void begin_try();
    ProxyError after_failed_try(TryEnd end);
    // Connection and head writes finish without suspending in the common case (a pooled
    // connection, a head the socket takes whole), so those paths are plain calls: only the
    // rest is a coroutine, whose frame the common case would otherwise allocate per request.
    enum class Acquire : uint8_t { Ready, Failed, Connect };
    Acquire lease_connection(bool allow_reused);
    boost::asio::awaitable<bool> connect_new();
    boost::system::error_code send_head_now();
    void start_body_pump();
    bool end_exchange(bool is_complete);
    boost::asio::awaitable<bool> back_off();
    int pick_endpoint();
    bool claim_retry(router::TryOutcome outcome, int status);
    void release_retry_slot();
    void prepare_retry();
    void keep_for_replay(std::string_view data);
    bool take_connection_slot();
    void drop_connection_slot();
    upstream::CircuitBreaker& breaker();
    // Upstream TLS on the fresh connection to endpoint `index`.
    boost::asio::awaitable<boost::system::error_code> handshake(size_t index);
    boost::asio::awaitable<boost::system::error_code> send(std::string_view bytes);
    // Writes what the socket takes now; returns the bytes left, which send_rest() writes.
    std::string_view send_now(std::string_view bytes, boost::system::error_code& ec);
    boost::asio::awaitable<boost::system::error_code> send_rest(std::string_view bytes);
    boost::asio::awaitable<void> pump_body();
    boost::asio::awaitable<bool> read_response(bool* failed_before_response);
    boost::asio::awaitable<void> tunnel();
    boost::asio::awaitable<void> tunnel_client_to_upstream();
    bool on_response_head(http::Http1Parser& parser);
    http::Http1Parser& response_parser();
    observability::WorkerMetrics& metrics();
    void serialize_head();
    void fail(ProxyError error);
    ProxyError upstream_failure(ProxyError::Phase phase) const;
    void release_connection(bool reusable);
    void arm_idle();
    void arm_timer();
    void on_deadline() noexcept override;
    void count_timeout(TimeoutKind kind);

    Stream& stream_;
    upstream::Cluster& cluster_;
    const config::ForwardAction& action_;
    std::string_view target_;
    bool is_upgrade_;
    int endpoint_ = -1;
    std::unique_ptr<upstream::UpstreamConnection> connection_;
    bool is_reused_connection_ = false;

    std::string head_bytes_;
    std::string_view head_unsent_;  // the part of head_bytes_ the socket did not take at once
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

    // Retries (retry_policy_ is null when this request is never retried).
    const config::RetryPolicy* retry_policy_ = nullptr;
    uint32_t attempts_ = 0;         // tries started
    uint32_t retries_done_ = 0;     // retries claimed
    uint64_t tried_endpoints_ = 0;  // bit i: endpoint i was tried (the first 64)
    std::pmr::string replay_;       // the request body so far, while it fits body_buffer
    bool is_replayable_ = false;
    bool is_retry_pending_ = false;
    bool is_interim_relayed_ = false;  // a 1xx reached the client: no retry any more
    bool is_overflow_ = false;         // a circuit breaker refused this request
    bool holds_retry_slot_ = false;
    bool holds_connection_slot_ = false;
    boost::asio::steady_timer* backoff_timer_ = nullptr;  // while backing off
};

}  // namespace gantry::proxy
