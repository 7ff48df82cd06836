#pragma once

// A reader of the first bytes a TLS client sends, for routing by SNI without terminating TLS
// (tls_passthrough listeners). It reassembles the ClientHello from TLS handshake records (one or
// several, however TCP split them) and finds the server_name extension. Pure: no I/O, no state
// between calls; the caller re-runs it on the grown buffer, which kClientHelloMaxBytes bounds.

#include <cstddef>
#include <string>
#include <string_view>

namespace gantry::tls {

// Bytes a passthrough listener reads at most before it decides (records of a ClientHello with
// every extension a browser sends fit in a fraction of this).
constexpr size_t kClientHelloMaxBytes = 16 * 1024;

enum class ClientHelloStatus {
    NeedMore,  // a prefix of a valid ClientHello: read more bytes
    Done,      // a complete ClientHello; server_name is set when it carried one
    Invalid,   // not a TLS ClientHello (or larger than kClientHelloMaxBytes)
};

struct ClientHello {
    ClientHelloStatus status = ClientHelloStatus::NeedMore;
    std::string server_name;  // the host_name of the SNI extension, as sent; empty without
};

// Parses the start of a client's byte stream.
ClientHello parse_client_hello(std::string_view bytes);

}  // namespace gantry::tls
