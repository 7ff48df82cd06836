#pragma once

// MultiplexedConnection: what an endpoint's ConnectionPool needs to know of an upstream
// connection that carries many requests at once (HTTP/2's http2::ClientConnection): whether it
// is still open and whether it takes one more request now. The pool holds such connections
// weakly (each lives while its read loop or a request holds it) and hands them back to the
// protocol that made them; upstream/ itself speaks no HTTP/2.

namespace gantry::upstream {

class MultiplexedConnection {
public:
    virtual ~MultiplexedConnection() = default;

    virtual bool is_open() const = 0;
    // Open, and under the peer's limit of concurrent streams (and not going away).
    virtual bool can_open_stream() const = 0;
};

}  // namespace gantry::upstream
