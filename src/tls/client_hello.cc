#include <cstdint>
#include <optional>

#include <gantry/tls/client_hello.h>

namespace gantry::tls {

namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHelloType = 1;
constexpr uint16_t kServerNameExtension = 0;
constexpr uint8_t kHostNameType = 0;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecordPayload = 16384;  // RFC 8446 5.1: a plaintext record's limit
constexpr size_t kMaxHostName = 255;

// A bounds-checked reader over one byte range; every read fails once the range is exhausted.
class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    std::optional<uint32_t> number(size_t width) {
        if (bytes_.size() < width) {
            return std::nullopt;
        }
        uint32_t value = 0;
        for (size_t i = 0; i < width; ++i) {
            value = (value << 8) | static_cast<uint8_t>(bytes_[i]);
        }
        bytes_.remove_prefix(width);
        return value;
    }

    std::optional<std::string_view> bytes(size_t n) {
        if (bytes_.size() < n) {
            return std::nullopt;
        }
        std::string_view out = bytes_.substr(0, n);
        bytes_.remove_prefix(n);
        return out;
    }

    // A vector with a `width`-byte length prefix.
    std::optional<std::string_view> vector(size_t width) {
        auto length = number(width);
        return length ? bytes(*length) : std::nullopt;
    }

    bool empty() const { return bytes_.empty(); }

private:
    std::string_view bytes_;
};

// Finds the host name in the server_name extension's data (RFC 6066 section 3).
std::optional<std::string> read_server_name(std::string_view data) {
    Reader reader(data);
    auto list = reader.vector(2);
    if (!list || !reader.empty()) {
        return std::nullopt;
    }
    Reader names(*list);
    while (!names.empty()) {
        auto type = names.number(1);
        auto name = names.vector(2);
        if (!type || !name) {
            return std::nullopt;
        }
        if (*type == kHostNameType) {
            if (name->empty() || name->size() > kMaxHostName) {
                return std::nullopt;
            }
            return std::string(*name);
        }
    }
    return std::string();
}

// Parses a whole ClientHello body (after the 4-byte handshake header).
ClientHello parse_body(std::string_view body) {
    ClientHello invalid{ClientHelloStatus::Invalid, {}};
    Reader reader(body);
    auto version = reader.number(2);
    auto random = reader.bytes(32);
    auto session_id = reader.vector(1);
    auto suites = reader.vector(2);
    auto compression = reader.vector(1);
    if (!version || *version < 0x0300 || !random || !session_id || session_id->size() > 32 ||
        !suites || suites->empty() || suites->size() % 2 != 0 || !compression ||
        compression->empty()) {
        return invalid;
    }
    ClientHello done{ClientHelloStatus::Done, {}};
    if (reader.empty()) {
        return done;  // no extensions at all (old clients): no SNI
    }
    auto extensions = reader.vector(2);
    if (!extensions || !reader.empty()) {
        return invalid;
    }
    Reader each(*extensions);
    while (!each.empty()) {
        auto type = each.number(2);
        auto data = each.vector(2);
        if (!type || !data) {
            return invalid;
        }
        if (*type == kServerNameExtension) {
            auto name = read_server_name(*data);
            if (!name) {
                return invalid;
            }
            done.server_name = std::move(*name);
        }
    }
    return done;
}

}  // namespace

ClientHello parse_client_hello(std::string_view bytes) {
    ClientHello need_more{ClientHelloStatus::NeedMore, {}};
    ClientHello invalid{ClientHelloStatus::Invalid, {}};
    // Handshake bytes gathered from successive records until the message is whole.
    std::string handshake;
    size_t message_size = 0;  // header + body, known once 4 handshake bytes are in
    while (true) {
        if (bytes.size() < kRecordHeader) {
            // Check what is there already, so that garbage is refused from its first bytes.
            if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) != kHandshakeRecord) {
                return invalid;
            }
            if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[1]) != 3) {
                return invalid;
            }
            return need_more;
        }
        auto type = static_cast<uint8_t>(bytes[0]);
        auto major = static_cast<uint8_t>(bytes[1]);
        size_t length = (static_cast<uint8_t>(bytes[3]) << 8) | static_cast<uint8_t>(bytes[4]);
        if (type != kHandshakeRecord || major != 3 || length == 0 || length > kMaxRecordPayload) {
            return invalid;
        }
        if (bytes.size() < kRecordHeader + length) {
            if (bytes.size() >= kClientHelloMaxBytes) {
                return invalid;
            }
            // Parse what there is of this record too, so a bad hello fails early.
            handshake.append(bytes.substr(kRecordHeader));
            bytes = {};
        } else {
            handshake.append(bytes.substr(kRecordHeader, length));
            bytes.remove_prefix(kRecordHeader + length);
        }
        if (handshake.size() >= 4 && message_size == 0) {
            if (static_cast<uint8_t>(handshake[0]) != kClientHelloType) {
                return invalid;
            }
            size_t body = (static_cast<uint8_t>(handshake[1]) << 16) |
                          (static_cast<uint8_t>(handshake[2]) << 8) |
                          static_cast<uint8_t>(handshake[3]);
            message_size = 4 + body;
            if (message_size > kClientHelloMaxBytes) {
                return invalid;
            }
        }
        if (message_size != 0 && handshake.size() >= message_size) {
            return parse_body(std::string_view(handshake).substr(4, message_size - 4));
        }
        if (bytes.empty()) {
            return need_more;
        }
    }
}

}  // namespace gantry::tls
