#pragma once

// Reading certificate and key files: the checks `gantry check` and the loader run on every
// configured file (so a bad PEM is a FILE:LINE:COL error, not a failed handshake later), and the
// DNS names SNI selects a certificate by. Main thread only (config load and generation build).

#include <string>
#include <vector>

#include <openssl/types.h>

namespace gantry::tls {

// Loads a PEM certificate chain and its private key and checks that the key belongs to the
// leaf certificate. Returns an empty string when they are usable, else why not.
std::string check_key_pair(const std::string& cert_path, const std::string& key_path);

// Checks that `path` holds at least one PEM certificate (a CA bundle). Empty string when usable.
std::string check_ca_file(const std::string& path);

// The certificate's DNS subject alternative names, lower-case; its subject common name when it
// has no DNS names at all.
std::vector<std::string> dns_names(X509* certificate);

// Whether the key is an RSA key ("RSA"), an EC key ("EC") or another kind (its OpenSSL name).
std::string key_kind(X509* certificate);

}  // namespace gantry::tls
