#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gantry/proxy/downstream_connection.h>
#include <gantry/proxy/passthrough_connection.h>
#include <gantry/runtime/log.h>
#include <gantry/server/connection_bootstrap.h>
#include <gantry/server/listener.h>
#include <gantry/server/worker.h>

namespace gantry::server {

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
    // Plain system calls: the descriptor is registered with its worker's reactor only when the
    // worker adopts it (Listener's constructor), so the main thread touches no worker state.
    auto fail = [&](const char* what) {
        int code = errno;
        std::ostringstream text;
        text << "cannot listen on " << endpoint << ": " << what << ": " << std::strerror(code);
        *error = text.str();
        return ListenSocket();
    };
    ListenSocket socket;
    socket.endpoint_ = endpoint;
    socket.fd_ = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (socket.fd_ < 0) {
        return fail("socket");
    }
    int one = 1;
    if (::setsockopt(socket.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        ::setsockopt(socket.fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        return fail("setsockopt");
    }
    if (endpoint.address().is_v6() &&
        ::setsockopt(socket.fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
        return fail("setsockopt");
    }
    if (::bind(socket.fd_, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
        return fail("bind");
    }
    if (::listen(socket.fd_, SOMAXCONN) != 0) {
        return fail("listen");
    }
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
            self->start_connection(std::move(socket));
        }
    };
    asio::co_spawn(acceptor_.get_executor(), loop(shared_from_this()), asio::detached);
}

void Listener::start_connection(tcp::socket socket) {
    // The connection class follows the listener in the worker's current generation. A plain-TCP
    // HTTP/1.1-only listener (the common case) goes straight to its DownstreamConnection, with
    // no bootstrap object, coroutine or system call in between.
    const config::ListenerRuntime* listener = worker_.current()->generation->find_listener(name_);
    if (listener != nullptr && listener->config->mode == config::ListenerMode::TlsPassthrough) {
        std::make_shared<proxy::PassthroughConnection>(worker_, name_, std::move(socket))->start();
    } else if (listener != nullptr && needs_bootstrap(*listener->config)) {
        std::make_shared<ConnectionBootstrap>(worker_, name_, std::move(socket))->start(*listener);
    } else {
        std::make_shared<proxy::DownstreamConnection>(worker_, name_, std::move(socket))->start();
    }
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

}  // namespace gantry::server
