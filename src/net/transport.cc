#include <cerrno>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gantry/net/transport.h>

namespace gantry::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

}  // namespace

Transport::~Transport() {
    if (ssl_ != nullptr) {
        SSL_free(ssl_);
    }
}

Transport::Transport(Transport&& other) noexcept
    : socket_(std::move(other.socket_))
    , ssl_(std::exchange(other.ssl_, nullptr))
    , wants_write_(other.wants_write_)
    , is_read_starved_(other.is_read_starved_) {}

void Transport::attach_tls(ssl_st* ssl) {
    ssl_ = ssl;
    SSL_set_fd(ssl_, socket_.native_handle());
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

error_code Transport::tls_error(int result) {
    int code = SSL_get_error(ssl_, result);
    // OpenSSL's error queue is per thread and shared by every connection of this worker:
    // leave nothing behind for the next connection's SSL_get_error to trip on.
    ERR_clear_error();
    switch (code) {
        case SSL_ERROR_WANT_READ:
            wants_write_ = false;
            return asio::error::would_block;
        case SSL_ERROR_WANT_WRITE:
            wants_write_ = true;
            return asio::error::would_block;
        case SSL_ERROR_ZERO_RETURN:
            return asio::error::eof;
        case SSL_ERROR_SYSCALL:
            if (errno == 0 || errno == EAGAIN) {
                return asio::error::eof;
            }
            return error_code(errno, boost::system::system_category());
        default:
            return asio::error::connection_aborted;  // a TLS protocol error (alert sent)
    }
}

asio::awaitable<error_code> Transport::wait_for_tls() {
    auto wait = wants_write_ ? tcp::socket::wait_write : tcp::socket::wait_read;
    auto [ec] = co_await socket_.async_wait(wait, kAwait);
    co_return ec;
}

asio::awaitable<error_code> Transport::async_handshake() {
    for (;;) {
        int result = SSL_do_handshake(ssl_);
        if (result == 1) {
            co_return error_code{};
        }
        error_code ec = tls_error(result);
        if (ec != asio::error::would_block) {
            co_return ec;
        }
        if (error_code wait_ec = co_await wait_for_tls()) {
            co_return wait_ec;
        }
    }
}

size_t Transport::tls_read_some(asio::mutable_buffer buffer, error_code& ec) {
    size_t n = 0;
    int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n);
    if (result == 1) {
        ec = {};
        is_read_starved_ = false;
        return n;
    }
    ec = tls_error(result);
    is_read_starved_ = ec == asio::error::would_block && !wants_write_;
    return 0;
}

asio::awaitable<Transport::ReadResult> Transport::tls_async_read_some(asio::mutable_buffer buffer) {
    for (;;) {
        error_code ec;
        size_t n = tls_read_some(buffer, ec);
        if (ec != asio::error::would_block) {
            co_return ReadResult{ec, n};
        }
        if (error_code wait_ec = co_await wait_for_tls()) {
            co_return ReadResult{wait_ec, 0};
        }
    }
}

size_t Transport::tls_write_now(asio::const_buffer bytes, error_code& ec) {
    // Partial writes are on, so SSL_write_ex returns after each record: keep going while the
    // socket takes them, so a large body leaves in as few trips as the plain path.
    const auto* data = static_cast<const char*>(bytes.data());
    size_t total = 0;
    ec = {};
    while (total < bytes.size()) {
        size_t n = 0;
        int result = SSL_write_ex(ssl_, data + total, bytes.size() - total, &n);
        if (result != 1) {
            ec = tls_error(result);
            if (ec == asio::error::would_block) {
                ec = {};
            }
            return ec ? 0 : total;
        }
        total += n;
    }
    return total;
}

asio::awaitable<Transport::ReadResult> Transport::tls_async_write(asio::const_buffer bytes) {
    size_t total = 0;
    const auto* data = static_cast<const char*>(bytes.data());
    while (total < bytes.size()) {
        error_code ec;
        total += tls_write_now(asio::buffer(data + total, bytes.size() - total), ec);
        if (ec) {
            co_return ReadResult{ec, total};
        }
        if (total == bytes.size()) {
            break;
        }
        if (error_code wait_ec = co_await wait_for_tls()) {
            co_return ReadResult{wait_ec, total};
        }
    }
    co_return ReadResult{error_code{}, total};
}

asio::awaitable<std::tuple<error_code>> Transport::tls_async_wait_readable() {
    // With read-ahead, whole records (e.g. what the client sent right behind its handshake)
    // may wait inside OpenSSL while the socket has nothing; but a partial record there must
    // not count, or a reader would spin on a read that cannot finish.
    if (!is_read_starved_ && SSL_has_pending(ssl_)) {
        co_return std::tuple<error_code>{};
    }
    auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, kAwait);
    co_return std::tuple<error_code>{ec};
}

void Transport::shutdown_send(error_code& ec) {
    if (ssl_ != nullptr && SSL_is_init_finished(ssl_)) {
        SSL_shutdown(ssl_);  // queues close_notify; a full socket just loses it
        ERR_clear_error();
    }
    socket_.shutdown(tcp::socket::shutdown_send, ec);
}

void Transport::shutdown_both(error_code& ec) {
    if (ssl_ != nullptr && SSL_is_init_finished(ssl_)) {
        SSL_shutdown(ssl_);
        ERR_clear_error();
    }
    socket_.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace gantry::net
