// UpstreamRequest's response side: reading and validating the upstream response, relaying it to
// the stream with backpressure, and tunnelling an accepted upgrade.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gantry/http/hop_by_hop.h>
#include <gantry/http/http1_parser.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/stream.h>
#include <gantry/proxy/upstream_request.h>
#include <gantry/router/retry_policy.h>

namespace gantry::proxy {

namespace asio = boost::asio;

asio::awaitable<bool> UpstreamRequest::read_response(bool* failed_before_response) {
    http::Http1Parser& parser = response_parser();
    parser.reset(stream_.arena());
    parser.set_request_method(stream_.request().method);
    proxy::ProxyWorker& worker = stream_.connection().worker();
    worker.buffers().acquire(read_buffer_);
    bool has_received = false;
    bool is_eof = false;
    uint64_t body_bytes = 0;
    for (;;) {
        if (is_aborted_) {
            co_return false;
        }
        http::Http1Event event;
        if (is_eof) {
            event = parser.finish();
        } else {
            std::string_view view = read_buffer_.readable();
            event = parser.next(view);
            read_buffer_.consume_to(view);
        }
        switch (event.kind) {
            case http::Http1EventKind::HeadComplete:
                if (!on_response_head(parser)) {
                    co_return false;
                }
                // A body longer than the read block is relayed through a larger one (fewer
                // reads and writes); one of unknown length once it has proved long.
                if (parser.response().content_length.value_or(0) > read_buffer_.capacity()) {
                    worker.large_buffers().grow(read_buffer_, worker.buffers());
                }
                break;
            case http::Http1EventKind::Body:
                body_bytes += event.data.size();
                stream_.encode_response_body(event.data, false);
                if (body_bytes > 2 * read_buffer_.capacity() && read_buffer_.empty()) {
                    worker.large_buffers().grow(read_buffer_, worker.buffers());
                }
                if (stream_.connection().is_output_congested()) {
                    co_await stream_.connection().wait_output_drained();
                }
                break;
            case http::Http1EventKind::TrailersComplete:
                stream_.encode_response_trailers(parser.trailers());
                is_response_ended_ = true;
                break;
            case http::Http1EventKind::MessageComplete:
                if (is_interim_) {
                    is_interim_ = false;
                    parser.reset(stream_.arena());
                    parser.set_request_method(stream_.request().method);
                    break;
                }
                if (is_tunnel_) {
                    co_await tunnel();
                    co_return true;
                }
                if (!is_response_ended_) {
                    is_response_ended_ = true;
                    stream_.encode_response_body({}, true);
                }
                is_response_keep_alive_ = !is_eof && parser.response().keep_alive &&
                                          !parser.response().is_close_delimited;
                co_return true;
            case http::Http1EventKind::Error:
                fail(ProxyError::upstream(is_response_started_ ? ProxyError::Phase::ResponseBody
                                                               : ProxyError::Phase::ResponseHead,
                                          ProxyError::Kind::InvalidResponse));
                co_return false;
            case http::Http1EventKind::NeedMore: {
                if (is_eof) {
                    // The upstream closed before a response began: a reset, maybe retryable.
                    *failed_before_response = !is_response_started_;
                    if (is_response_started_) {
                        fail(upstream_failure(ProxyError::Phase::ResponseBody));
                    }
                    co_return false;
                }
                stream_.connection().flush_output();
                arm_idle();
                char* destination = read_buffer_.write_pointer();
                size_t space = read_buffer_.writable_size();
                auto [ec, n] = co_await connection_->transport.async_read_some(
                    asio::buffer(destination, space));
                if (is_aborted_) {
                    co_return false;
                }
                if (ec == asio::error::eof && timeout_kind_ == TimeoutKind::None) {
                    is_eof = true;
                    break;
                }
                if (ec) {
                    if (!is_response_started_ && !has_received) {
                        *failed_before_response = true;
                    } else {
                        fail(upstream_failure(is_response_started_
                                                  ? ProxyError::Phase::ResponseBody
                                                  : ProxyError::Phase::ResponseHead));
                    }
                    co_return false;
                }
                has_received = true;
                read_buffer_.commit(n);
                break;
            }
        }
    }
}

bool UpstreamRequest::on_response_head(http::Http1Parser& parser) {
    http::ResponseHead& response = parser.response();
    int status = response.status;
    if (status == 101) {
        if (!is_upgrade_) {
            // Only a client that asked, on a route that allows it, may be switched.
            fail(ProxyError::upstream(ProxyError::Phase::ResponseHead,
                                      ProxyError::Kind::InvalidResponse));
            return false;
        }
        is_tunnel_ = true;
        response_status_ = status;
        is_response_started_ = true;
        http::remove_hop_by_hop(response.headers, true);
        response.headers.add_unowned("Connection", "upgrade", http::HeaderId::Connection);
        stream_.connection().set_keep_alive(false);
        stream_.encode_response_head(response, false);
        return true;
    }
    http::remove_hop_by_hop(response.headers, false);
    if (status < 200) {
        is_interim_ = true;
        if (status != 100) {
            is_interim_relayed_ = true;
            stream_.encode_response_head(response, false);  // 102, 103: relayed as they come
        }
        return true;
    }
    response_status_ = status;
    if (claim_retry(router::TryOutcome::Response, status)) {
        // Dropped unseen: the connection closes and the next try answers instead.
        is_retry_pending_ = true;
        return false;
    }
    is_response_started_ = true;
    bool is_end = http::response_has_no_body(status, stream_.request().method) ||
                  (response.content_length && *response.content_length == 0);
    is_response_ended_ = is_end;
    stream_.encode_response_head(response, is_end);
    return true;
}

asio::awaitable<void> UpstreamRequest::tunnel() {
    Downstream& client = stream_.connection();
    // A tunnel lives as long as its peers use it; only idle_timeout still applies.
    overall_deadline_ = try_deadline_ = std::chrono::steady_clock::time_point::max();
    if (!read_buffer_.empty()) {
        client.tunnel_write(read_buffer_.readable());  // bytes that followed the 101 head
        read_buffer_.consume(read_buffer_.size());
    }
    runtime::ByteBuffer& early = client.tunnel_input();
    if (!early.empty()) {
        boost::system::error_code ec = co_await send(early.readable());
        early.consume(early.size());
        if (ec) {
            connection_->socket.close(ec);
        }
    }
    is_body_pump_running_ = true;
    pump_done_event_.reset();
    asio::co_spawn(
        executor_, [this]() -> asio::awaitable<void> { co_await tunnel_client_to_upstream(); },
        asio::detached);
    while (!is_aborted_ && !client.is_broken()) {
        arm_idle();
        char* destination = read_buffer_.write_pointer();
        size_t space = read_buffer_.writable_size();
        auto [ec, n] =
            co_await connection_->transport.async_read_some(asio::buffer(destination, space));
        if (ec) {
            break;
        }
        client.tunnel_write(std::string_view(destination, n));
        if (client.is_output_congested()) {
            co_await client.wait_output_drained();
        }
    }
    co_await client.wait_output_drained();
    boost::system::error_code ignored;
    connection_->socket.close(ignored);
    client.tunnel_close();
    if (is_body_pump_running_) {
        co_await pump_done_event_.wait();
    }
    is_response_ended_ = true;
    stream_.encode_response_body({}, true);
}

asio::awaitable<void> UpstreamRequest::tunnel_client_to_upstream() {
    Downstream& client = stream_.connection();
    runtime::ByteBuffer& buffer = client.tunnel_input();
    client.worker().buffers().acquire(buffer);
    while (!is_aborted_ && connection_ && connection_->socket.is_open()) {
        char* destination = buffer.write_pointer();
        size_t space = buffer.writable_size();
        arm_idle();
        auto [ec, n] = co_await client.tunnel_read_some(asio::buffer(destination, space));
        if (ec) {
            break;
        }
        auto [write_ec, written] =
            co_await connection_->transport.async_write(asio::buffer(destination, n));
        if (write_ec) {
            break;
        }
    }
    if (connection_ && connection_->socket.is_open()) {
        boost::system::error_code ignored;
        // The client finished sending: pass the half-close on, let the upstream finish.
        connection_->transport.shutdown_send(ignored);
    }
    is_body_pump_running_ = false;
    pump_done_event_.set();
}

}  // namespace gantry::proxy
