#pragma once

// Hop-by-hop header rules of RFC 9110 section 7.6.1, applied by the proxy before forwarding a
// head in either direction.

#include <string_view>

#include <gantry/http/headers.h>

namespace gantry::http {

// Removes Connection and every header it names, Keep-Alive, Proxy-Connection, TE,
// Transfer-Encoding, Content-Length (the serializer writes framing itself) and Upgrade.
// When `keep_upgrade` is true (an upgrade being tunnelled) Upgrade stays and the caller writes
// "Connection: upgrade" itself.
void remove_hop_by_hop(HeaderMap& headers, bool keep_upgrade);

// True when the comma-separated list `value` contains `token` (case-insensitive, OWS trimmed).
bool header_has_token(std::string_view value, std::string_view token);

}  // namespace gantry::http
