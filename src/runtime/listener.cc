#include <netinet/tcp.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gantry/proxy/downstream_connection.h>
#include <gantry/proxy/passthrough_connection.h>
#include <gantry/runtime/listener.h>
#include <gantry/runtime/log.h>
#include <gantry/runtime/worker.h>

namespace gantry::runtime {

namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(Worker& worker, std::string name, tcp::acceptor acceptor)
    : worker_(worker)
    , name_(std::move(name))
    , acceptor_(std::move(acceptor)) {}

bool Listener::open(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, std::string* error) {
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        int one = 1;
        if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) {
            ec.assign(errno, boost::system::system_category());
        }
    }
    if (!ec && endpoint.address().is_v6()) {
        acceptor.set_option(asio::ip::v6_only(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        std::ostringstream text;
        text << "cannot listen on " << endpoint << ": " << ec.message();
        *error = text.str();
        return false;
    }
    return true;
}

void Listener::start() {
    auto loop = [](Listener* self) -> asio::awaitable<void> {
        for (;;) {
            auto [ec, socket] =
                co_await self->acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) {
                co_return;
            }
            if (ec) {
                // EMFILE and friends: log and keep accepting; the backlog holds the client.
                log::warn("listener ", self->name_, ": accept failed: ", ec.message());
                continue;
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            if (self->is_passthrough()) {
                std::make_shared<proxy::PassthroughConnection>(self->worker_, self->name_,
                                                               std::move(socket))
                    ->start();
                continue;
            }
            auto connection = std::make_shared<proxy::DownstreamConnection>(
                self->worker_, self->name_, std::move(socket));
            connection->start();
        }
    };
    // The listener lives until its worker's io_context has stopped running, so `this` is safe.
    asio::co_spawn(acceptor_.get_executor(), loop(this), asio::detached);
}

bool Listener::is_passthrough() const {
    // The connection class follows the listener's mode in the worker's current generation.
    const runtime::ListenerRuntime* listener = worker_.current()->generation->find_listener(name_);
    return listener != nullptr && listener->config->mode == config::ListenerMode::TlsPassthrough;
}

void Listener::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

}  // namespace gantry::runtime
