#include <algorithm>
#include <ctime>
#include <map>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <gantry/tls/certificate.h>
#include <gantry/tls/server_context.h>
#include <gantry/tls/ticket_keys.h>

namespace gantry::tls {

namespace {

// TLS 1.2: forward-secret AEAD suites only (Mozilla's "intermediate" list without DHE).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.3: OpenSSL's suites, AES-128-GCM first (the cheapest per byte with AES-NI).
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr long kSessionCacheSize = 20480;
constexpr long kSessionTimeoutSeconds = 2 * 3600;

std::string openssl_reason() {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    const char* reason = code ? ERR_reason_error_string(code) : nullptr;
    return reason ? reason : "unknown OpenSSL error";
}

int on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name != nullptr) {
        static_cast<const ServerContext*>(arg)->select_certificate(ssl, name);
    }
    return SSL_TLSEXT_ERR_OK;
}

int on_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
            const unsigned char* in, unsigned int in_length, void* arg) {
    return static_cast<const ServerContext*>(arg)->select_alpn(out, out_length, in, in_length);
}

// OpenSSL's ticket-key callback: seal new tickets with this hour's key, open tickets of the
// last few hours (and ask for a fresh ticket when the key was not the current one). A TLS 1.3
// resumption always asks for a fresh ticket: clients use a ticket once (RFC 8446 C.4), and
// OpenSSL issues none after a resumption unless told to, so a client that keeps only its last
// ticket (wrk, curl, browsers) would fall back to a full handshake every other connection.
int on_ticket_key(SSL* ssl, unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                  EVP_MAC_CTX* mac, int encrypt) {
    int64_t now = current_ticket_period();
    int64_t period = now;
    if (!encrypt) {
        std::optional<int64_t> issued = ticket_key_period(key_name);
        if (!issued || *issued > now || now - *issued > kTicketKeysKeptForDecryption) {
            return 0;  // unknown or expired: a full handshake, then a new ticket
        }
        period = *issued;
    }
    TicketKey key = ticket_key_for_period(period);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac_key.data(),
                                          key.hmac_key.size()),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    if (encrypt) {
        std::copy(key.name.begin(), key.name.end(), key_name);
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1 ||
            EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv) != 1 ||
            EVP_MAC_CTX_set_params(mac, params) != 1) {
            return -1;
        }
        return 1;
    }
    if (EVP_MAC_CTX_set_params(mac, params) != 1 ||
        EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv) != 1) {
        return -1;
    }
    return period == now && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
}

std::string alpn_wire(const std::vector<std::string>& protocols) {
    std::string wire;
    for (const auto& protocol : protocols) {
        wire.push_back(static_cast<char>(protocol.size()));
        wire.append(protocol);
    }
    return wire;
}

// The listener's ALPN list: as configured (else h2, http/1.1), less what the listener's
// protocols do not serve.
std::vector<std::string> alpn_protocols(const config::ListenerTlsConfig& config, bool offer_h2,
                                        bool offer_http1) {
    std::vector<std::string> protocols =
        config.alpn.empty() ? std::vector<std::string>{"h2", "http/1.1"} : config.alpn;
    if (!offer_h2) {
        std::erase(protocols, "h2");
    }
    if (!offer_http1) {
        std::erase(protocols, "http/1.1");
    }
    return protocols;
}

}  // namespace

std::shared_ptr<const ServerContext> ServerContext::build(const std::string& listener_name,
                                                          const config::ListenerTlsConfig& config,
                                                          bool offer_h2, bool offer_http1,
                                                          std::string* error) {
    std::shared_ptr<ServerContext> context(new ServerContext());
    context->listener_name_ = listener_name;
    context->config_ = config;
    context->alpn_wire_ = alpn_wire(alpn_protocols(config, offer_h2, offer_http1));
    // Sessions resume only on the listener (and client-certificate policy) that made them.
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    std::string id = listener_name + '|' + config.client_ca + '|' +
                     std::to_string(static_cast<int>(config.client_auth));
    EVP_Digest(id.data(), id.size(), digest, &digest_length, EVP_sha256(), nullptr);
    context->session_id_context_.assign(reinterpret_cast<char*>(digest),
                                        std::min<unsigned int>(digest_length, 32));
    // Certificates whose DNS names are the same form one group (one SSL_CTX).
    std::vector<
        std::pair<std::vector<std::string>, std::vector<const config::TlsCertificateConfig*>>>
        groups;
    for (const auto& certificate : config.certificates) {
        BIO* bio = BIO_new_file(certificate.cert.c_str(), "r");
        X509* leaf = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
        BIO_free(bio);
        if (leaf == nullptr) {
            *error = "cannot read certificate `" + certificate.cert + "`: " + openssl_reason();
            return nullptr;
        }
        std::vector<std::string> names = dns_names(leaf);
        X509_free(leaf);
        std::sort(names.begin(), names.end());
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const auto& group) { return group.first == names; });
        if (it == groups.end()) {
            groups.push_back({names, {}});
            it = groups.end() - 1;
        }
        it->second.push_back(&certificate);
    }
    for (const auto& [names, certificates] : groups) {
        if (!context->add_group(certificates, error)) {
            return nullptr;
        }
        for (const auto& name : names) {
            context->names_.add(name, context->contexts_.size() - 1);
        }
    }
    return context;
}

bool ServerContext::add_group(const std::vector<const config::TlsCertificateConfig*>& certificates,
                              std::string* error) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) {
        *error = "cannot create a TLS context: " + openssl_reason();
        return false;
    }
    contexts_.push_back(ctx);  // freed by the destructor from here on
    std::vector<std::string> kinds;
    for (const auto* certificate : certificates) {
        if (SSL_CTX_use_certificate_chain_file(ctx, certificate->cert.c_str()) != 1) {
            *error = "cannot load certificate `" + certificate->cert + "`: " + openssl_reason();
            return false;
        }
        std::string kind = key_kind(SSL_CTX_get0_certificate(ctx));
        if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) {
            *error = "certificate `" + certificate->cert + "`: another " + kind +
                     " certificate already serves the same names";
            return false;
        }
        kinds.push_back(kind);
        if (SSL_CTX_use_PrivateKey_file(ctx, certificate->key.c_str(), SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            *error = "cannot use key `" + certificate->key + "`: " + openssl_reason();
            return false;
        }
    }
    return configure(ctx, error);
}

bool ServerContext::configure(SSL_CTX* ctx, std::string* error) const {
    int min_version =
        config_.min_version == config::TlsVersion::Tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, min_version);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
        SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 ||
        SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
        *error = "cannot set the cipher list: " + openssl_reason();
        return false;
    }
    auto* self = const_cast<ServerContext*>(this);  // the callbacks only read it
    SSL_CTX_set_tlsext_servername_callback(ctx, on_server_name);
    SSL_CTX_set_tlsext_servername_arg(ctx, self);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, self);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, kSessionCacheSize);
    SSL_CTX_set_timeout(ctx, kSessionTimeoutSeconds);
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
    SSL_CTX_set_session_id_context(
        ctx, reinterpret_cast<const unsigned char*>(session_id_context_.data()),
        static_cast<unsigned int>(session_id_context_.size()));
    if (!config_.client_ca.empty() && config_.client_auth != config::ClientAuth::None) {
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config_.client_ca.c_str());
        if (names == nullptr ||
            SSL_CTX_load_verify_locations(ctx, config_.client_ca.c_str(), nullptr) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            *error = "cannot load client_ca `" + config_.client_ca + "`: " + openssl_reason();
            return false;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        int mode = SSL_VERIFY_PEER;
        if (config_.client_auth == config::ClientAuth::Required) {
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }
        SSL_CTX_set_verify(ctx, mode, nullptr);
    }
    return true;
}

ServerContext::~ServerContext() {
    for (SSL_CTX* ctx : contexts_) {
        SSL_CTX_free(ctx);
    }
}

SSL* ServerContext::new_ssl() const {
    SSL* ssl = SSL_new(contexts_.front());
    if (ssl != nullptr) {
        SSL_set_accept_state(ssl);
        // Read whole TLS records (and what follows) in one read(2) rather than two.
        SSL_set_read_ahead(ssl, 1);
    }
    return ssl;
}

void ServerContext::select_certificate(SSL* ssl, const char* server_name) const {
    std::optional<size_t> group = names_.find(server_name);
    if (group && *group != 0) {
        // Moves the certificates and ALPN callback over; the verification settings, versions
        // and session cache stay those of the first context, which are the same.
        SSL_set_SSL_CTX(ssl, contexts_[*group]);
    }
}

int ServerContext::select_alpn(const unsigned char** out, unsigned char* out_length,
                               const unsigned char* in, unsigned int in_length) const {
    if (alpn_wire_.empty()) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    unsigned char* selected = nullptr;
    int rc = SSL_select_next_proto(&selected, out_length,
                                   reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                                   static_cast<unsigned int>(alpn_wire_.size()), in, in_length);
    if (rc != OPENSSL_NPN_NEGOTIATED) {
        // No protocol in common: carry on without ALPN (HTTP/1.1), as most servers do.
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace gantry::tls
