#pragma once

// TestPki: a throw-away certificate authority for the TLS tests, made at test time with the
// openssl CLI in a temporary directory (no private key is committed). It issues server and
// client certificates with the DNS and URI names a test asks for, as RSA or ECDSA keys.
// Owned by one test; test thread only.

#include <string>
#include <vector>

#include "support/test_util.h"

namespace gantry::test {

struct IssuedCertificate {
    std::string cert;  // PEM path
    std::string key;   // PEM path
};

enum class KeyType { Rsa, Ecdsa };

class TestPki {
public:
    // Creates the CA ("CN=<name>"); REQUIREs that openssl succeeds.
    explicit TestPki(const std::string& name = "gantry test CA");

    const std::string& ca() const { return ca_cert_; }

    const std::string& dir() const { return dir_.path(); }

    // Issues a certificate signed by this CA. `sans` are written as OpenSSL subjectAltName
    // items ("DNS:a.test", "URI:spiffe://x"). `file` names the output files (<file>.pem/.key).
    IssuedCertificate issue(const std::string& file, const std::string& common_name,
                            const std::vector<std::string>& sans, KeyType type = KeyType::Ecdsa);

private:
    TempDir dir_;
    std::string ca_cert_;
    std::string ca_key_;
};

}  // namespace gantry::test
