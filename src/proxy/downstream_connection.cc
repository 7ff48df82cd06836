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
#include <gantry/proxy/upstream_request.h>
#include <gantry/runtime/coarse_clock.h>
#include <gantry/runtime/log.h>
#include <gantry/tls/server_session.h>

namespace gantry::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kLingerTimeout = std::chrono::seconds(1);
constexpr size_t kLingerMaxBytes = 256 * 1024;

// How often the deadline timer of a plain-TCP HTTP/1.1 connection fires while the connection is
// open and not parked: a connection idle for two ticks (0.5 to 1 s) is parked.
constexpr auto kParkTick = std::chrono::milliseconds(500);

}  // namespace

DownstreamConnection::DownstreamConnection(proxy::ProxyWorker& worker, std::string listener_name,
                                           tcp::socket socket)
    : Downstream(worker, std::move(listener_name))
    , transport_(std::move(socket))
    , stream_event_(worker.io_context())
    , drained_event_(worker.io_context())
    , deadline_timer_(worker.io_context().get_executor()) {
    read_peer();
    boost::system::error_code ec;
    transport_.socket().non_blocking(true, ec);
    worker_.add_connection(this);
}

DownstreamConnection::DownstreamConnection(proxy::ProxyWorker& worker, std::string listener_name,
                                           net::Transport transport,
                                           std::unique_ptr<tls::ServerSession> tls,
                                           const http::Http1Limits& parser_limits)
    : Downstream(worker, std::move(listener_name))
    , parser_limits_(parser_limits)
    , transport_(std::move(transport))
    , tls_(std::move(tls))
    , stream_event_(worker.io_context())
    , drained_event_(worker.io_context())
    , deadline_timer_(worker.io_context().get_executor()) {
    read_peer();
    if (tls_) {
        tls_info_ = &tls_->info;
        is_tls_ = true;
    }
}

void DownstreamConnection::read_peer() {
    boost::system::error_code ec;
    tcp::endpoint peer = transport_.socket().remote_endpoint(ec);
    if (!ec) {
        remote_ip_ = peer.address().to_string();
        remote_port_ = peer.port();
    }
}

DownstreamConnection::~DownstreamConnection() {
    input_.consume(input_.size());
    worker_.buffers().release(input_);
    worker_.strings().release(pending_output_);
    worker_.strings().release(writing_output_);
    worker_.remove_connection(this);
}

void DownstreamConnection::start() {
    spawn_run(RunFrom::Accept);
}

void DownstreamConnection::start_first_request() {
    spawn_run(RunFrom::FirstRequest);
}

void DownstreamConnection::start_with_input(runtime::ByteBuffer input, bool is_readable_hint) {
    input_ = std::move(input);
    is_readable_hint_ = is_readable_hint;
    enter(State::ReadingHead);
    spawn_run(RunFrom::NextRequest);
}

void DownstreamConnection::start_close() {
    enter(State::Closing);
    spawn_run(RunFrom::Close);
}

void DownstreamConnection::spawn_run(RunFrom from) {
    // run()'s own frame holds the connection: no wrapper coroutine stays alive per connection.
    asio::co_spawn(transport_.socket().get_executor(), run(shared_from_this(), from),
                   asio::detached);
}

const config::ListenerRuntime* DownstreamConnection::listener() {
    // Looked up again only when the worker moved to a newer generation.
    // (By number, not address: a freed generation's address can be reused.)
    const config::Generation& current = *worker_.current()->generation;
    if (current.number() != listener_generation_) {
        listener_generation_ = current.number();
        listener_ = current.find_listener(listener_name_);
    }
    return listener_;
}

asio::awaitable<void> DownstreamConnection::run(
    [[maybe_unused]] std::shared_ptr<DownstreamConnection> self, RunFrom from) {
    if (from == RunFrom::Accept) {
        const config::ListenerRuntime* first_listener = listener();
        if (first_listener == nullptr) {
            close_socket();
            co_return;
        }
        // The parser's limits come from the listener as it was when the connection opened.
        parser_limits_ = first_listener->limits;
    }
    // Unparked (the socket is readable), or handed over with the first bytes in input_: the
    // caller entered ReadingHead.
    bool is_woken = from == RunFrom::NextRequest;
    while (from != RunFrom::Close && state_ != State::Closed) {
        // Waiting for the next request is inlined here (not a nested coroutine) so an idle
        // connection keeps one coroutine frame alive, not two (and none once parked).
        if (is_woken) {
            is_woken = false;
        } else if (input_.empty()) {
            if (!begin_idle()) {
                break;
            }
            boost::system::error_code ec;
            if (is_busy_ && can_park()) {
                // A busy plain-TCP connection reads straight into a buffer: asio tries the read
                // at once and, finding nothing, queues it without a system call, where a
                // readiness wait costs an epoll_ctl(EPOLL_CTL_MOD) per request. Connections
                // that idle wait for readiness and hold no buffer; park() gives a busy one's
                // buffer back once it has idled for a while.
                worker_.buffers().acquire(input_);
                auto [read_ec, n] = co_await transport_.async_read_some(
                    asio::buffer(input_.write_pointer(), input_.writable_size()));
                if (!read_ec) {
                    input_.commit(n);
                }
                ec = read_ec;
            } else {
                auto [wait_ec] = co_await transport_.async_wait_readable();
                ec = wait_ec;
            }
            if (state_ == State::IdleParking && park(ec)) {
                co_return;  // frees this frame; on_parked_readable() starts a new one
            }
            // Busy: the last wait between requests ended before the idle tick came round.
            is_busy_ = can_park() && idle_ticks_ == 0;
            if (!end_idle(ec)) {
                break;
            }
        } else if (is_draining_) {
            break;
        } else {
            enter(State::ReadingHead);  // pipelined: the next request is already buffered
        }
        if (!co_await serve_one_request()) {
            break;
        }
    }
    // No more requests (RunFrom::Close: the caller entered Closing already).
    if (state_ != State::Closing && state_ != State::Closed) {
        enter(State::Closing);
    }
    co_await wait_output_drained();
    co_await lingering_close();
    close_socket();
}

bool DownstreamConnection::begin_idle() {
    if (is_draining_ || state_ == State::Closed) {
        return false;
    }
    // Idle: give the read buffer and output strings back so an idle connection holds none.
    release_idle_buffers();
    const auto& limits = listener() ? listener()->config->limits : config::Limits{};
    // Only Idle (between requests: the wait for the first one is bounded by header_timeout) is
    // parked, and only over plain TCP (a TLS wait may be for buffered bytes or a write OpenSSL
    // wants): see can_park().
    bool is_first = state_ == State::New;
    idle_ticks_ = 0;
    arm_deadline(is_first ? limits.header_timeout : limits.idle_timeout);
    enter(is_first ? State::AwaitingFirstRequest : State::Idle);
    return true;
}

bool DownstreamConnection::end_idle(boost::system::error_code ec) {
    is_readable_hint_ = !ec;
    if (ec || state_ == State::Closed || is_timed_out_ || is_draining_) {
        return false;  // the caller enters Closing
    }
    enter(State::ReadingHead);
    return true;
}

bool DownstreamConnection::park(boost::system::error_code ec) {
    if (ec != asio::error::operation_aborted || is_timed_out_ || is_draining_) {
        enter(State::Idle);
        return false;  // woken (or ended) before the cancel took effect: carry on in the frame
    }
    // A plain callback wait (no coroutine frames, no read buffer) holds the connection until the
    // client sends again; Parked is a phase of waiting for a request, so drain closes a parked
    // connection as it does an idle one.
    worker_.buffers().release(input_);
    is_busy_ = false;
    enter(State::Parked);
    transport_.socket().async_wait(
        tcp::socket::wait_read,
        [self = shared_from_this()](boost::system::error_code e) { self->on_parked_readable(e); });
    // Its idle deadline waits in the worker's queue of idle deadlines (a list link inside this
    // object) rather than in a timer operation of its own, ~300 bytes per parked connection.
    // The next request arms the timer again.
    deadline_timer_.cancel();
    is_deadline_armed_ = false;
    if (deadline_ != Clock::time_point::max()) {
        worker_.idle_deadlines().schedule(*this, deadline_);
    }
    return true;
}

void DownstreamConnection::on_deadline() noexcept {
    // As the timer does at the deadline: the cancel wakes the parked wait, which then closes.
    is_timed_out_ = true;
    boost::system::error_code ignored;
    transport_.cancel(ignored);
}

void DownstreamConnection::on_parked_readable(boost::system::error_code ec) {
    if (is_scheduled()) {
        worker_.idle_deadlines().cancel(*this);
    }
    RunFrom from = RunFrom::NextRequest;
    if (!end_idle(ec)) {
        from = RunFrom::Close;
        if (state_ != State::Closed) {
            enter(State::Closing);
        }
    }
    asio::co_spawn(transport_.socket().get_executor(), run(shared_from_this(), from),
                   asio::detached);
}

void DownstreamConnection::take_request_objects() {
    if (!parser_) {
        parser_ = worker_.take_parser(parser_limits_);
    }
    if (!stream_) {
        stream_ = worker_.take_stream();
    }
}

void DownstreamConnection::release_idle_buffers() {
    worker_.buffers().release(input_);
    if (parser_) {
        worker_.give_parser(std::move(parser_), parser_limits_);
    }
    if (stream_) {
        worker_.give_stream(std::move(stream_));
    }
    if (!is_writing_ && pending_output_.empty()) {
        worker_.strings().release(pending_output_);
        worker_.strings().release(writing_output_);
    }
}

asio::awaitable<bool> DownstreamConnection::serve_one_request() {
    const config::ListenerRuntime* current = listener();
    if (current == nullptr) {
        co_return false;  // the listener was removed by a reload: this connection ends
    }
    take_request_objects();
    stream_->begin(*this, current);
    parser_->reset(stream_->arena());
    keep_alive_ = !is_draining_;
    arm_deadline(current->config->limits.header_timeout);
    for (;;) {
        std::string_view view = input_.readable();
        http::Http1Event event = parser_->next(view);
        stream_->add_request_bytes(input_.size() - view.size());
        input_.consume_to(view);
        if (event.kind == http::Http1EventKind::HeadComplete) {
            break;
        }
        if (event.kind == http::Http1EventKind::Error) {
            reply_and_close(event.status, event.reason);
            co_return false;
        }
        boost::system::error_code ec = co_await read_more();
        if (ec) {
            if (is_timed_out_ && parser_->is_message_started()) {
                reply_and_close(408, "header-timeout");
            } else if (parser_->is_message_started()) {
                stream_->on_downstream_error(ProxyError::downstream(
                    ProxyError::Phase::RequestHead, ProxyError::Kind::DownstreamReset));
                stream_->finish();
            } else {
                stream_->abandon();  // a keep-alive connection closed between requests
            }
            co_return false;
        }
    }
    if (state_ != State::Closed) {
        enter(State::Serving);
    }
    http::RequestHead& head = parser_->request();
    keep_alive_ = keep_alive_ && head.keep_alive;
    stream_->on_request_head(head);
    co_await read_request_body(*stream_);
    if (UpstreamRequest* upstream = stream_->take_deferred_upstream()) {
        co_await upstream->run_inline();
    }
    while (!stream_->is_done()) {
        stream_event_.reset();
        co_await stream_event_.wait();
    }
    bool keep = keep_alive_ && stream_->is_request_complete() && !stream_->is_aborted() &&
                !is_broken_ && !is_draining_ && state_ != State::Closed;
    stream_->finish();
    co_return keep;
}

asio::awaitable<bool> DownstreamConnection::read_request_body(Stream& stream) {
    const auto idle_timeout =
        listener() ? listener()->config->limits.idle_timeout : config::Limits{}.idle_timeout;
    for (;;) {
        if (stream.is_request_complete()) {
            co_return true;
        }
        if (stream.is_request_body_paused() && !stream.is_done() && state_ != State::Closed) {
            stream_event_.reset();
            co_await stream_event_.wait();
            continue;
        }
        std::string_view view = input_.readable();
        http::Http1Event event = parser_->next(view);
        stream.add_request_bytes(input_.size() - view.size());
        input_.consume_to(view);  // a Body event's bytes stay in place until the next read
        switch (event.kind) {
            case http::Http1EventKind::Body:
                stream.on_request_body(event.data, false);
                break;
            case http::Http1EventKind::TrailersComplete:
                stream.on_request_trailers(parser_->trailers());
                break;
            case http::Http1EventKind::MessageComplete:
                stream.on_request_body({}, true);
                break;
            case http::Http1EventKind::Error:
                keep_alive_ = false;
                stream.on_downstream_error(ProxyError::downstream(ProxyError::Phase::RequestBody,
                                                                  kind_for_status(event.status)));
                co_return false;
            case http::Http1EventKind::HeadComplete:
            case http::Http1EventKind::NeedMore: {
                if (stream.is_done() || state_ == State::Closed) {
                    co_return false;  // answered before the body ended: the connection closes
                }
                arm_deadline(idle_timeout);
                boost::system::error_code ec = co_await read_more();
                if (ec) {
                    keep_alive_ = false;
                    auto kind = is_timed_out_ ? ProxyError::Kind::DownstreamTimeout
                                              : ProxyError::Kind::DownstreamReset;
                    stream.on_downstream_error(
                        ProxyError::downstream(ProxyError::Phase::RequestBody, kind));
                    co_return false;
                }
                break;
            }
        }
    }
}

asio::awaitable<boost::system::error_code> DownstreamConnection::read_more() {
    worker_.buffers().acquire(input_);
    char* destination = input_.write_pointer();
    size_t space = input_.writable_size();
    if (space == 0) {
        co_return asio::error::no_buffer_space;
    }
    if (is_readable_hint_) {
        // The socket just reported readable (or filled the buffer last time): read now rather
        // than through another trip around the event loop.
        is_readable_hint_ = false;
        boost::system::error_code ec;
        size_t n = transport_.read_some(asio::buffer(destination, space), ec);
        if (!ec) {
            input_.commit(n);
            is_readable_hint_ = n == space;
            co_return ec;
        }
        if (ec != asio::error::would_block && ec != asio::error::try_again) {
            co_return ec;
        }
    }
    auto [ec, n] = co_await transport_.async_read_some(asio::buffer(destination, space));
    if (is_timed_out_) {
        co_return asio::error::timed_out;
    }
    if (!ec) {
        input_.commit(n);
        is_readable_hint_ = n == space;
    }
    co_return ec;
}

void DownstreamConnection::reply_and_close(int status, const char* reason) {
    keep_alive_ = false;
    ProxyError error =
        ProxyError::downstream(ProxyError::Phase::RequestHead, kind_for_status(status));
    stream_->send_local_reply(status, error, reason, "text/plain");
    stream_->finish();
}

asio::awaitable<void> DownstreamConnection::lingering_close() {
    // Reading what the client still sends after our final response keeps the kernel from
    // answering it with a reset that could destroy the response in flight (nginx's
    // lingering_close). Bounded in time and bytes.
    if (state_ == State::Closed || is_broken_) {
        co_return;
    }
    boost::system::error_code ec;
    transport_.shutdown_send(ec);
    if (ec) {
        co_return;
    }
    worker_.buffers().acquire(input_);
    input_.consume(input_.size());
    arm_deadline(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTimeout));
    size_t drained = 0;
    while (drained < kLingerMaxBytes) {
        char* destination = input_.write_pointer();
        size_t space = input_.writable_size();
        auto [read_ec, n] = co_await transport_.async_read_some(asio::buffer(destination, space));
        if (read_ec || is_timed_out_) {
            break;
        }
        drained += n;
    }
    input_.consume(input_.size());
}

void DownstreamConnection::begin_drain() {
    is_draining_ = true;
    keep_alive_ = false;
    if (is_waiting_for_request(state_)) {
        close_socket();
    }
}

void DownstreamConnection::abort() {
    if (stream_ && !stream_->is_done()) {
        stream_->on_downstream_error(ProxyError{ProxyError::Side::Internal, ProxyError::Phase::None,
                                                ProxyError::Kind::Draining});
    }
    close_socket();
}

void DownstreamConnection::close_socket() {
    if (state_ == State::Closed) {
        return;
    }
    enter(State::Closed);
    keep_alive_ = false;
    boost::system::error_code ignored;
    transport_.close(ignored);
    deadline_timer_.cancel();
    stream_event_.set();
    drained_event_.set();
}

void DownstreamConnection::notify_stream() {
    stream_event_.set();
}

// --- Deadlines: one lazily re-armed timer per connection -----------------------------------

void DownstreamConnection::arm_deadline(std::chrono::milliseconds timeout) {
    is_timed_out_ = false;
    Clock::time_point now = runtime::coarse_steady_now();
    deadline_ = now + timeout;
    Clock::time_point wake = next_wake(now);
    if (is_deadline_armed_ && deadline_timer_.expiry() <= wake) {
        return;  // the running timer fires first and re-arms itself for deadline_
    }
    is_deadline_armed_ = true;
    wait_deadline(wake);
}

Clock::time_point DownstreamConnection::next_wake(Clock::time_point now) const {
    // A plain-TCP connection that is not parked ticks every kParkTick, so that one idling
    // between requests gets parked; that costs no timer re-arm per request.
    if (state_ == State::Parked || transport_.is_tls()) {
        return deadline_;
    }
    return std::min(deadline_, now + kParkTick);
}

void DownstreamConnection::wait_deadline(Clock::time_point wake) {
    deadline_timer_.expires_at(wake);
    deadline_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) { self->on_deadline(ec); });
}

void DownstreamConnection::on_deadline(boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) {
        // Re-armed earlier (expires_at cancels the previous wait) or closed.
        if (state_ == State::Closed) {
            is_deadline_armed_ = false;
        }
        return;
    }
    is_deadline_armed_ = false;
    if (state_ == State::Closed || deadline_ == Clock::time_point::max()) {
        return;
    }
    Clock::time_point now = Clock::now();
    if (now >= deadline_) {
        is_timed_out_ = true;
        boost::system::error_code ignored;
        transport_.cancel(ignored);
        return;
    }
    if (can_park() && !is_writing_ && ++idle_ticks_ >= 2) {
        // Idle for at least a whole tick: the waiting coroutine gives up its frames (see park()).
        enter(State::IdleParking);
        boost::system::error_code ignored;
        transport_.cancel(ignored);
    }
    is_deadline_armed_ = true;
    wait_deadline(next_wake(now));
}

}  // namespace gantry::proxy
