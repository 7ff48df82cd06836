#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gantry/tls/connection_info.h>

namespace gantry::tls {

namespace {

std::string subject_rfc2253(X509* certificate) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr) {
        return {};
    }
    X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    std::string text(data, length > 0 ? static_cast<size_t>(length) : 0);
    BIO_free(bio);
    return text;
}

std::string sha256_hex(X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0xf]);
    }
    return out;
}

// Appends "; KEY=value" for each SAN of `type` (GEN_URI or GEN_DNS).
void append_sans(X509* certificate, int type, std::string_view key, std::string& out) {
    auto* sans = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
        if (name->type != type) {
            continue;
        }
        const ASN1_IA5STRING* text =
            type == GEN_URI ? name->d.uniformResourceIdentifier : name->d.dNSName;
        std::string_view value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                               static_cast<size_t>(ASN1_STRING_length(text)));
        out.append(";").append(key).append("=").append(xfcc_value(value));
    }
    GENERAL_NAMES_free(sans);
}

std::string client_cert_details(SSL* ssl, X509* peer, const std::string& subject) {
    std::string out;
    if (X509* own = SSL_get_certificate(ssl)) {
        std::string by;
        append_sans(own, GEN_URI, "By", by);
        if (!by.empty()) {
            size_t next = by.find(";", 1);  // only the first URI names us
            out.append(by.substr(1, next == std::string::npos ? std::string::npos : next - 1));
            out.push_back(';');
        }
    }
    out.append("Hash=").append(sha256_hex(peer));
    out.append(";Subject=\"");
    for (char c : subject) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('"');
    append_sans(peer, GEN_URI, "URI", out);
    append_sans(peer, GEN_DNS, "DNS", out);
    return out;
}

}  // namespace

std::string xfcc_value(std::string_view value) {
    if (value.find_first_of(",;=\"") == std::string_view::npos) {
        return std::string(value);
    }
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

ConnectionInfo describe_connection(SSL* ssl) {
    ConnectionInfo info;
    info.protocol = SSL_get_version(ssl);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
        info.cipher = SSL_CIPHER_get_name(cipher);
    }
    if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
        info.server_name = name;
    }
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
    info.alpn.assign(reinterpret_cast<const char*>(alpn), alpn ? alpn_length : 0);
    X509* peer = SSL_get0_peer_certificate(ssl);
    if (peer != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
        info.client_subject = subject_rfc2253(peer);
        info.client_cert_details = client_cert_details(ssl, peer, info.client_subject);
    }
    return info;
}

}  // namespace gantry::tls
