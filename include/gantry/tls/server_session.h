#pragma once

// ServerSession: what a finished server-side TLS handshake leaves for the connection that serves
// the client (HTTP/1.1 or HTTP/2): the listener's context, kept for the connection's life because
// its callbacks may still run (session tickets) after a reload freed the generation, and what the
// handshake negotiated. One allocation per TLS connection, owned by the connection.

#include <memory>

#include <gantry/tls/connection_info.h>

namespace gantry::tls {

class ServerContext;

struct ServerSession {
    std::shared_ptr<const ServerContext> context;
    ConnectionInfo info;
};

}  // namespace gantry::tls
