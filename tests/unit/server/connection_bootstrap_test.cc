#include <catch2/catch.hpp>

#include <gantry/server/connection_bootstrap.h>

namespace gantry::server {

namespace {

config::ListenerConfig listener_with(std::vector<config::Protocol> protocols, bool tls = false) {
    config::ListenerConfig listener;
    listener.protocols = std::move(protocols);
    if (tls) {
        listener.tls.emplace();
    }
    return listener;
}

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace

TEST_CASE("only a plain-TCP HTTP/1.1-only listener skips the bootstrap", "[bootstrap]") {
    using config::Protocol;
    CHECK_FALSE(needs_bootstrap(listener_with({Protocol::Http1})));
    CHECK(needs_bootstrap(listener_with({Protocol::Http1}, true)));
    CHECK(needs_bootstrap(listener_with({Protocol::Http1, Protocol::Http2})));
    CHECK(needs_bootstrap(listener_with({Protocol::Http2})));
}

TEST_CASE("ALPN h2 means HTTP/2; no ALPN means HTTP/2 only on an http2-only listener",
          "[bootstrap]") {
    using config::Protocol;
    auto both = listener_with({Protocol::Http1, Protocol::Http2}, true);
    auto h2_only = listener_with({Protocol::Http2}, true);
    auto h1_only = listener_with({Protocol::Http1}, true);
    CHECK(is_h2_negotiated("h2", both));
    CHECK(is_h2_negotiated("h2", h2_only));
    CHECK_FALSE(is_h2_negotiated("http/1.1", both));
    CHECK_FALSE(is_h2_negotiated("", both));
    CHECK(is_h2_negotiated("", h2_only));
    CHECK_FALSE(is_h2_negotiated("", h1_only));
}

TEST_CASE("the preface is told apart from HTTP/1.1 as soon as a byte differs", "[bootstrap]") {
    CHECK(match_http2_preface("") == PrefaceMatch::NeedMore);
    CHECK(match_http2_preface("PRI * HT") == PrefaceMatch::NeedMore);
    CHECK(match_http2_preface(kPreface.substr(0, 23)) == PrefaceMatch::NeedMore);
    CHECK(match_http2_preface(kPreface) == PrefaceMatch::Http2);
    CHECK(match_http2_preface(std::string(kPreface) + "frames") == PrefaceMatch::Http2);
    CHECK(match_http2_preface("GET / HTTP/1.1\r\n") == PrefaceMatch::Http1);
    CHECK(match_http2_preface("PRX") == PrefaceMatch::Http1);
    CHECK(match_http2_preface("PRI * HTTP/1.1\r\n") == PrefaceMatch::Http1);
}

}  // namespace gantry::server
