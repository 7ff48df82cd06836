#pragma once

// Syntax checks and case folding shared by the config loader (main thread only, at load time).
// The public parsers (parse_duration, parse_size, parse_host_port) live in gantry/config.h.

#include <string>
#include <string_view>

#include <gantry/config.h>

namespace gantry::config {

std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);

// RFC 9110 token: header names, methods and upgrade protocols.
bool is_http_token(std::string_view text);

// A header value gantry can write: no CR, LF or NUL.
bool is_header_value(std::string_view text);

bool is_ipv4_literal(std::string_view text);
bool is_ipv6_literal(std::string_view text);  // without brackets

// A DNS name (letters, digits, '-', '_' and dots, one optional trailing dot). A name whose last
// label is all digits is rejected, so a mistyped IPv4 address ("10.0.0.300") is not taken for one.
bool is_hostname(std::string_view text);

// What makes two addresses the same one: the host without case, and the port.
std::string address_key(const HostPort& address);

// An IPv4 literal, a DNS name or a bracketed IPv6 literal ("[::1]"), without a port.
bool is_host(std::string_view text);

}  // namespace gantry::config
