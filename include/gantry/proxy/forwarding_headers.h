#pragma once

// The header rules a proxy applies to a request before forwarding it (RFC 9110 7.6): drop
// hop-by-hop fields, append X-Forwarded-For, set X-Forwarded-Proto, and announce an upgrade only
// when it is being tunnelled. Pure functions over a head; used by the router.

#include <string_view>

#include <gantry/http/message.h>

namespace gantry::proxy {

// `client_ip` is appended to X-Forwarded-For; `scheme` becomes X-Forwarded-Proto. When
// `tunnel_upgrade` is true, Upgrade is kept and "Connection: upgrade" is written.
void prepare_forwarded_request(http::RequestHead& head, std::string_view client_ip,
                               std::string_view scheme, bool tunnel_upgrade);

// x-forwarded-client-cert: whatever the client sent is removed (it could claim any identity);
// `details` (the verified client certificate of this connection, Envoy's format), when not
// empty, becomes its value (copied into the head's memory).
void set_client_cert_details(http::RequestHead& head, std::string_view details);

// Replaces the path prefix `prefix` of `path` with `replacement` and re-attaches the query.
// The result is stored in the head's memory resource.
std::string_view rewrite_path_prefix(http::HeaderMap& storage, std::string_view path,
                                     std::string_view query, std::string_view prefix,
                                     std::string_view replacement);

}  // namespace gantry::proxy
