#include <catch2/catch.hpp>

#include <gantry/error.h>

using gantry::ProxyError;

TEST_CASE("each proxy error has its contract status and a static name", "[error]") {
    using Kind = ProxyError::Kind;
    using Phase = ProxyError::Phase;

    struct Expectation {
        Kind kind;
        int status;
        const char* name;
    };

    const Expectation expectations[] = {
        {Kind::BadRequest, 400, "bad-request"},
        {Kind::NoRoute, 404, "no-route"},
        {Kind::HeaderTimeout, 408, "header-timeout"},
        {Kind::BodyTooLarge, 413, "body-too-large"},
        {Kind::HeadersTooLarge, 431, "headers-too-large"},
        {Kind::ConnectFailure, 502, "upstream-connect-failure"},
        {Kind::UpstreamReset, 502, "upstream-reset"},
        {Kind::InvalidResponse, 502, "upstream-invalid-response"},
        {Kind::NoHealthyEndpoint, 503, "no-healthy-endpoint"},
        {Kind::Overloaded, 503, "overloaded"},
        {Kind::UpstreamTimeout, 504, "upstream-timeout"},
    };
    for (const auto& expected : expectations) {
        ProxyError error = ProxyError::upstream(Phase::Connect, expected.kind);
        INFO(expected.name);
        CHECK(error.to_status() == expected.status);
        CHECK(error.name() == expected.name);
    }
}

TEST_CASE("only upstream failures are retryable", "[error]") {
    using Kind = ProxyError::Kind;
    using Phase = ProxyError::Phase;
    CHECK(ProxyError::upstream(Phase::Connect, Kind::ConnectFailure).retryable());
    CHECK(ProxyError::upstream(Phase::ResponseHead, Kind::UpstreamReset).retryable());
    CHECK_FALSE(ProxyError::upstream(Phase::ResponseHead, Kind::InvalidResponse).retryable());
    CHECK_FALSE(ProxyError::downstream(Phase::RequestHead, Kind::BadRequest).retryable());
}

TEST_CASE("codec statuses map onto error kinds", "[error]") {
    CHECK(gantry::kind_for_status(413) == ProxyError::Kind::BodyTooLarge);
    CHECK(gantry::kind_for_status(431) == ProxyError::Kind::HeadersTooLarge);
    CHECK(gantry::kind_for_status(400) == ProxyError::Kind::BadRequest);
    CHECK(gantry::kind_for_status(408) == ProxyError::Kind::HeaderTimeout);
}
