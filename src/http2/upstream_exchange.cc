#include <charconv>
#include <cstring>

#include <nghttp2/nghttp2.h>

#include <gantry/config.h>
#include <gantry/http2/request_head_builder.h>
#include <gantry/http2/upstream_exchange.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/stream.h>
#include <gantry/proxy/upstream_request.h>
#include <gantry/router/retry_policy.h>
#include <gantry/upstream/cluster.h>

namespace gantry::http2 {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Fields = std::vector<std::pair<std::string_view, std::string_view>>;

namespace {

// Request body bytes held for the upstream before the client is paused (as for HTTP/1.1), and
// how much is kept for a retry before sent bytes are dropped.
constexpr size_t kBodyHighWatermark = 64 * 1024;
constexpr size_t kBodyKeptForRetry = 256 * 1024;

// Request fields not copied to the upstream's HEADERS: the HTTP/1.1 connection fields, Host
// (it becomes :authority) and Expect (answered locally).
bool is_connection_specific(http::HeaderId id) {
    return is_http1_connection_field(id) || id == http::HeaderId::Host ||
           id == http::HeaderId::Expect;
}

}  // namespace

UpstreamExchange::~UpstreamExchange() {
    release_stream();
}

asio::awaitable<UpstreamExchange::End> UpstreamExchange::run() {
    proxy::UpstreamRequest& r = request_;
    End end = co_await try_once();
    if (end == End::Refused && !r.is_aborted_ &&
        r.timeout_kind_ == proxy::UpstreamRequest::TimeoutKind::None && !is_body_trimmed_) {
        // The upstream never processed the stream (GOAWAY or REFUSED_STREAM): another
        // connection may take it. Not a retry: nothing was processed.
        reset_attempt();
        end = co_await try_once();
    }
    co_return end == End::Refused ? End::NoResponse : end;
}

void UpstreamExchange::reset_attempt() {
    release_stream();
    body_offset_ = 0;
    is_body_deferred_ = false;
    head_ = nullptr;
    trailers_ = nullptr;
    in_trailers_ = is_head_ready_ = is_head_delivered_ = is_head_end_stream_ = false;
    is_trailers_ready_ = is_response_end_ = is_end_delivered_ = is_invalid_ = false;
    pending_.clear();
    is_closed_ = is_refused_ = is_connection_lost_ = false;
    close_code_ = 0;
}

void UpstreamExchange::release_stream() {
    if (connection_ && stream_id_ > 0) {
        if (!is_closed_) {
            connection_->reset_stream(stream_id_, NGHTTP2_CANCEL);
        }
        connection_->detach(stream_id_);
    }
    stream_id_ = -1;
    connection_.reset();
}

asio::awaitable<bool> UpstreamExchange::acquire_connection() {
    proxy::UpstreamRequest& r = request_;
    auto index = static_cast<size_t>(r.endpoint_);
    const auto& endpoint = r.cluster_.endpoint(index).endpoint;
    // Only this file adds connections to the pool's multiplexed list: they are ClientConnections.
    connection_ =
        std::static_pointer_cast<ClientConnection>(r.cluster_.pool(index).find_multiplexed());
    if (connection_) {
        r.is_reused_connection_ = true;
        r.metrics().on_upstream_connection(r.cluster_.metric_id(), true);  // a stream on it
        co_return true;
    }
    r.is_reused_connection_ = false;
    auto fresh = std::make_shared<ClientConnection>(
        r.stream_.connection().worker().io_context(), endpoint,
        r.cluster_.config().pool.idle_timeout, r.cluster_.tls(), r.cluster_.endpoint(index).host,
        r.cluster_.pool(index).tls_session());
    auto connect_timeout = r.cluster_.config().connect_timeout;
    r.connect_deadline_ =
        connect_timeout.count() > 0 ? Clock::now() + connect_timeout : Clock::time_point::max();
    r.arm_timer();
    // The deadline closes nothing of ours: watch it from here while the connect runs.
    boost::system::error_code ec = co_await fresh->connect(
        std::chrono::duration_cast<std::chrono::milliseconds>(connect_timeout));
    r.connect_deadline_ = Clock::time_point::max();
    if (ec || r.is_aborted_ || r.timeout_kind_ != proxy::UpstreamRequest::TimeoutKind::None) {
        fresh->close();
        co_return false;
    }
    r.cluster_.pool(index).add_multiplexed(fresh);
    connection_ = std::move(fresh);
    r.metrics().on_upstream_connection(r.cluster_.metric_id(), false);
    co_return true;
}

Fields UpstreamExchange::request_fields() {
    proxy::UpstreamRequest& r = request_;
    http::RequestHead& head = r.stream_.request();
    std::pmr::memory_resource* arena = r.stream_.arena();
    std::string_view authority = head.authority;
    switch (r.action_.host_rewrite) {
        case config::HostRewriteKind::Keep:
            if (authority.empty()) {
                authority = r.cluster_.endpoint(static_cast<size_t>(r.endpoint_)).text;
            }
            break;
        case config::HostRewriteKind::Upstream:
            authority = r.cluster_.endpoint(static_cast<size_t>(r.endpoint_)).text;
            break;
        case config::HostRewriteKind::Literal:
            authority = r.action_.host_literal;
            break;
    }
    std::string_view path = r.target_.empty() ? head.target : r.target_;
    Fields fields;
    fields.reserve(head.headers.size() + 6);
    fields.emplace_back(":method", head.method);
    fields.emplace_back(":scheme", r.cluster_.tls() != nullptr ? "https" : "http");
    fields.emplace_back(":authority", authority);
    fields.emplace_back(":path", path);
    bool is_grpc = false;
    for (const http::HeaderField& field : head.headers) {
        if (is_connection_specific(field.id)) {
            continue;
        }
        std::string_view name = lower_case_name(field.name, arena);
        if (name == "content-type" && field.value.starts_with("application/grpc")) {
            is_grpc = true;
        }
        fields.emplace_back(name, field.value);
    }
    if (head.content_length) {
        auto* text = static_cast<char*>(arena->allocate(20, 1));
        auto result = std::to_chars(text, text + 20, *head.content_length);
        fields.emplace_back("content-length", std::string_view(text, result.ptr - text));
    }
    if (is_grpc) {
        fields.emplace_back("te", "trailers");  // gRPC requires it; HTTP/1.1 clients drop it
    }
    return fields;
}

asio::awaitable<UpstreamExchange::End> UpstreamExchange::try_once() {
    proxy::UpstreamRequest& r = request_;
    using TimeoutKind = proxy::UpstreamRequest::TimeoutKind;
    if (!co_await acquire_connection()) {
        co_return r.is_aborted_ ? End::Over : End::NoConnection;
    }
    bool has_body = r.stream_.request().has_body();
    stream_id_ = connection_->submit_request(request_fields(), has_body, this);
    if (stream_id_ <= 0) {
        connection_.reset();
        co_return End::Refused;
    }
    r.arm_idle();
    for (;;) {
        pump_request_body();
        co_await deliver_response();
        if (is_end_delivered_ || r.is_aborted_ || r.is_retry_pending_) {
            release_stream();
            co_return End::Over;
        }
        if (r.timeout_kind_ != TimeoutKind::None) {
            release_stream();
            if (!is_head_delivered_) {
                co_return End::NoResponse;  // the retry policy and the timeout kind decide
            }
            r.fail(r.upstream_failure(ProxyError::Phase::ResponseBody));
            co_return End::Over;
        }
        if (is_invalid_) {
            release_stream();
            r.fail(ProxyError::upstream(ProxyError::Phase::ResponseHead,
                                        ProxyError::Kind::InvalidResponse));
            co_return End::Over;
        }
        if (is_closed_ && pending_.empty() && !is_trailers_ready_ && !is_response_end_) {
            bool started = is_head_delivered_;
            release_stream();
            if (!started) {
                // A pooled connection the upstream closed (without GOAWAY) just as this stream
                // went out on it: like HTTP/1.1's stale pooled connection, another connection
                // may take a request that sent no body and got nothing back.
                bool is_stale = is_connection_lost_ && r.is_reused_connection_ &&
                                head_ == nullptr && !r.stream_.request().has_body();
                co_return is_refused_ || is_stale ? End::Refused : End::NoResponse;
            }
            r.fail(r.upstream_failure(ProxyError::Phase::ResponseBody));
            co_return End::Over;
        }
        r.body_event_.reset();
        co_await r.body_event_.wait();
    }
}

void UpstreamExchange::pump_request_body() {
    proxy::UpstreamRequest& r = request_;
    if (stream_id_ <= 0 || is_closed_) {
        return;
    }
    bool took = false;
    if (!r.body_queue_.empty() && body_.size() - body_offset_ < kBodyHighWatermark) {
        body_.append(r.body_queue_);
        r.body_queue_.clear();
        took = true;
        if (r.is_client_paused_) {
            r.is_client_paused_ = false;
            r.stream_.resume_request_body();
        }
    }
    if (is_body_deferred_ && (took || r.is_body_end_)) {
        is_body_deferred_ = false;
        connection_->resume_body(stream_id_);
    }
}

long UpstreamExchange::read_request_body(uint8_t* buffer, size_t length, uint32_t* data_flags) {
    proxy::UpstreamRequest& r = request_;
    size_t pending = body_.size() - body_offset_;
    size_t n = std::min(length, pending);
    std::memcpy(buffer, body_.data() + body_offset_, n);
    body_offset_ += n;
    if (body_offset_ > kBodyKeptForRetry) {
        body_.erase(0, body_offset_);  // too much to keep for a retry
        body_offset_ = 0;
        is_body_trimmed_ = true;
    }
    if (n > 0) {
        r.arm_idle();
        r.body_event_.set();  // room again: take more from the client's queue
    }
    if (n == pending && r.body_queue_.empty() && r.is_body_end_) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        if (r.trailers_ != nullptr && !r.trailers_->empty()) {
            *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            std::pmr::memory_resource* arena = r.stream_.arena();
            Fields fields;
            for (const http::HeaderField& field : *r.trailers_) {
                fields.emplace_back(lower_case_name(field.name, arena), field.value);
            }
            connection_->submit_trailers(stream_id_, fields);
        }
        return static_cast<long>(n);
    }
    if (n == 0) {
        is_body_deferred_ = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<long>(n);
}

void UpstreamExchange::on_response_field(std::string_view name, std::string_view value) {
    std::pmr::memory_resource* arena = request_.stream_.arena();
    if (is_head_ready_ && !in_trailers_ && head_ != nullptr && head_->status >= 200) {
        // A second header block after the final head: trailers.
        in_trailers_ = true;
        void* memory = arena->allocate(sizeof(http::HeaderMap), alignof(http::HeaderMap));
        trailers_ = new (memory) http::HeaderMap(arena);
    }
    if (in_trailers_) {
        if (!name.starts_with(':')) {
            trailers_->add(name, value);
        }
        return;
    }
    if (head_ == nullptr) {
        void* memory = arena->allocate(sizeof(http::ResponseHead), alignof(http::ResponseHead));
        head_ = new (memory) http::ResponseHead(arena);
        head_->status = 0;
    }
    if (name == ":status") {
        int status = 0;
        auto result = std::from_chars(value.data(), value.data() + value.size(), status);
        if (result.ec != std::errc() || status < 100 || status > 599) {
            is_invalid_ = true;
        }
        head_->status = status;
    } else if (name == "content-length") {
        uint64_t length = 0;
        auto result = std::from_chars(value.data(), value.data() + value.size(), length);
        if (result.ec == std::errc()) {
            head_->content_length = length;
        }
    } else if (!name.starts_with(':')) {
        head_->headers.add(name, value);
    }
}

void UpstreamExchange::on_response_headers_end(bool end_stream) {
    if (in_trailers_) {
        is_trailers_ready_ = true;
    } else if (head_ != nullptr && head_->status >= 100 && head_->status < 200) {
        head_ = nullptr;  // interim (100, 103): not relayed over this path
    } else if (head_ != nullptr) {
        is_head_ready_ = true;
        is_head_end_stream_ = end_stream;
    }
    request_.body_event_.set();
}

void UpstreamExchange::on_response_data(std::string_view data) {
    pending_.append(data);
    request_.body_event_.set();
}

void UpstreamExchange::on_response_end() {
    is_response_end_ = true;
    request_.body_event_.set();
}

void UpstreamExchange::on_stream_closed(uint32_t error_code, bool refused, bool connection_lost) {
    is_closed_ = true;
    is_refused_ = refused;
    is_connection_lost_ = connection_lost;
    close_code_ = error_code;
    request_.body_event_.set();
}

asio::awaitable<void> UpstreamExchange::deliver_response() {
    proxy::UpstreamRequest& r = request_;
    if (is_head_ready_ && !is_head_delivered_ && !r.is_aborted_) {
        if (r.claim_retry(router::TryOutcome::Response, head_->status)) {
            // Dropped unseen (the stream is cancelled); the next try answers instead.
            r.response_status_ = head_->status;
            r.is_retry_pending_ = true;
            co_return;
        }
        is_head_delivered_ = true;
        r.is_response_started_ = true;
        r.response_status_ = head_->status;
        bool end = is_head_end_stream_ ||
                   http::response_has_no_body(head_->status, r.stream_.request().method);
        r.stream_.encode_response_head(*head_, end && !is_trailers_ready_);
        if (end && !is_trailers_ready_) {
            is_end_delivered_ = true;
            r.is_response_ended_ = true;
        }
    }
    if (!is_head_delivered_ || is_end_delivered_) {
        co_return;
    }
    while (!pending_.empty() && !r.is_aborted_) {
        // Double-buffered: callbacks may append to pending_ while this chunk waits for the
        // client, and both strings keep their capacity from one DATA frame to the next.
        std::string& chunk = delivering_;
        chunk.swap(pending_);
        r.stream_.encode_response_body(chunk, false);
        if (r.stream_.connection().is_output_congested()) {
            co_await r.stream_.connection().wait_output_drained();
        }
        if (connection_ && stream_id_ > 0) {
            connection_->consume(stream_id_, chunk.size());  // the upstream may send more
        }
        chunk.clear();
        r.arm_idle();
    }
    if (r.is_aborted_) {
        co_return;
    }
    if (is_trailers_ready_) {
        is_end_delivered_ = true;
        r.is_response_ended_ = true;
        r.stream_.encode_response_trailers(*trailers_);
    } else if (is_response_end_) {
        is_end_delivered_ = true;
        r.is_response_ended_ = true;
        r.stream_.encode_response_body({}, true);
    }
}

}  // namespace gantry::http2

namespace gantry::proxy {

boost::asio::awaitable<UpstreamRequest::TryEnd> UpstreamRequest::run_http2() {
    http2::UpstreamExchange exchange(*this);
    switch (co_await exchange.run()) {
        case http2::UpstreamExchange::End::NoConnection:
            co_return TryEnd::NoConnection;
        case http2::UpstreamExchange::End::NoResponse:
        case http2::UpstreamExchange::End::Refused:
            co_return TryEnd::NoResponse;
        case http2::UpstreamExchange::End::Over:
            break;
    }
    co_return TryEnd::Finished;
}

}  // namespace gantry::proxy
