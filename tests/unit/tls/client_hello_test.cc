#include <string>

#include <catch2/catch.hpp>

#include <gantry/tls/client_hello.h>

using namespace gantry::tls;

namespace {

std::string u16(size_t v) {
    return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

std::string u24(size_t v) {
    return std::string(1, static_cast<char>(v >> 16)) + u16(v & 0xffff);
}

std::string extension(uint16_t type, const std::string& data) {
    return u16(type) + u16(data.size()) + data;
}

std::string sni_extension(const std::string& name) {
    std::string entry = std::string(1, '\0') + u16(name.size()) + name;
    return extension(0, u16(entry.size()) + entry);
}

// A ClientHello handshake message with the given extensions block (none when `extensions` is
// nullptr).
std::string hello_message(const std::string* extensions) {
    std::string body = u16(0x0303) + std::string(32, 'r') + std::string(1, '\0') + u16(4) +
                       std::string("\x13\x01\xc0\x2f", 4) + std::string("\x01\x00", 2);
    if (extensions != nullptr) {
        body += u16(extensions->size()) + *extensions;
    }
    return std::string(1, '\x01') + u24(body.size()) + body;
}

// The message in TLS records of at most `record_size` bytes each.
std::string in_records(const std::string& message, size_t record_size = 16384) {
    std::string out;
    for (size_t at = 0; at < message.size(); at += record_size) {
        std::string part = message.substr(at, record_size);
        out += std::string("\x16\x03\x01", 3) + u16(part.size()) + part;
    }
    return out;
}

std::string hello_with_sni(const std::string& name) {
    std::string extensions = extension(0x000b, std::string("\x01\x00", 2)) + sni_extension(name) +
                             extension(0x0010, u16(3) + std::string("\x02h2", 3));
    return in_records(hello_message(&extensions));
}

}  // namespace

TEST_CASE("the server name is read from a whole ClientHello", "[tls][client_hello]") {
    ClientHello hello = parse_client_hello(hello_with_sni("db.example.com"));
    CHECK(hello.status == ClientHelloStatus::Done);
    CHECK(hello.server_name == "db.example.com");
}

TEST_CASE("a ClientHello split at every byte is NeedMore until its last byte",
          "[tls][client_hello]") {
    std::string bytes = hello_with_sni("a.test");
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        INFO(cut);
        CHECK(parse_client_hello(bytes.substr(0, cut)).status == ClientHelloStatus::NeedMore);
    }
    CHECK(parse_client_hello(bytes).server_name == "a.test");
}

TEST_CASE("a ClientHello spread over several TLS records is reassembled", "[tls][client_hello]") {
    std::string extensions = sni_extension("split.example");
    std::string message = hello_message(&extensions);
    for (size_t record_size : {1u, 7u, 40u}) {
        std::string bytes = in_records(message, record_size);
        ClientHello hello = parse_client_hello(bytes);
        CHECK(hello.status == ClientHelloStatus::Done);
        CHECK(hello.server_name == "split.example");
        CHECK(parse_client_hello(bytes.substr(0, bytes.size() - 1)).status ==
              ClientHelloStatus::NeedMore);
    }
}

TEST_CASE("a ClientHello without SNI or without extensions is Done with no name",
          "[tls][client_hello]") {
    std::string no_sni = extension(0x000b, std::string("\x01\x00", 2));
    CHECK(parse_client_hello(in_records(hello_message(&no_sni))).status == ClientHelloStatus::Done);
    CHECK(parse_client_hello(in_records(hello_message(&no_sni))).server_name.empty());
    ClientHello bare = parse_client_hello(in_records(hello_message(nullptr)));
    CHECK(bare.status == ClientHelloStatus::Done);
    CHECK(bare.server_name.empty());
}

TEST_CASE("bytes that are not a ClientHello are refused early", "[tls][client_hello]") {
    CHECK(parse_client_hello("GET / HTTP/1.1\r\n").status == ClientHelloStatus::Invalid);
    CHECK(parse_client_hello("G").status == ClientHelloStatus::Invalid);
    CHECK(parse_client_hello(std::string("\x16\x02", 2)).status == ClientHelloStatus::Invalid);
    // An alert record, a ServerHello, an empty record, an oversized record.
    CHECK(parse_client_hello(std::string("\x15\x03\x01\x00\x02\x02\x28", 7)).status ==
          ClientHelloStatus::Invalid);
    CHECK(parse_client_hello(std::string("\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9)).status ==
          ClientHelloStatus::Invalid);
    CHECK(parse_client_hello(std::string("\x16\x03\x01\x00\x00", 5)).status ==
          ClientHelloStatus::Invalid);
    CHECK(parse_client_hello(std::string("\x16\x03\x01\x48\x01", 5)).status ==
          ClientHelloStatus::Invalid);
}

TEST_CASE("lengths that overrun their container make the hello invalid", "[tls][client_hello]") {
    std::string bad_sni = extension(0, u16(10) + std::string(1, '\0') + u16(200) + "short");
    CHECK(parse_client_hello(in_records(hello_message(&bad_sni))).status ==
          ClientHelloStatus::Invalid);
    std::string empty_name = sni_extension("");
    CHECK(parse_client_hello(in_records(hello_message(&empty_name))).status ==
          ClientHelloStatus::Invalid);
    std::string long_name = sni_extension(std::string(300, 'a'));
    CHECK(parse_client_hello(in_records(hello_message(&long_name))).status ==
          ClientHelloStatus::Invalid);
    // A handshake length larger than the bound is refused before the bytes arrive.
    std::string huge = std::string("\x16\x03\x01\x00\x04\x01", 6) + u24(100000);
    CHECK(parse_client_hello(huge).status == ClientHelloStatus::Invalid);
}
