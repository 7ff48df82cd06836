#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gantry/config.h>
#include <gantry/http/http1_serializer.h>
#include <gantry/proxy/shadow_request.h>
#include <gantry/upstream/cluster.h>
#include <gantry/upstream/cluster_shared.h>

namespace gantry::proxy {

namespace asio = boost::asio;
using Resource = upstream::CircuitBreaker::Resource;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kDefaultTimeout = std::chrono::seconds(60);

}  // namespace

std::string shadow_host(std::string_view host) {
    // The port starts at the last ':' unless that colon is inside an IPv6 literal.
    size_t colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos &&
        (host.front() == '[' || host.find(':') == colon)) {
        std::string out(host.substr(0, colon));
        out.append("-shadow").append(host.substr(colon));
        return out;
    }
    return std::string(host) + "-shadow";
}

std::unique_ptr<ShadowRequest> ShadowRequest::create(upstream::Cluster& cluster,
                                                     std::chrono::milliseconds timeout) {
    int endpoint = cluster.pick();
    if (endpoint < 0) {
        return nullptr;
    }
    std::unique_ptr<ShadowRequest> shadow(new ShadowRequest());
    shadow->shared_ = cluster.shared_handle();
    shadow->endpoint_ = cluster.endpoint(static_cast<size_t>(endpoint)).endpoint;
    shadow->connect_timeout_ = cluster.config().connect_timeout;
    shadow->timeout_ = timeout.count() > 0 ? timeout : kDefaultTimeout;
    shadow->max_requests_ = cluster.config().circuit_breakers.max_requests;
    shadow->max_pending_ = cluster.config().circuit_breakers.max_pending;
    return shadow;
}

ShadowRequest::~ShadowRequest() {
    if (holds_request_slot_) {
        shared_->circuit_breaker.release(Resource::Requests);
    }
}

bool ShadowRequest::add_body(std::string_view data) {
    if (body_.size() + data.size() > kMaxBody) {
        return false;
    }
    body_.append(data);
    return true;
}

void ShadowRequest::serialize_head(const http::RequestHead& head, std::string_view target) {
    // A copy whose fields still point into the stream's arena: it is serialized at once.
    http::RequestHead copy;
    copy.method = head.method;
    copy.target = head.target;
    std::string host;
    for (const http::HeaderField& field : head.headers) {
        if (field.id == http::HeaderId::Host) {
            host = shadow_host(field.value);
        } else {
            copy.headers.add_unowned(field.name, field.value, field.id);
        }
    }
    if (host.empty()) {
        host = shadow_host(head.authority);
    }
    copy.headers.add_unowned("Host", host, http::HeaderId::Host);
    copy.headers.add_unowned("Connection", "close", http::HeaderId::Connection);
    // The body is sent whole with its length, whatever framing the client used.
    http::BodyFraming framing =
        head.has_body() ? http::BodyFraming::ContentLength : http::BodyFraming::None;
    http::serialize_request_head(copy, target, framing, body_.size(), bytes_);
}

bool ShadowRequest::launch(std::unique_ptr<ShadowRequest> self, const http::RequestHead& head,
                           std::string_view target, const asio::any_io_executor& executor) {
    // The mirror cluster's own breakers: a full one drops the shadow, never the primary.
    if (!self->shared_->circuit_breaker.try_acquire(Resource::Requests, self->max_requests_)) {
        return false;
    }
    self->holds_request_slot_ = true;
    self->serialize_head(head, target);
    self->bytes_.append(self->body_);
    self->body_.clear();
    self->body_.shrink_to_fit();
    self->socket_.emplace(executor);
    ShadowRequest* shadow = self.get();
    asio::co_spawn(
        executor,
        [owned = std::move(self), shadow]() -> asio::awaitable<void> { co_await shadow->run(); },
        asio::detached);
    return true;
}

asio::awaitable<void> ShadowRequest::run() {
    asio::ip::tcp::socket& socket = *socket_;
    // One timer bounds the whole shadow; expiry closes the socket, which ends every operation.
    // The handler only touches the socket when the wait really expired (not when cancelled).
    asio::steady_timer deadline(socket.get_executor());
    deadline.expires_after(timeout_);
    deadline.async_wait([&socket](boost::system::error_code ec) {
        if (!ec) {
            boost::system::error_code ignored;
            socket.close(ignored);
        }
    });
    upstream::CircuitBreaker& breaker = shared_->circuit_breaker;
    bool is_connected = false;
    if (breaker.try_acquire(Resource::Pending, max_pending_)) {
        asio::steady_timer connect_deadline(socket.get_executor());
        connect_deadline.expires_after(connect_timeout_);
        connect_deadline.async_wait([&socket](boost::system::error_code ec) {
            if (!ec) {
                boost::system::error_code ignored;
                socket.close(ignored);
            }
        });
        auto [ec] = co_await socket.async_connect(endpoint_, kAwait);
        connect_deadline.cancel();
        breaker.release(Resource::Pending);
        is_connected = !ec && socket.is_open();
    }
    if (is_connected) {
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes_), kAwait);
        // The response is read and dropped until the upstream closes (Connection: close).
        while (!ec && socket.is_open()) {
            auto [read_ec, read] = co_await socket.async_read_some(asio::buffer(sink_), kAwait);
            ec = read_ec;
        }
    }
    deadline.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
    // A deadline that expired just before the cancel has its handler queued already, and that
    // handler closes `socket`: let it run before the socket goes away with this frame.
    asio::steady_timer settle(socket.get_executor());
    settle.expires_after(std::chrono::milliseconds(0));
    co_await settle.async_wait(kAwait);
}

}  // namespace gantry::proxy
