#include <string>

#include <catch2/catch.hpp>

#include <gantry/http/hop_by_hop.h>

namespace {

std::string names(const gantry::http::HeaderMap& headers) {
    std::string out;
    for (const auto& f : headers) {
        out += std::string(f.name) + ";";
    }
    return out;
}

}  // namespace

TEST_CASE("header_has_token matches list members case-insensitively", "[http][hop_by_hop]") {
    using gantry::http::header_has_token;
    CHECK(header_has_token("close", "close"));
    CHECK(header_has_token(" Keep-Alive , Upgrade\t", "upgrade"));
    CHECK(header_has_token("a,,b", "b"));
    CHECK_FALSE(header_has_token("closed", "close"));
    CHECK_FALSE(header_has_token("", "close"));
    CHECK_FALSE(header_has_token("x-close", "close"));
}

TEST_CASE("remove_hop_by_hop strips the fixed set and fields Connection names",
          "[http][hop_by_hop]") {
    gantry::http::HeaderMap headers;
    headers.add("Host", "h");
    headers.add("Connection", "keep-alive, X-Secret");
    headers.add("Keep-Alive", "timeout=5");
    headers.add("X-Secret", "1");
    headers.add("Proxy-Connection", "keep-alive");
    headers.add("TE", "trailers");
    headers.add("Transfer-Encoding", "chunked");
    headers.add("Content-Length", "3");
    headers.add("Upgrade", "websocket");
    headers.add("connection", "x-other");
    headers.add("X-Other", "2");
    headers.add("Accept", "*/*");
    gantry::http::remove_hop_by_hop(headers, false);
    CHECK(names(headers) == "Host;Accept;");
}

TEST_CASE("remove_hop_by_hop keeps Upgrade for tunnels and never removes Host",
          "[http][hop_by_hop]") {
    gantry::http::HeaderMap headers;
    headers.add("Host", "h");
    headers.add("Connection", "Upgrade, Host, Connection");
    headers.add("Upgrade", "websocket");
    headers.add("Sec-WebSocket-Key", "k");
    gantry::http::remove_hop_by_hop(headers, true);
    CHECK(names(headers) == "Host;Upgrade;Sec-WebSocket-Key;");
}

TEST_CASE("remove_hop_by_hop removes well-known fields Connection names, by id",
          "[http][hop_by_hop]") {
    gantry::http::HeaderMap headers;
    headers.add("Host", "h");
    headers.add("X-Forwarded-For", "10.0.0.1");
    headers.add("Content-Type", "text/plain");
    headers.add("Connection", "x-forwarded-for, CONTENT-TYPE");
    headers.add("x-forwarded-for", "10.0.0.2");
    headers.add("Accept", "*/*");
    gantry::http::remove_hop_by_hop(headers, false);
    CHECK(names(headers) == "Host;Accept;");
}

TEST_CASE("remove_hop_by_hop handles more listed names than it keeps inline",
          "[http][hop_by_hop]") {
    gantry::http::HeaderMap headers;
    headers.add("Host", "h");
    std::string first_list;
    std::string second_list;
    for (int i = 0; i < 20; ++i) {
        headers.add("X-Opt-" + std::to_string(i), "1");
        std::string& list = i < 10 ? first_list : second_list;
        list += (i % 2 == 0 ? "x-opt-" : "X-OPT-") + std::to_string(i) + " , ";
    }
    headers.add("X-Keep", "1");
    headers.add("Connection", first_list);
    headers.add("Connection", second_list);
    gantry::http::remove_hop_by_hop(headers, false);
    CHECK(names(headers) == "Host;X-Keep;");
}

TEST_CASE("remove_hop_by_hop leaves a head without hop-by-hop fields alone", "[http][hop_by_hop]") {
    gantry::http::HeaderMap headers;
    headers.add("Host", "h");
    headers.add("User-Agent", "ua");
    headers.add("Accept", "*/*");
    gantry::http::remove_hop_by_hop(headers, true);
    CHECK(names(headers) == "Host;User-Agent;Accept;");
}
