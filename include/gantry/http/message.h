#pragma once

// RequestHead and ResponseHead: the protocol-neutral heads that codecs produce and filters,
// the router and serializers consume. Their bytes live in the owning stream's arena.

#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string_view>

#include <gantry/http/headers.h>

namespace gantry::http {

struct RequestHead {
    explicit RequestHead(std::pmr::memory_resource* mr = std::pmr::get_default_resource())
        : headers(mr) {}

    std::string_view method;     // upper-case token, e.g. "GET"
    std::string_view target;     // request-target as received, e.g. "/a/b?x=1"
    std::string_view path;       // target up to '?'
    std::string_view query;      // after '?', without it; empty when absent
    std::string_view authority;  // Host header (or absolute-form authority), validated
    uint8_t version_major = 1;
    uint8_t version_minor = 1;
    HeaderMap headers;

    // Framing facts the codec derived (the framing headers themselves are hop-by-hop).
    std::optional<uint64_t> content_length;
    bool is_chunked = false;
    bool keep_alive = true;         // after Connection: close / HTTP/1.0 rules
    bool expects_continue = false;  // Expect: 100-continue
    bool wants_upgrade = false;     // Connection: upgrade + Upgrade: <proto>
    std::string_view upgrade;       // value of Upgrade when wants_upgrade

    bool has_body() const { return is_chunked || (content_length && *content_length > 0); }
};

struct ResponseHead {
    explicit ResponseHead(std::pmr::memory_resource* mr = std::pmr::get_default_resource())
        : headers(mr) {}

    int status = 200;
    std::string_view reason;  // may be empty; serializers supply the standard phrase
    uint8_t version_major = 1;
    uint8_t version_minor = 1;
    HeaderMap headers;

    std::optional<uint64_t> content_length;
    bool is_chunked = false;
    bool keep_alive = true;
    // True when the body runs until the connection closes (no length, not chunked).
    bool is_close_delimited = false;
};

// Standard reason phrase for a status code ("OK", "Not Found", ...); "Unknown" otherwise.
std::string_view reason_phrase(int status);

// True when a response with this status to this request method carries no body
// (1xx, 204, 304, and any response to HEAD).
bool response_has_no_body(int status, std::string_view request_method);

}  // namespace gantry::http
