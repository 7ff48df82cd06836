#pragma once

// ClientContext: the TLS side of one cluster for one config generation: an SSL_CTX that
// verifies endpoints against the cluster's CA bundle (or the system's), presents its client
// certificate, offers ALPN http/1.1, and makes SSL objects that send SNI, check the name and
// resume the endpoint's last session. Built by Generation::build on the main thread; afterwards
// only const calls from any worker's thread (SSL_CTX is safe for concurrent SSL_new).

#include <memory>
#include <string>

#include <openssl/types.h>

struct ssl_session_st;

#include <gantry/config.h>

namespace gantry::tls {

// The last resumable TLS session of one upstream endpoint, kept by that endpoint's connection
// pool (one per endpoint per worker) and filled by OpenSSL's new-session callback whenever a
// handshake or a TLS 1.3 ticket produces one. Worker thread only.
class SessionSlot {
public:
    SessionSlot() = default;
    ~SessionSlot();
    SessionSlot(SessionSlot&& other) noexcept;
    SessionSlot& operator=(SessionSlot&& other) noexcept;

    ssl_session_st* get() const { return session_; }

    // Takes ownership of `session`.
    void set(ssl_session_st* session);

private:
    ssl_session_st* session_ = nullptr;
};

class ClientContext {
public:
    // Null with `error` set when a file cannot be loaded.
    static std::shared_ptr<const ClientContext> build(const config::ClusterTlsConfig& config,
                                                      std::string* error);

    ~ClientContext();
    ClientContext(const ClientContext&) = delete;
    ClientContext& operator=(const ClientContext&) = delete;

    // A client-side SSL object for a connection to an endpoint whose configured host is `host`
    // (a name or an IP literal). SNI and the verified name are the cluster's `sni`, else `host`
    // when it is a name; an IP literal is checked against the certificate's IP addresses.
    // The session in `slot` is offered for resumption, and new sessions go into it. The SSL
    // object shares ownership of the slot, so a connection that outlives its pool (a reload, a
    // DNS change) still has somewhere to put a late ticket. Null when out of memory.
    SSL* new_ssl(const std::string& host, const std::shared_ptr<SessionSlot>& slot) const;

    const config::ClusterTlsConfig& config() const { return config_; }

private:
    ClientContext() = default;
    config::ClusterTlsConfig config_;
    SSL_CTX* ctx_ = nullptr;
};

}  // namespace gantry::tls
