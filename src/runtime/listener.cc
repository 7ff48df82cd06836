#include <netinet/tcp.h>
#include <sstream>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gantry/proxy/downstream_connection.h>
#include <gantry/runtime/listener.h>
#include <gantry/runtime/log.h>
#include <gantry/runtime/worker.h>

namespace gantry::runtime {

namespace asio = boost::asio;
using asio::ip::tcp;

ListenSocket::~ListenSocket() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

ListenSocket::ListenSocket(ListenSocket&& other) noexcept
    : endpoint_(other.endpoint_)
    , fd_(other.release()) {}

ListenSocket& ListenSocket::operator=(ListenSocket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        endpoint_ = other.endpoint_;
        fd_ = other.release();
    }
    return *this;
}

int ListenSocket::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

ListenSocket ListenSocket::open(const tcp::endpoint& endpoint, std::string* error) {
    // A throwaway io_context: the descriptor is registered with its worker's reactor only when
    // the worker adopts it, on the worker's own thread.
    asio::io_context scratch;
    tcp::acceptor acceptor(scratch);
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
    ListenSocket socket;
    if (!ec) {
        socket.fd_ = acceptor.release(ec);
    }
    if (ec) {
        std::ostringstream text;
        text << "cannot listen on " << endpoint << ": " << ec.message();
        *error = text.str();
        return ListenSocket();
    }
    socket.endpoint_ = endpoint;
    return socket;
}

Listener::Listener(Worker& worker, std::string name, ListenSocket socket)
    : worker_(worker)
    , name_(std::move(name))
    , endpoint_(socket.endpoint())
    , acceptor_(worker.io_context()) {
    boost::system::error_code ec;
    int fd = socket.release();
    acceptor_.assign(endpoint_.protocol(), fd, ec);
    if (ec) {
        ::close(fd);
        log::error("listener ", name_, ": cannot adopt the socket for ", endpoint_, ": ",
                   ec.message());
    }
}

void Listener::start() {
    auto loop = [](std::shared_ptr<Listener> self) -> asio::awaitable<void> {
        while (self->acceptor_.is_open()) {
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
            auto connection = std::make_shared<proxy::DownstreamConnection>(
                self->worker_, self->name_, std::move(socket));
            connection->start();
        }
    };
    asio::co_spawn(acceptor_.get_executor(), loop(shared_from_this()), asio::detached);
}

void Listener::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

bool endpoint_covers(const tcp::endpoint& bound, const tcp::endpoint& local) {
    if (bound.port() != local.port() || bound.protocol() != local.protocol()) {
        return false;
    }
    return bound.address() == local.address() || bound.address().is_unspecified();
}

}  // namespace gantry::runtime
