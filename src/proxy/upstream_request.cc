#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gantry/config.h>
#include <gantry/http/hop_by_hop.h>
#include <gantry/http/http1_parser.h>
#include <gantry/http/http1_serializer.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/stream.h>
#include <gantry/proxy/upstream_request.h>
#include <gantry/router/retry_policy.h>
#include <gantry/runtime/log.h>
#include <gantry/runtime/nonblocking_write.h>
#include <gantry/upstream/cluster.h>
#include <gantry/upstream/cluster_shared.h>

namespace gantry::proxy {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// The client is paused while this much request body waits for the upstream, and resumed when
// the pump has taken the queue.
constexpr size_t kBodyHighWatermark = 64 * 1024;
constexpr Clock::time_point kNever = Clock::time_point::max();

Clock::time_point deadline_after(Clock::time_point from, std::chrono::milliseconds timeout) {
    return timeout.count() > 0 ? from + timeout : kNever;
}

http::Http1Limits response_limits() {
    http::Http1Limits limits;
    limits.max_header_bytes = 64 * 1024;
    limits.max_headers = 200;
    limits.max_body = 0;
    return limits;
}

}  // namespace

UpstreamRequest::UpstreamRequest(Stream& stream, upstream::Cluster& cluster,
                                 const config::ForwardAction& action, std::string_view target,
                                 bool is_upgrade)
    : stream_(stream)
    , cluster_(cluster)
    , action_(action)
    , target_(target)
    , is_upgrade_(is_upgrade)
    , body_queue_(stream.arena())
    , body_sending_(stream.arena())
    , body_event_(stream.connection().worker().io_context())
    , pump_done_event_(stream.connection().worker().io_context())
    , executor_(stream.connection().worker().io_context().get_executor())
    , replay_(stream.arena()) {
    const http::RequestHead& request = stream.request();
    if (action.retries && !is_upgrade &&
        router::is_retriable_method(*action.retries, request.method)) {
        retry_policy_ = &*action.retries;
        // A body is replayed from a bounded copy; one known to be larger is never retried.
        is_replayable_ =
            request.has_body() && request.content_length.value_or(0) <= retry_policy_->body_buffer;
    }
}

UpstreamRequest::~UpstreamRequest() {
    proxy::ProxyWorker& worker = stream_.connection().worker();
    read_buffer_.consume(read_buffer_.size());
    worker.release_buffer(read_buffer_);
    worker.strings().release(head_bytes_);
}

void UpstreamRequest::start() {
    is_running_ = true;
    stream_.set_upstream_active(true);
    start_ = Clock::now();
    overall_deadline_ = deadline_after(start_, action_.timeout);
    try_deadline_ = deadline_after(start_, action_.per_try_timeout);
    if (!stream_.request().has_body()) {
        // Nothing to stream from the client while the upstream works: the client connection's
        // own coroutine runs this request (run_inline), which saves a spawn and a wake-up.
        stream_.defer_upstream(this);
        return;
    }
    asio::co_spawn(executor_, run(stream_.connection().hold()), asio::detached);
}

asio::awaitable<void> UpstreamRequest::run(std::shared_ptr<void> keep) {
    (void)keep;  // holds the client connection (and so the stream) until this coroutine ends
    const config::CircuitBreakerConfig& limits = cluster_.config().circuit_breakers;
    if (!breaker().try_acquire(upstream::CircuitBreaker::Resource::Requests, limits.max_requests)) {
        metrics().on_circuit_breaker_overflow(cluster_.metric_id());
        fail(ProxyError::upstream(ProxyError::Phase::Connect, ProxyError::Kind::Overloaded));
    } else {
        // Tries and retries (upstream_retry.cc decides); written out here rather than in nested
        // coroutines, each of which would cost a frame per request.
        while ((endpoint_ = pick_endpoint()) >= 0) {
            auto index = static_cast<size_t>(endpoint_);
            const upstream::ResolvedEndpoint& picked = cluster_.endpoint(index);
            begin_try();
            metrics().on_upstream_start(picked.metric_id);
            TryEnd end = TryEnd::Finished;
            if (cluster_.config().protocol == config::Protocol::Http2) {
                // src/http2/upstream_exchange.cc: one try, plus one more on another connection
                // for a stream the upstream refused unprocessed (not counted as a retry).
                end = co_await run_http2();
            } else {
                // One try over HTTP/1.1. A pooled connection the upstream closed just as we
                // reused it gets one more try on a fresh connection: safe when no body went out
                // and nothing came back. It is not a retry.
                for (bool allow_reused = true;; allow_reused = false) {
                    Acquire acquired = lease_connection(allow_reused);
                    if (acquired == Acquire::Connect) {
                        acquired = co_await connect_new() ? Acquire::Ready : Acquire::Failed;
                    }
                    if (acquired == Acquire::Failed) {
                        end = is_aborted_ ? TryEnd::Finished : TryEnd::NoConnection;
                        break;
                    }
                    boost::system::error_code ec = send_head_now();
                    if (!ec && !head_unsent_.empty()) {
                        ec = co_await send_rest(head_unsent_);
                    }
                    if (ec) {
                        release_connection(false);
                        end = is_aborted_ ? TryEnd::Finished : TryEnd::NoResponse;
                    } else {
                        start_body_pump();
                        bool failed_before_response = false;
                        bool is_complete = co_await read_response(&failed_before_response);
                        bool reusable = end_exchange(is_complete);
                        if (is_body_pump_running_) {
                            body_event_.set();
                            co_await pump_done_event_.wait();
                        }
                        release_connection(reusable);
                        end = failed_before_response && !is_aborted_ ? TryEnd::NoResponse
                                                                     : TryEnd::Finished;
                    }
                    if (!allow_reused || end != TryEnd::NoResponse || !is_reused_connection_ ||
                        stream_.request().has_body() || is_aborted_ ||
                        timeout_kind_ != TimeoutKind::None) {
                        break;
                    }
                }
            }
            ProxyError error;
            if (end != TryEnd::Finished && !is_aborted_) {
                error = after_failed_try(end);
            }
            cluster_.on_request_end(index);
            if (response_status_ != 0) {
                cluster_.on_response(index, response_status_);
            } else if (!is_aborted_) {
                cluster_.on_local_failure(index);
            }
            auto elapsed = Clock::now() - start_;
            metrics().on_upstream_end(cluster_.metric_id(), picked.metric_id, response_status_,
                                      elapsed, timeout_kind_ != TimeoutKind::None);
            stream_.record_upstream(picked.text, response_status_, elapsed);
            if (!is_retry_pending_) {
                if (error.is_error()) {
                    fail(error);
                }
                break;
            }
            if (!co_await back_off()) {
                break;
            }
            prepare_retry();
        }
        if (endpoint_ < 0) {
            fail(ProxyError::upstream(ProxyError::Phase::Connect,
                                      ProxyError::Kind::NoHealthyEndpoint));
        }
        release_retry_slot();
        breaker().release(upstream::CircuitBreaker::Resource::Requests);
    }
    stream_.set_upstream_attempts(attempts_);
    stream_.connection().worker().deadlines().cancel(*this);
    is_running_ = false;
    stream_.set_upstream_active(false);  // the stream may finish (and free this) from now on
}

upstream::CircuitBreaker& UpstreamRequest::breaker() {
    return cluster_.shared().circuit_breaker;
}

ProxyError UpstreamRequest::upstream_failure(ProxyError::Phase phase) const {
    if (timeout_kind_ == TimeoutKind::Connect) {
        return ProxyError::upstream(ProxyError::Phase::Connect, ProxyError::Kind::ConnectFailure);
    }
    if (timeout_kind_ != TimeoutKind::None) {
        return ProxyError::upstream(phase, ProxyError::Kind::UpstreamTimeout);
    }
    return ProxyError::upstream(phase, ProxyError::Kind::UpstreamReset);
}

// The head goes out now when the socket takes it whole, as it almost always does; what it did
// not take is left in head_unsent_ for send_rest().
boost::system::error_code UpstreamRequest::send_head_now() {
    serialize_head();
    arm_idle();
    boost::system::error_code ec;
    head_unsent_ = send_now(head_bytes_, ec);
    return ec;
}

void UpstreamRequest::start_body_pump() {
    if (stream_.request().has_body()) {
        is_body_pump_running_ = true;
        pump_done_event_.reset();
        asio::co_spawn(
            executor_, [this]() -> asio::awaitable<void> { co_await pump_body(); }, asio::detached);
    }
}

// Whether the connection may carry another request once the response has been read; one that
// may not is closed now, which also stops a body pump still writing to it.
bool UpstreamRequest::end_exchange(bool is_complete) {
    bool reusable = is_complete && !is_tunnel_ && !is_aborted_ && is_response_keep_alive_ &&
                    (!stream_.request().has_body() || is_body_sent_);
    if (!reusable && connection_) {
        boost::system::error_code ignored;
        connection_->socket.close(ignored);
    }
    return reusable;
}

UpstreamRequest::Acquire UpstreamRequest::lease_connection(bool allow_reused) {
    if (!take_connection_slot()) {
        return Acquire::Failed;
    }
    if (allow_reused) {
        connection_ = cluster_.pool(static_cast<size_t>(endpoint_)).lease();
        if (connection_) {
            is_reused_connection_ = true;
            metrics().on_upstream_connection(cluster_.metric_id(), true);
            return Acquire::Ready;
        }
    }
    is_reused_connection_ = false;
    return Acquire::Connect;
}

asio::awaitable<bool> UpstreamRequest::connect_new() {
    auto index = static_cast<size_t>(endpoint_);
    // A request waiting for a new connection is Envoy's "pending" request.
    const uint32_t max_pending = cluster_.config().circuit_breakers.max_pending;
    if (!breaker().try_acquire(upstream::CircuitBreaker::Resource::Pending, max_pending)) {
        is_overflow_ = true;
        drop_connection_slot();
        co_return false;
    }
    connection_ = std::make_unique<upstream::UpstreamConnection>(executor_);
    connect_deadline_ = deadline_after(Clock::now(), cluster_.config().connect_timeout);
    arm_timer();
    auto [ec] =
        co_await connection_->socket.async_connect(cluster_.endpoint(index).endpoint, kAwait);
    if (!ec && cluster_.tls() != nullptr && !is_aborted_ && timeout_kind_ == TimeoutKind::None) {
        ec = co_await handshake(index);  // within connect_timeout, like the TCP connect
    }
    breaker().release(upstream::CircuitBreaker::Resource::Pending);
    connect_deadline_ = kNever;
    if (ec || is_aborted_ || timeout_kind_ != TimeoutKind::None) {
        connection_.reset();
        drop_connection_slot();
        co_return false;
    }
    boost::system::error_code ignored;
    connection_->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    connection_->socket.non_blocking(true, ignored);  // for the inline write in send()
    metrics().on_upstream_connection(cluster_.metric_id(), false);
    co_return true;
}

// max_connections counts the upstream connections that requests hold (leased or new); idle
// pooled connections are not counted.
bool UpstreamRequest::take_connection_slot() {
    const uint32_t max_connections = cluster_.config().circuit_breakers.max_connections;
    if (!breaker().try_acquire(upstream::CircuitBreaker::Resource::Connections, max_connections)) {
        is_overflow_ = true;
        return false;
    }
    holds_connection_slot_ = true;
    return true;
}

void UpstreamRequest::drop_connection_slot() {
    if (holds_connection_slot_) {
        holds_connection_slot_ = false;
        breaker().release(upstream::CircuitBreaker::Resource::Connections);
    }
}

asio::awaitable<boost::system::error_code> UpstreamRequest::handshake(size_t index) {
    upstream::ConnectionPool& pool = cluster_.pool(index);
    SSL* ssl = cluster_.tls()->new_ssl(cluster_.endpoint(index).host, pool.tls_session());
    if (ssl == nullptr) {
        co_return asio::error::no_memory;
    }
    boost::system::error_code ignored;
    connection_->socket.non_blocking(true, ignored);
    connection_->transport.attach_tls(ssl);
    boost::system::error_code ec = co_await connection_->transport.async_handshake();
    if (ec && timeout_kind_ == TimeoutKind::None && !is_aborted_) {
        long verify = SSL_get_verify_result(ssl);
        log::warn("upstream TLS to ", cluster_.endpoint(index).text, " failed: ",
                  verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ec.message());
    }
    co_return ec;
}

void UpstreamRequest::serialize_head() {
    http::RequestHead& head = stream_.request();
    switch (action_.host_rewrite) {
        case config::HostRewriteKind::Keep:
            if (head.headers.get(http::HeaderId::Host) == nullptr) {
                // HTTP/1.0 clients may omit Host; an HTTP/1.1 upstream requires one.
                head.headers.add("Host", cluster_.endpoint(static_cast<size_t>(endpoint_)).text);
            }
            break;
        case config::HostRewriteKind::Upstream:
            head.headers.set("Host", cluster_.endpoint(static_cast<size_t>(endpoint_)).text);
            break;
        case config::HostRewriteKind::Literal:
            head.headers.set("Host", action_.host_literal);
            break;
    }
    http::BodyFraming framing = http::BodyFraming::None;
    if (head.is_chunked) {
        framing = http::BodyFraming::Chunked;
    } else if (head.content_length) {
        framing = http::BodyFraming::ContentLength;
    }
    stream_.connection().worker().strings().ensure(head_bytes_);
    head_bytes_.clear();
    http::serialize_request_head(head, target_, framing, head.content_length.value_or(0),
                                 head_bytes_);
}

asio::awaitable<boost::system::error_code> UpstreamRequest::send(std::string_view bytes) {
    arm_idle();
    boost::system::error_code ec;
    std::string_view unsent = send_now(bytes, ec);
    if (!ec && !unsent.empty()) {
        ec = co_await send_rest(unsent);
    }
    co_return ec;
}

// A request head almost always fits the socket buffer: write it now, and go through the event
// loop only for what the socket did not take.
std::string_view UpstreamRequest::send_now(std::string_view bytes, boost::system::error_code& ec) {
    size_t written = connection_->transport.write_now(asio::buffer(bytes), ec);
    return ec ? std::string_view{} : bytes.substr(written);
}

asio::awaitable<boost::system::error_code> UpstreamRequest::send_rest(std::string_view bytes) {
    auto [ec, n] = co_await connection_->transport.async_write(asio::buffer(bytes));
    co_return ec;
}

void UpstreamRequest::push_body(std::string_view data, bool end_stream) {
    if (is_aborted_ || !is_running_) {
        return;
    }
    body_queue_.append(data);
    keep_for_replay(data);
    is_body_end_ = is_body_end_ || end_stream;
    body_event_.set();
    if (body_queue_.size() > kBodyHighWatermark && !is_client_paused_) {
        is_client_paused_ = true;
        stream_.pause_request_body();
    }
}

void UpstreamRequest::push_trailers(const http::HeaderMap& trailers) {
    trailers_ = &trailers;
    is_body_end_ = true;
    body_event_.set();
}

asio::awaitable<void> UpstreamRequest::pump_body() {
    bool is_chunked = stream_.request().is_chunked;
    while (!is_aborted_ && connection_ && connection_->socket.is_open()) {
        if (!body_queue_.empty()) {
            std::swap(body_queue_, body_sending_);
            body_queue_.clear();
            if (is_client_paused_) {
                is_client_paused_ = false;
                stream_.resume_request_body();  // the queue is empty again
            }
            std::array<char, 24> chunk_header{};
            size_t header_size = 0;
            if (is_chunked) {
                header_size = static_cast<size_t>(std::snprintf(
                    chunk_header.data(), chunk_header.size(), "%zx\r\n", body_sending_.size()));
            }
            std::array<asio::const_buffer, 3> buffers{
                asio::buffer(chunk_header.data(), header_size), asio::buffer(body_sending_),
                asio::buffer("\r\n", is_chunked ? 2 : 0)};
            arm_idle();
            auto [ec, n] = co_await connection_->transport.async_write(buffers);
            body_sending_.clear();
            if (ec) {
                break;
            }
            continue;
        }
        if (is_body_end_) {
            if (is_chunked) {
                std::string last;
                http::append_last_chunk(trailers_ ? *trailers_ : http::HeaderMap(), last);
                auto [ec, n] = co_await connection_->transport.async_write(asio::buffer(last));
                if (ec) {
                    break;
                }
            }
            is_body_sent_ = true;
            break;
        }
        body_event_.reset();
        co_await body_event_.wait();
    }
    is_body_pump_running_ = false;
    pump_done_event_.set();
}

void UpstreamRequest::fail(ProxyError error) {
    if (!stream_.error().is_error()) {
        stream_.set_error(error);
    }
    if (is_aborted_) {
        return;  // the client is gone; nobody to answer
    }
    // Before any response byte the client gets an answer; after, the connection is cut so a
    // truncated body is never presented as complete.
    stream_.send_local_reply(error.to_status(), error, error.name(), "text/plain");
}

void UpstreamRequest::abort() {
    if (is_aborted_) {
        return;
    }
    is_aborted_ = true;
    if (connection_) {
        boost::system::error_code ignored;
        connection_->socket.close(ignored);
    }
    if (backoff_timer_ != nullptr) {
        backoff_timer_->cancel();
    }
    body_event_.set();
}

void UpstreamRequest::release_connection(bool reusable) {
    drop_connection_slot();
    if (!connection_) {
        return;
    }
    if (reusable) {
        ++connection_->requests;
        cluster_.pool(static_cast<size_t>(endpoint_)).release(std::move(connection_));
    } else {
        boost::system::error_code ignored;
        connection_->socket.close(ignored);
        connection_.reset();
    }
}

observability::WorkerMetrics& UpstreamRequest::metrics() {
    return stream_.connection().worker().metrics();
}

http::Http1Parser& UpstreamRequest::response_parser() {
    if (!connection_->parser) {
        connection_->parser = std::make_unique<http::Http1Parser>(http::Http1Parser::Kind::Response,
                                                                  response_limits());
    }
    return *connection_->parser;
}

}  // namespace gantry::proxy
