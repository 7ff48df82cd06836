// The response half of DownstreamConnection: HTTP/1.1 framing of response heads and bodies, and
// the output path (an inline non-blocking write first, a write coroutine only under
// backpressure).

#include <sys/uio.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gantry/config.h>
#include <gantry/proxy/downstream_connection.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/stream.h>

namespace gantry::proxy {

namespace asio = boost::asio;

namespace {

constexpr size_t kOutputHighWatermark = 256 * 1024;

http::BodyFraming choose_framing(const http::ResponseHead& head, std::string_view method,
                                 bool end_stream, bool client_is_http11) {
    if (head.status == 101 || http::response_has_no_body(head.status, method)) {
        return http::BodyFraming::None;
    }
    if (head.content_length) {
        return http::BodyFraming::ContentLength;
    }
    if (end_stream) {
        return http::BodyFraming::ContentLength;  // empty body: "Content-Length: 0"
    }
    return client_is_http11 ? http::BodyFraming::Chunked : http::BodyFraming::CloseDelimited;
}

}  // namespace

http::BodyFraming DownstreamConnection::write_response_head(http::ResponseHead& head,
                                                            std::string_view method,
                                                            bool end_stream) {
    bool client_is_http11 = true;
    bool client_is_http10_keep_alive = false;
    if (stream_ && stream_->is_request_head_received()) {
        const http::RequestHead& request = stream_->request();
        client_is_http11 = request.version_minor >= 1;
        client_is_http10_keep_alive = !client_is_http11 && request.keep_alive;
    }
    http::BodyFraming framing = choose_framing(head, method, end_stream, client_is_http11);
    if (framing == http::BodyFraming::CloseDelimited) {
        keep_alive_ = false;
    }
    // A HEAD response announces the length the GET would have had, but carries no body.
    http::BodyFraming head_framing = framing;
    uint64_t length = head.content_length.value_or(0);
    if (framing == http::BodyFraming::None && method == "HEAD" && head.content_length) {
        head_framing = http::BodyFraming::ContentLength;
    }
    worker_.strings().ensure(pending_output_);
    if (head.status >= 200 || head.status == 101) {
        if (head.status != 101 && !keep_alive_) {
            head.headers.add_unowned("Connection", "close", http::HeaderId::Connection);
        } else if (head.status != 101 && client_is_http10_keep_alive) {
            head.headers.add_unowned("Connection", "keep-alive", http::HeaderId::Connection);
        }
    }
    http::serialize_response_head(head, head_framing, length, pending_output_);
    if (head.status >= 200) {
        response_framing_ = framing;
    }
    // A head with a body to follow waits for the body, so that a small response leaves in one
    // write; the upstream side flushes before it waits for more bytes (flush_output()).
    if (end_stream || head.status < 200 || head.status == 101) {
        flush();
    }
    return framing;
}

void DownstreamConnection::write_response_body(std::string_view data, bool end_stream) {
    if (response_framing_ == http::BodyFraming::None) {
        data = {};  // HEAD, 204, 304: whatever the upstream sent is not relayed
    }
    if (response_framing_ == http::BodyFraming::Chunked) {
        if (!data.empty()) {
            http::append_chunk_header(data.size(), pending_output_);
            pending_output_.append(data);
            pending_output_.append("\r\n");
        }
        if (end_stream) {
            http::append_last_chunk(http::HeaderMap(), pending_output_);
        }
    } else if (!data.empty()) {
        if (pending_output_.empty() && !is_writing_ && !is_broken_) {
            // Fast path for large bodies: write straight from the caller's buffer and copy only
            // what the socket did not take.
            boost::system::error_code ec;
            size_t n = transport_.write_now(asio::buffer(data), ec);
            if (ec) {
                on_write_error();
                return;
            }
            data.remove_prefix(n);
        }
        pending_output_.append(data);
    }
    if (end_stream && response_framing_ == http::BodyFraming::CloseDelimited) {
        keep_alive_ = false;
    }
    flush();
}

void DownstreamConnection::write_response_trailers(const http::HeaderMap& trailers) {
    if (response_framing_ == http::BodyFraming::Chunked) {
        http::append_last_chunk(trailers, pending_output_);
    }
    flush();
}

void DownstreamConnection::write_raw(std::string_view bytes) {
    worker_.strings().ensure(pending_output_);
    pending_output_.append(bytes);
    flush();
}

void DownstreamConnection::write_continue() {
    write_raw("HTTP/1.1 100 Continue\r\n\r\n");
}

asio::awaitable<std::tuple<boost::system::error_code, size_t>>
DownstreamConnection::tunnel_read_some(asio::mutable_buffer buffer) {
    co_return co_await transport_.async_read_some(buffer);
}

void DownstreamConnection::tunnel_close() {
    boost::system::error_code ignored;
    transport_.shutdown_both(ignored);
}

bool DownstreamConnection::is_output_congested() const {
    return pending_output_.size() + writing_output_.size() > kOutputHighWatermark;
}

void DownstreamConnection::flush() {
    if (is_writing_ || is_broken_ || state_ == State::Closed || pending_output_.empty()) {
        return;
    }
    boost::system::error_code ec;
    size_t n = transport_.write_now(asio::buffer(pending_output_), ec);
    if (ec) {
        on_write_error();
        return;
    }
    if (n == pending_output_.size()) {
        pending_output_.clear();
        return;
    }
    pending_output_.erase(0, n);
    is_writing_ = true;
    asio::co_spawn(
        transport_.socket().get_executor(),
        [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->write_loop(); },
        asio::detached);
}

asio::awaitable<void> DownstreamConnection::write_loop() {
    const auto idle_timeout =
        listener() ? listener()->config->limits.idle_timeout : config::Limits{}.idle_timeout;
    while (!pending_output_.empty() && !is_broken_ && state_ != State::Closed) {
        // A client that stops reading for idle_timeout is cut off (nginx's send_timeout), so it
        // cannot pin the response buffer and the upstream connection for ever.
        arm_deadline(idle_timeout);
        std::swap(writing_output_, pending_output_);
        auto [ec, n] = co_await transport_.async_write(asio::buffer(writing_output_));
        writing_output_.clear();
        if (ec) {
            on_write_error();
            break;
        }
    }
    is_writing_ = false;
    drained_event_.set();
}

asio::awaitable<void> DownstreamConnection::wait_output_drained() {
    while (is_writing_ && !is_broken_ && state_ != State::Closed) {
        drained_event_.reset();
        co_await drained_event_.wait();
    }
}

void DownstreamConnection::on_write_error() {
    is_broken_ = true;
    keep_alive_ = false;
    pending_output_.clear();
    if (stream_ && !stream_->is_done()) {
        stream_->on_downstream_error(ProxyError::downstream(ProxyError::Phase::ResponseBody,
                                                            ProxyError::Kind::DownstreamReset));
    }
    drained_event_.set();
    stream_event_.set();
}

}  // namespace gantry::proxy
