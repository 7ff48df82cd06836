#pragma once

// ConnectionInfo: what a finished TLS handshake tells the request path: protocol version,
// cipher, SNI, ALPN, and the verified client certificate (its subject for the access log and the
// x-forwarded-client-cert value passed upstream). Filled once per connection after the
// handshake; owned by the connection and read by its streams on the same worker thread.

#include <string>
#include <string_view>

#include <openssl/types.h>

namespace gantry::tls {

struct ConnectionInfo {
    std::string_view protocol;   // "TLSv1.3"; static strings owned by OpenSSL
    std::string_view cipher;     // "TLS_AES_128_GCM_SHA256"
    std::string server_name;     // SNI as the client sent it; empty without
    std::string alpn;            // negotiated protocol; empty without
    std::string client_subject;  // RFC 2253 subject of a verified client certificate
    // Envoy's x-forwarded-client-cert element for a verified client certificate
    // (By, Hash, Subject, URI, DNS); empty without one.
    std::string client_cert_details;
};

// Describes `ssl` after a successful server-side handshake.
ConnectionInfo describe_connection(SSL* ssl);

// Quotes an XFCC value when it holds one of , ; = " (escaping quotes), as Envoy does.
std::string xfcc_value(std::string_view value);

}  // namespace gantry::tls
