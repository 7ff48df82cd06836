#include <algorithm>
#include <cstdint>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gantry/config/generation.h>
#include <gantry/http2/server_connection.h>
#include <gantry/proxy/downstream_connection.h>
#include <gantry/runtime/log.h>
#include <gantry/server/connection_bootstrap.h>
#include <gantry/server/worker.h>
#include <gantry/tls/server_context.h>
#include <gantry/tls/server_session.h>

namespace gantry::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

bool has_protocol(const config::ListenerConfig& listener, config::Protocol protocol) {
    const auto& protocols = listener.protocols;
    return std::find(protocols.begin(), protocols.end(), protocol) != protocols.end();
}

}  // namespace

bool needs_bootstrap(const config::ListenerConfig& listener) {
    return listener.tls.has_value() || has_protocol(listener, config::Protocol::Http2);
}

bool is_h2_negotiated(std::string_view alpn, const config::ListenerConfig& listener) {
    if (alpn == "h2") {
        return true;
    }
    return alpn.empty() && !has_protocol(listener, config::Protocol::Http1) &&
           has_protocol(listener, config::Protocol::Http2);
}

PrefaceMatch match_http2_preface(std::string_view first_bytes) {
    if (first_bytes.starts_with(kHttp2Preface)) {
        return PrefaceMatch::Http2;
    }
    return kHttp2Preface.starts_with(first_bytes) ? PrefaceMatch::NeedMore : PrefaceMatch::Http1;
}

ConnectionBootstrap::ConnectionBootstrap(Worker& worker, std::string listener_name,
                                         tcp::socket socket)
    : worker_(worker)
    , listener_name_(std::move(listener_name))
    , transport_(std::move(socket))
    , timer_(worker.io_context().get_executor()) {
    boost::system::error_code ec;
    transport_.socket().non_blocking(true, ec);
    worker_.add_connection(this);
}

ConnectionBootstrap::~ConnectionBootstrap() {
    input_.consume(input_.size());
    worker_.buffers().release(input_);
    worker_.remove_connection(this);  // no-op once handed over
}

void ConnectionBootstrap::start(const config::ListenerRuntime& listener) {
    // The listener's settings as they are at accept (a reload may free them while we wait).
    parser_limits_ = listener.limits;
    asio::co_spawn(transport_.socket().get_executor(),
                   run(shared_from_this(), listener.tls, listener.config->limits.header_timeout),
                   asio::detached);
}

const config::ListenerRuntime* ConnectionBootstrap::current_listener() const {
    return worker_.current()->generation->find_listener(listener_name_);
}

asio::awaitable<void> ConnectionBootstrap::run(
    [[maybe_unused]] std::shared_ptr<ConnectionBootstrap> self,
    std::shared_ptr<const tls::ServerContext> tls, std::chrono::milliseconds header_timeout) {
    if (!tls) {
        co_await select_plain(header_timeout);
        co_return;
    }
    if (!co_await handshake(std::move(tls))) {
        close();
        co_return;
    }
    // Looked up again: a reload during the handshake may have changed or removed the listener
    // (without it, HTTP/1.1 ends the connection as it does between requests).
    const config::ListenerRuntime* current = current_listener();
    if (current != nullptr && is_h2_negotiated(tls_->info.alpn, *current->config)) {
        hand_over_http2(*current);
    } else {
        hand_over_http1(Http1Start::FirstRequest);
    }
}

asio::awaitable<bool> ConnectionBootstrap::handshake(
    std::shared_ptr<const tls::ServerContext> context) {
    SSL* ssl = context->new_ssl();
    if (ssl == nullptr) {
        co_return false;
    }
    transport_.attach_tls(ssl);
    // The SSL object keeps its SSL_CTX alive; the ServerContext (whose callbacks the handshake
    // calls) is held, here and then in the ServerSession for the connection's life, past a
    // reload that frees its generation.
    arm_timer(context->config().handshake_timeout);
    boost::system::error_code ec = co_await transport_.async_handshake();
    if (ec || is_timed_out_ || is_closed_) {
        log::debug("tls handshake with ", remote_address(),
                   " failed: ", is_timed_out_ ? "timeout" : ec.message());
        count_handshake_failure();
        co_return false;
    }
    tls_ = std::make_unique<tls::ServerSession>(
        tls::ServerSession{std::move(context), tls::describe_connection(ssl)});
    co_return true;
}

void ConnectionBootstrap::count_handshake_failure() {
    if (const config::ListenerRuntime* current = current_listener()) {
        worker_.metrics().on_tls_handshake_failure(current->metrics.listener);
    }
}

std::string ConnectionBootstrap::remote_address() {
    boost::system::error_code ec;
    tcp::endpoint peer = transport_.socket().remote_endpoint(ec);
    return ec ? std::string() : peer.address().to_string();
}

asio::awaitable<void> ConnectionBootstrap::select_plain(std::chrono::milliseconds header_timeout) {
    // As an HTTP/1.1 connection waits for its first request: without a buffer, under
    // header_timeout; a drain closes it at once.
    if (is_draining_) {
        hand_over_http1(Http1Start::Close);
        co_return;
    }
    arm_timer(header_timeout);
    is_idle_ = true;
    auto [ec] = co_await transport_.async_wait_readable();
    is_idle_ = false;
    if (is_closed_) {
        co_return;  // drained or aborted while waiting
    }
    if (ec || is_timed_out_) {
        hand_over_http1(Http1Start::Close);  // closes as an idle HTTP/1.1 connection does
        co_return;
    }
    const config::ListenerRuntime* current = current_listener();
    if (current == nullptr || !has_protocol(*current->config, config::Protocol::Http2)) {
        hand_over_http1(Http1Start::WithInput, true);  // a reload took HTTP/2 away
        co_return;
    }
    if (!has_protocol(*current->config, config::Protocol::Http1)) {
        hand_over_http2(*current);
        co_return;
    }
    bool is_readable_hint = true;
    PrefaceMatch match = co_await sniff_preface(is_readable_hint);
    if (is_closed_) {
        co_return;  // aborted while reading
    }
    current = current_listener();
    if (match == PrefaceMatch::Http2 && current != nullptr) {
        hand_over_http2(*current);
    } else {
        // Whatever the bytes are, the HTTP/1.1 path parses them from this buffer (and reports
        // a read that failed).
        hand_over_http1(Http1Start::WithInput, is_readable_hint);
    }
}

asio::awaitable<PrefaceMatch> ConnectionBootstrap::sniff_preface(bool& is_readable_hint) {
    worker_.buffers().acquire(input_);
    PrefaceMatch match = PrefaceMatch::NeedMore;
    while (match == PrefaceMatch::NeedMore) {
        if (!is_readable_hint) {
            auto [ec] = co_await transport_.async_wait_readable();
            if (ec || is_timed_out_ || is_closed_) {
                break;
            }
        }
        // The socket reported readable: one non-blocking read, into the buffer HTTP/1.1 parses
        // from, takes the whole request in the usual case.
        size_t space = input_.writable_size();
        boost::system::error_code ec;
        size_t n = transport_.read_some(asio::buffer(input_.write_pointer(), space), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            is_readable_hint = false;
            continue;
        }
        if (ec) {
            is_readable_hint = false;
            break;
        }
        input_.commit(n);
        is_readable_hint = n == space;
        match = match_http2_preface(input_.readable());
    }
    co_return match;
}

void ConnectionBootstrap::hand_over_http1(Http1Start start, bool is_readable_hint) {
    auto connection = std::make_shared<proxy::DownstreamConnection>(
        worker_, listener_name_, std::move(transport_), std::move(tls_), parser_limits_);
    hand_over(*connection);
    if (is_draining_) {
        connection->begin_drain();
    }
    switch (start) {
        case Http1Start::FirstRequest:
            connection->start_first_request();
            break;
        case Http1Start::WithInput:
            connection->start_with_input(std::move(input_), is_readable_hint);
            break;
        case Http1Start::Close:
            connection->start_close();
            break;
    }
}

void ConnectionBootstrap::hand_over_http2(const config::ListenerRuntime& listener) {
    boost::system::error_code ec;
    tcp::endpoint peer = transport_.socket().remote_endpoint(ec);
    std::string remote_ip = ec ? std::string() : peer.address().to_string();
    uint16_t remote_port = ec ? 0 : peer.port();
    auto connection = std::make_shared<http2::ServerConnection>(
        worker_, listener_name_, std::move(transport_), std::move(tls_), input_.readable(),
        listener, std::move(remote_ip), remote_port);
    input_.consume(input_.size());
    worker_.buffers().release(input_);
    hand_over(*connection);
    if (is_draining_) {
        connection->begin_drain();
    }
    connection->start();
}

void ConnectionBootstrap::hand_over(proxy::DrainableConnection& successor) {
    is_closed_ = true;  // the transport is the successor's now
    timer_.cancel();
    worker_.replace_connection(*this, successor);
}

void ConnectionBootstrap::arm_timer(std::chrono::milliseconds timeout) {
    is_timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->is_closed_) {
            return;
        }
        self->is_timed_out_ = true;
        boost::system::error_code ignored;
        self->transport_.cancel(ignored);
    });
}

void ConnectionBootstrap::begin_drain() {
    is_draining_ = true;
    if (is_idle_) {
        close();
    }
}

void ConnectionBootstrap::abort() {
    close();
}

void ConnectionBootstrap::close() {
    if (is_closed_) {
        return;
    }
    is_closed_ = true;
    boost::system::error_code ignored;
    transport_.close(ignored);
    timer_.cancel();
}

}  // namespace gantry::server
