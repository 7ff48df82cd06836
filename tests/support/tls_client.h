#pragma once

// TlsClient: a small blocking TLS client for tests that need more than one request on a
// connection or a look at what the handshake negotiated (curl and openssl s_client cover the
// rest). Every read and write is bounded by socket timeouts. Owned and used by one thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "support/test_util.h"

struct ssl_st;
struct ssl_ctx_st;

namespace gantry::test {

struct TlsClientOptions {
    std::string server_name;  // SNI; empty = none
    std::string ca;           // verify the server against this CA; empty = no verification
    std::string cert;         // client certificate (mTLS); empty = none
    std::string key;
    std::chrono::milliseconds timeout{5000};
};

class TlsClient {
public:
    TlsClient() = default;
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    // Connects to 127.0.0.1:port and handshakes; false (with error() set) on failure.
    bool connect(uint16_t port, const TlsClientOptions& options);

    const std::string& error() const { return error_; }

    // The subject (one line, OpenSSL's format) of the server's certificate.
    std::string peer_subject() const;

    // Sends `request` and reads one response (Content-Length framing, or until close).
    std::optional<std::string> exchange(const std::string& request);

    // Whether the server closed (or reset) the connection within the timeout.
    bool wait_closed();

private:
    int fd_ = -1;
    ssl_ctx_st* ctx_ = nullptr;
    ssl_st* ssl_ = nullptr;
    std::string error_;
    std::string buffered_;
};

}  // namespace gantry::test
