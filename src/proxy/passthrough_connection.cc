#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gantry/proxy/passthrough_connection.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/runtime/log.h>
#include <gantry/tls/client_hello.h>

namespace gantry::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kPumpBuffer = 16 * 1024;
// Room for a ClientHello of the largest size accepted plus its record headers.
constexpr size_t kHelloBuffer = tls::kClientHelloMaxBytes + 1024;

}  // namespace

PassthroughConnection::PassthroughConnection(proxy::ProxyWorker& worker, std::string listener_name,
                                             tcp::socket socket)
    : worker_(worker)
    , listener_name_(std::move(listener_name))
    , client_(std::move(socket))
    , upstream_(client_.get_executor())
    , timer_(client_.get_executor()) {}

void PassthroughConnection::start() {
    asio::co_spawn(
        client_.get_executor(),
        [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->run(); },
        asio::detached);
}

asio::awaitable<void> PassthroughConnection::run() {
    // Pins this worker's generation (and so its clusters) for the connection's life.
    proxy::WorkerGenerationRef generation = worker_.current();
    const config::ListenerRuntime* listener = generation->generation->find_listener(listener_name_);
    if (listener == nullptr) {
        close();
        co_return;
    }
    arm_timer(listener->config->limits.header_timeout);
    std::string server_name;
    const std::string* cluster_name = nullptr;
    if (co_await read_client_hello(server_name)) {
        cluster_name = route(*listener, server_name);
    }
    upstream::Cluster* cluster = cluster_name ? generation->find_cluster(*cluster_name) : nullptr;
    int index = cluster ? cluster->pick() : -1;
    if (index < 0) {
        log::debug("passthrough ", listener_name_, ": no route for server name `", server_name,
                   "`");
        close();
        co_return;
    }
    auto endpoint = static_cast<size_t>(index);
    cluster->on_request_start(endpoint);
    if (co_await connect(cluster->endpoint(endpoint).endpoint, cluster->config().connect_timeout)) {
        auto [ec, n] = co_await asio::async_write(upstream_, asio::buffer(hello_), kAwait);
        if (!ec) {
            co_await (pump(client_, upstream_) && pump(upstream_, client_));
        }
    } else {
        log::debug("passthrough ", listener_name_, ": cannot connect to ",
                   cluster->endpoint(endpoint).text);
    }
    cluster->on_request_end(endpoint);
    close();
}

asio::awaitable<bool> PassthroughConnection::read_client_hello(std::string& server_name) {
    hello_.resize(kHelloBuffer);
    size_t have = 0;
    for (;;) {
        auto [ec, n] = co_await client_.async_read_some(
            asio::buffer(hello_.data() + have, hello_.size() - have), kAwait);
        if (ec || is_timed_out_) {
            co_return false;
        }
        have += n;
        tls::ClientHello hello = tls::parse_client_hello(std::string_view(hello_.data(), have));
        if (hello.status == tls::ClientHelloStatus::Done) {
            hello_.resize(have);
            server_name = std::move(hello.server_name);
            co_return true;
        }
        if (hello.status == tls::ClientHelloStatus::Invalid || have == hello_.size()) {
            co_return false;
        }
    }
}

const std::string* PassthroughConnection::route(const config::ListenerRuntime& listener,
                                                const std::string& server_name) const {
    const config::ListenerConfig& config = *listener.config;
    if (auto index = listener.sni_routes.find(server_name)) {
        return &config.sni_routes[*index].cluster;
    }
    return config.default_cluster.empty() ? nullptr : &config.default_cluster;
}

asio::awaitable<bool> PassthroughConnection::connect(const tcp::endpoint& endpoint,
                                                     std::chrono::milliseconds timeout) {
    arm_timer(timeout);
    auto [ec] = co_await upstream_.async_connect(endpoint, kAwait);
    timer_.cancel();
    if (ec || is_timed_out_) {
        co_return false;
    }
    boost::system::error_code ignored;
    upstream_.set_option(tcp::no_delay(true), ignored);
    co_return true;
}

asio::awaitable<void> PassthroughConnection::pump(tcp::socket& from, tcp::socket& to) {
    std::array<char, kPumpBuffer> buffer;
    for (;;) {
        auto [read_ec, n] = co_await from.async_read_some(asio::buffer(buffer), kAwait);
        if (read_ec) {
            boost::system::error_code ignored;
            if (read_ec == asio::error::eof) {
                to.shutdown(tcp::socket::shutdown_send, ignored);  // pass the half-close on
            } else {
                close();  // a reset: the whole stream is over
            }
            co_return;
        }
        auto [write_ec, written] =
            co_await asio::async_write(to, asio::buffer(buffer.data(), n), kAwait);
        if (write_ec) {
            close();
            co_return;
        }
    }
}

void PassthroughConnection::arm_timer(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) {
            self->is_timed_out_ = true;
            boost::system::error_code ignored;
            self->client_.cancel(ignored);
            self->upstream_.cancel(ignored);
        }
    });
}

void PassthroughConnection::close() {
    boost::system::error_code ignored;
    timer_.cancel();
    client_.close(ignored);
    upstream_.close(ignored);
}

}  // namespace gantry::proxy
