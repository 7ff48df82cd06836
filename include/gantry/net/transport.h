#pragma once

// Transport: the byte stream under a connection: a TCP socket, optionally with TLS on top. The
// connection classes (HTTP/1.1 DownstreamConnection, the HTTP/2 connection, the upstream
// connection) read and write through it and do not care which it is. The calls keep the shape
// of the plain path (readiness waits, then synchronous non-blocking reads and writes), so a plain
// connection pays one predictable branch per call and no virtual call; a TLS connection maps
// OpenSSL's WANT_READ / WANT_WRITE to readiness waits on the same socket.
// Owned by one connection; touched only by its worker's thread.

#include <array>
#include <cstddef>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

struct ssl_st;

namespace gantry::net {

class Transport {
public:
    using ReadResult = std::tuple<boost::system::error_code, size_t>;

    explicit Transport(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;
    // Moves the socket and the TLS session (bound to the same descriptor) to another
    // connection class, e.g. from the HTTP/1.1 connection to HTTP/2 after ALPN chose "h2".
    Transport(Transport&& other) noexcept;
    Transport& operator=(Transport&&) = delete;

    boost::asio::ip::tcp::socket& socket() { return socket_; }

    bool is_tls() const { return ssl_ != nullptr; }

    // The TLS session (null for plain TCP), e.g. to read what the handshake negotiated.
    ssl_st* ssl() const { return ssl_; }

    // Puts TLS on the socket: takes ownership of `ssl` (made in accept or connect state) and
    // binds it to the socket's descriptor. Call before any read or write.
    void attach_tls(ssl_st* ssl);

    // Runs the TLS handshake (in the state `ssl` was made in); ends early on cancel().
    boost::asio::awaitable<boost::system::error_code> async_handshake();

    // Reads what is available now. Nothing yet: error would_block (or try_again).
    size_t read_some(boost::asio::mutable_buffer buffer, boost::system::error_code& ec) {
        return ssl_ ? tls_read_some(buffer, ec) : socket_.read_some(buffer, ec);
    }

    // Reads at least one byte (or fails: eof, a reset, operation_aborted after cancel()).
    boost::asio::awaitable<ReadResult> async_read_some(boost::asio::mutable_buffer buffer) {
        if (ssl_) {
            return tls_async_read_some(buffer);
        }
        return socket_.async_read_some(buffer, boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    // Returns how many bytes of `bytes` were taken now. A full socket is not an error (0 bytes,
    // `ec` clear). With TLS, bytes not taken must be offered again, first, by the next write.
    size_t write_now(boost::asio::const_buffer bytes, boost::system::error_code& ec) {
        if (ssl_) {
            return tls_write_now(bytes, ec);
        }
        size_t written = socket_.write_some(bytes, ec);
        if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
            ec = {};
            return 0;
        }
        return ec ? 0 : written;
    }

    // Writes all of `bytes`, waiting for the socket as needed.
    boost::asio::awaitable<ReadResult> async_write(boost::asio::const_buffer bytes) {
        if (ssl_) {
            return tls_async_write(bytes);
        }
        return boost::asio::async_write(socket_, bytes,
                                        boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    // Writes all of several buffers (a chunk header, its data, its CRLF), in order.
    template <size_t N>
    boost::asio::awaitable<ReadResult> async_write(
        const std::array<boost::asio::const_buffer, N>& buffers) {
        if (ssl_) {
            return tls_async_write_all(buffers);
        }
        return boost::asio::async_write(socket_, buffers,
                                        boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    // Waits until a read would find something (with TLS: at once when decrypted bytes wait).
    boost::asio::awaitable<std::tuple<boost::system::error_code>> async_wait_readable() {
        if (ssl_) {
            return tls_async_wait_readable();
        }
        return socket_.async_wait(boost::asio::ip::tcp::socket::wait_read,
                                  boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    // Waits until the socket takes more bytes (after write_now() took fewer than offered).
    boost::asio::awaitable<std::tuple<boost::system::error_code>> async_wait_writable() {
        return socket_.async_wait(boost::asio::ip::tcp::socket::wait_write,
                                  boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    // Ends the sending direction (TLS: a close_notify first, best effort).
    void shutdown_send(boost::system::error_code& ec);

    // Ends both directions without closing the descriptor.
    void shutdown_both(boost::system::error_code& ec);

    // Makes pending waits finish with operation_aborted.
    void cancel(boost::system::error_code& ec) { socket_.cancel(ec); }

    void close(boost::system::error_code& ec) { socket_.close(ec); }

private:
    size_t tls_read_some(boost::asio::mutable_buffer buffer, boost::system::error_code& ec);
    size_t tls_write_now(boost::asio::const_buffer bytes, boost::system::error_code& ec);
    boost::asio::awaitable<ReadResult> tls_async_read_some(boost::asio::mutable_buffer buffer);
    boost::asio::awaitable<ReadResult> tls_async_write(boost::asio::const_buffer bytes);

    template <size_t N>
    boost::asio::awaitable<ReadResult> tls_async_write_all(
        std::array<boost::asio::const_buffer, N> buffers) {
        size_t total = 0;
        for (const auto& buffer : buffers) {
            if (buffer.size() == 0) {
                continue;
            }
            auto [ec, n] = co_await tls_async_write(buffer);
            total += n;
            if (ec) {
                co_return ReadResult{ec, total};
            }
        }
        co_return ReadResult{boost::system::error_code{}, total};
    }

    boost::asio::awaitable<std::tuple<boost::system::error_code>> tls_async_wait_readable();
    // Waits for the readiness OpenSSL asked for in its last call.
    boost::asio::awaitable<boost::system::error_code> wait_for_tls();
    // Maps the result of an SSL call to an error code; sets wants_write_ for would_block.
    boost::system::error_code tls_error(int result);

    boost::asio::ip::tcp::socket socket_;
    ssl_st* ssl_ = nullptr;
    bool wants_write_ = false;  // the last would_block came from WANT_WRITE
    // The last read found only part of a record: what OpenSSL buffers cannot be read before
    // more bytes arrive, so a readiness wait must go to the socket.
    bool is_read_starved_ = false;
};

}  // namespace gantry::net
