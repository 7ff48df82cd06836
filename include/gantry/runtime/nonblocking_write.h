#pragma once

// An immediate write on a socket in non-blocking mode: what the kernel takes now, without a trip
// through the event loop. Used by the response path and the upstream request head, which write
// inline first and fall back to an asynchronous write only for the rest.

#include <cstddef>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace gantry::runtime {

// Returns how many bytes of `bytes` the socket took. A full socket buffer is not an error (0
// bytes, `ec` clear); any other failure is left in `ec`.
inline size_t write_now(boost::asio::ip::tcp::socket& socket, boost::asio::const_buffer bytes,
                        boost::system::error_code& ec) {
    size_t written = socket.write_some(bytes, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        ec = {};
        return 0;
    }
    return ec ? 0 : written;
}

}  // namespace gantry::runtime
