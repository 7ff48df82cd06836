#pragma once

// TlsOrigin: an `openssl s_server -www` process on a free loopback port, serving `certificate`
// (HTTP/1.0 pages that show the TLS session), for tests of TLS toward upstreams: upstream TLS
// and tls_passthrough. Killed on destruction. Test thread only.

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "support/test_pki.h"

namespace gantry::test {

class TlsOrigin {
public:
    // `extra`: more s_server arguments (a protocol version, client-certificate checks, ...).
    explicit TlsOrigin(const IssuedCertificate& certificate, std::vector<std::string> extra = {});
    ~TlsOrigin();

    TlsOrigin(const TlsOrigin&) = delete;
    TlsOrigin& operator=(const TlsOrigin&) = delete;

    uint16_t port() const { return port_; }

private:
    uint16_t port_;
    pid_t pid_ = -1;
};

}  // namespace gantry::test
