#pragma once

// ServerContext: the TLS side of one listener for one config generation: an SSL_CTX per group of
// certificates that share their DNS names (RSA and ECDSA certificates for the same names live in
// one SSL_CTX, where OpenSSL picks by the client's signature algorithms), the SNI table that
// chooses among the groups, versions, ciphers, ALPN, client-certificate verification, session
// cache and ticket keys. Built by Generation::build on the main thread; afterwards only const
// calls, from any worker's thread (OpenSSL's SSL_CTX is safe for concurrent SSL_new and
// handshakes). Connections hold it with a shared_ptr while they handshake, and their SSL objects
// hold the SSL_CTX they were made from, so a reload that frees the generation leaves open
// connections untouched while new handshakes use the new certificates.

#include <memory>
#include <string>
#include <vector>

#include <openssl/types.h>

#include <gantry/config.h>
#include <gantry/tls/sni_table.h>

namespace gantry::tls {

class ServerContext {
public:
    // Builds the context for a listener. `offer_h2` / `offer_http1`: whether "h2" / "http/1.1"
    // may be negotiated by ALPN (the listener's `protocols` include http2 / http1). Returns null
    // with `error` set on failure.
    static std::shared_ptr<const ServerContext> build(const std::string& listener_name,
                                                      const config::ListenerTlsConfig& config,
                                                      bool offer_h2, bool offer_http1,
                                                      std::string* error);

    ~ServerContext();
    ServerContext(const ServerContext&) = delete;
    ServerContext& operator=(const ServerContext&) = delete;

    // A server-side SSL object for one accepted connection (not yet bound to a socket); null
    // when OpenSSL is out of memory. The caller owns it.
    SSL* new_ssl() const;

    const config::ListenerTlsConfig& config() const { return config_; }

    // SNI: switches `ssl` to the group serving `server_name` (no match: stays on the first).
    void select_certificate(SSL* ssl, const char* server_name) const;

    // ALPN: picks the server's most preferred protocol the client offers.
    int select_alpn(const unsigned char** out, unsigned char* out_length, const unsigned char* in,
                    unsigned int in_length) const;

private:
    ServerContext() = default;
    bool add_group(const std::vector<const config::TlsCertificateConfig*>& certificates,
                   std::string* error);
    bool configure(SSL_CTX* ctx, std::string* error) const;

    std::string listener_name_;
    config::ListenerTlsConfig config_;
    std::vector<SSL_CTX*> contexts_;  // [0] serves clients without SNI or without a match
    SniTable names_;
    std::string alpn_wire_;  // the server's ALPN list in wire format, most preferred first
    std::string session_id_context_;
};

}  // namespace gantry::tls
