#pragma once

// The key a hash balancer (ring_hash, maglev) places a request by, from `hash_on`: a header's
// first value, a cookie's value, the client's IP address, or the path. Pure; called on the
// worker's thread while picking an endpoint.

#include <cstdint>
#include <optional>
#include <string_view>

#include <gantry/config.h>
#include <gantry/http/message.h>

namespace gantry::upstream {

// The hash of the request's key, or nullopt when the request has none (the header or cookie is
// absent, or `hash_on` is not set); the balancer then picks at random, as Envoy does.
std::optional<uint64_t> request_hash(const config::HashOn& hash_on, const http::RequestHead& head,
                                     std::string_view client_ip);

// The value of cookie `name` in a Cookie header value ("a=1; b=2"), or nullopt.
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

}  // namespace gantry::upstream
