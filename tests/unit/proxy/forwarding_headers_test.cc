#include <memory_resource>
#include <string>

#include <catch2/catch.hpp>

#include <gantry/proxy/forwarding_headers.h>

using gantry::http::HeaderId;
using gantry::http::RequestHead;
using gantry::proxy::prepare_forwarded_request;

namespace {

std::string value_of(const RequestHead& head, std::string_view name) {
    const auto* field = head.headers.get(name);
    return field ? std::string(field->value) : std::string("<absent>");
}

}  // namespace

TEST_CASE("forwarding appends the client to X-Forwarded-For and sets the proto", "[proxy]") {
    std::pmr::monotonic_buffer_resource arena;
    RequestHead head(&arena);
    head.headers.add("Host", "example.com");
    prepare_forwarded_request(head, "10.0.0.9", "http", false);
    CHECK(value_of(head, "x-forwarded-for") == "10.0.0.9");
    CHECK(value_of(head, "X-Forwarded-Proto") == "http");
    CHECK(value_of(head, "host") == "example.com");
}

TEST_CASE("forwarding joins several X-Forwarded-For fields in order", "[proxy]") {
    std::pmr::monotonic_buffer_resource arena;
    RequestHead head(&arena);
    head.headers.add("X-Forwarded-For", "1.1.1.1");
    head.headers.add("Accept", "*/*");
    head.headers.add("x-forwarded-for", "2.2.2.2, 3.3.3.3");
    head.headers.add("X-Forwarded-Proto", "https");
    prepare_forwarded_request(head, "127.0.0.1", "http", false);
    CHECK(head.headers.count(HeaderId::XForwardedFor) == 1);
    CHECK(value_of(head, "x-forwarded-for") == "1.1.1.1, 2.2.2.2, 3.3.3.3, 127.0.0.1");
    CHECK(head.headers.count(HeaderId::XForwardedProto) == 1);
    CHECK(value_of(head, "x-forwarded-proto") == "http");
}

TEST_CASE("forwarding drops hop-by-hop fields and Expect", "[proxy]") {
    std::pmr::monotonic_buffer_resource arena;
    RequestHead head(&arena);
    head.headers.add("Connection", "close, x-private");
    head.headers.add("X-Private", "secret");
    head.headers.add("Keep-Alive", "timeout=5");
    head.headers.add("Proxy-Connection", "keep-alive");
    head.headers.add("TE", "trailers");
    head.headers.add("Transfer-Encoding", "chunked");
    head.headers.add("Upgrade", "websocket");
    head.headers.add("Expect", "100-continue");
    head.headers.add("X-Kept", "yes");
    prepare_forwarded_request(head, "127.0.0.1", "http", false);
    for (const char* name : {"connection", "x-private", "keep-alive", "proxy-connection", "te",
                             "transfer-encoding", "upgrade", "expect"}) {
        INFO(name);
        CHECK(head.headers.get(name) == nullptr);
    }
    CHECK(value_of(head, "x-kept") == "yes");
}

TEST_CASE("forwarding an accepted upgrade keeps Upgrade and says Connection: upgrade", "[proxy]") {
    std::pmr::monotonic_buffer_resource arena;
    RequestHead head(&arena);
    head.headers.add("Connection", "Upgrade");
    head.headers.add("Upgrade", "websocket");
    prepare_forwarded_request(head, "127.0.0.1", "http", true);
    CHECK(value_of(head, "upgrade") == "websocket");
    CHECK(value_of(head, "connection") == "upgrade");
    CHECK(head.headers.count(HeaderId::Connection) == 1);
}

TEST_CASE("rewrite_prefix replaces the matched prefix and keeps the query", "[proxy]") {
    std::pmr::monotonic_buffer_resource arena;
    gantry::http::HeaderMap storage(&arena);
    using gantry::proxy::rewrite_path_prefix;
    CHECK(rewrite_path_prefix(storage, "/example/a/b", "x=1", "/example/", "/") == "/a/b?x=1");
    CHECK(rewrite_path_prefix(storage, "/example/", "", "/example/", "/") == "/");
    CHECK(rewrite_path_prefix(storage, "/api/v1/users", "", "/api/", "/internal/") ==
          "/internal/v1/users");
    CHECK(rewrite_path_prefix(storage, "/api", "", "/api", "") == "/");
    CHECK(rewrite_path_prefix(storage, "/old/x", "", "/old", "/new") == "/new/x");
}

TEST_CASE("a client-sent x-forwarded-client-cert is removed and the verified one set", "[proxy]") {
    std::pmr::monotonic_buffer_resource arena;
    RequestHead head(&arena);
    head.headers.add("X-Forwarded-Client-Cert", "Subject=\"CN=admin\"");
    head.headers.add("x-forwarded-client-cert", "By=x");
    gantry::proxy::set_client_cert_details(head, "Hash=ab;Subject=\"CN=c\"");
    size_t fields = 0;
    for (const auto& field : head.headers) {
        fields += field.name == "x-forwarded-client-cert" ? 1 : 0;
    }
    CHECK(fields == 1);
    CHECK(value_of(head, "x-forwarded-client-cert") == "Hash=ab;Subject=\"CN=c\"");
    gantry::proxy::set_client_cert_details(head, "");
    CHECK(value_of(head, "x-forwarded-client-cert") == "<absent>");
}
