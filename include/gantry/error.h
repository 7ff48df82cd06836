#pragma once

// ProxyError: who x when x what of a failed request (HAProxy's termination state crossed with
// Pingora's error source). A value type: cheap to copy, no allocation, with a static name used by
// `x-gantry-error` and the access log. The status and retryability are decided here only.

#include <cstdint>
#include <string_view>

namespace gantry {

struct ProxyError {
    enum class Side : uint8_t { None, Downstream, Upstream, Internal };
    enum class Phase : uint8_t {
        None,
        RequestHead,
        RequestBody,
        Connect,
        ResponseHead,
        ResponseBody
    };
    enum class Kind : uint8_t {
        None,
        BadRequest,         // 400: malformed request
        NoRoute,            // 404: no virtual host or route matched
        HeaderTimeout,      // 408: request head not received in time
        BodyTooLarge,       // 413: over max_request_body
        HeadersTooLarge,    // 431: over max_request_headers / max_headers
        ConnectFailure,     // 502: upstream refused or connect timed out
        UpstreamReset,      // 502: upstream closed or reset before a full response
        InvalidResponse,    // 502: upstream response broke HTTP/1.1 rules
        NoHealthyEndpoint,  // 503: cluster has no endpoint to pick
        Overloaded,         // 503: a limit was hit
        UpstreamTimeout,    // 504: route timeout / per-try timeout expired
        DownstreamReset,    // client went away (499 in the log, as nginx does)
        DownstreamTimeout,  // client too slow sending the body
        Draining,           // 503: the process is shutting down
        Internal,           // 500: a bug or resource failure inside gantry
    };

    Side side = Side::None;
    Phase phase = Phase::None;
    Kind kind = Kind::None;

    bool is_error() const { return kind != Kind::None; }

    // Static kebab-case name, e.g. "upstream-connect-failure"; "" for Kind::None.
    std::string_view name() const;

    // The status gantry answers with when no response byte has reached the client yet.
    int to_status() const;

    // Whether a retry on another endpoint could succeed (used by the retry issue).
    bool retryable() const;

    static ProxyError downstream(Phase phase, Kind kind) { return {Side::Downstream, phase, kind}; }

    static ProxyError upstream(Phase phase, Kind kind) { return {Side::Upstream, phase, kind}; }
};

// Name of a parser error reason given by the codec, mapped onto a Kind by status.
ProxyError::Kind kind_for_status(int status);

}  // namespace gantry
