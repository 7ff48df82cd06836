#include <utility>

#include <boost/asio/ip/address.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <gantry/tls/client_context.h>

namespace gantry::tls {

namespace {

constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

std::string openssl_reason() {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    const char* reason = code ? ERR_reason_error_string(code) : nullptr;
    return reason ? reason : "unknown OpenSSL error";
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

// The SSL object's share of its slot: a heap shared_ptr in the ex_data, freed with the SSL.
void free_slot_reference(void* /*parent*/, void* pointer, CRYPTO_EX_DATA* /*data*/, int /*index*/,
                         long /*argl*/, void* /*argp*/) {
    delete static_cast<std::shared_ptr<SessionSlot>*>(pointer);
}

int slot_index() {
    static const int index =
        SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_slot_reference);
    return index;
}

// OpenSSL's new-session callback: keep the session for the endpoint's next connection.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* reference =
        static_cast<std::shared_ptr<SessionSlot>*>(SSL_get_ex_data(ssl, slot_index()));
    SessionSlot* slot = reference != nullptr ? reference->get() : nullptr;
    if (slot != nullptr && SSL_SESSION_is_resumable(session)) {
        // A copy: OpenSSL marks the connection's own session not resumable when the connection
        // ends without close_notify (an upstream that closes after its response), which would
        // spoil the slot's session too.
        if (SSL_SESSION* copy = SSL_SESSION_dup(session)) {
            slot->set(copy);
        }
    }
    return 0;  // OpenSSL keeps (and later frees) its own reference
}

}  // namespace

SessionSlot::~SessionSlot() {
    SSL_SESSION_free(session_);
}

SessionSlot::SessionSlot(SessionSlot&& other) noexcept
    : session_(std::exchange(other.session_, nullptr)) {}

SessionSlot& SessionSlot::operator=(SessionSlot&& other) noexcept {
    if (this != &other) {
        SSL_SESSION_free(session_);
        session_ = std::exchange(other.session_, nullptr);
    }
    return *this;
}

void SessionSlot::set(ssl_session_st* session) {
    SSL_SESSION_free(session_);
    session_ = session;
}

std::shared_ptr<const ClientContext> ClientContext::build(const config::ClusterTlsConfig& config,
                                                          std::string* error) {
    std::shared_ptr<ClientContext> context(new ClientContext());
    context->config_ = config;
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) {
        *error = "cannot create a TLS context: " + openssl_reason();
        return nullptr;
    }
    context->ctx_ = ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Sessions are kept per endpoint by the connection pools (SSL_get1_session), not here.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    // HTTP/2 upstreams come later: offer http/1.1 only.
    SSL_CTX_set_alpn_protos(ctx, kAlpnHttp11, sizeof kAlpnHttp11);
    if (config.verify) {
        int ok = config.ca.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                   : SSL_CTX_load_verify_locations(ctx, config.ca.c_str(), nullptr);
        if (ok != 1) {
            *error = "cannot load CA `" + config.ca + "`: " + openssl_reason();
            return nullptr;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (!config.cert.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx, config.cert.c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, config.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            *error = "cannot load client certificate `" + config.cert + "`: " + openssl_reason();
            return nullptr;
        }
    }
    return context;
}

ClientContext::~ClientContext() {
    SSL_CTX_free(ctx_);
}

SSL* ClientContext::new_ssl(const std::string& host,
                            const std::shared_ptr<SessionSlot>& slot) const {
    SSL* ssl = SSL_new(ctx_);
    if (ssl == nullptr) {
        return nullptr;
    }
    SSL_set_connect_state(ssl);
    const std::string& name = config_.sni.empty() ? host : config_.sni;
    bool is_ip = config_.sni.empty() && is_ip_literal(host);
    if (!is_ip) {
        SSL_set_tlsext_host_name(ssl, name.c_str());
    }
    if (config_.verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (is_ip) {
            X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
        } else {
            X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
        }
    }
    if (slot) {
        SSL_set_ex_data(ssl, slot_index(), new std::shared_ptr<SessionSlot>(slot));
        if (slot->get() != nullptr) {
            SSL_set_session(ssl, slot->get());
        }
    }
    return ssl;
}

}  // namespace gantry::tls
