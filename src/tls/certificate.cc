#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gantry/tls/certificate.h>

namespace gantry::tls {

namespace {

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};

struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

using File = std::unique_ptr<FILE, FileCloser>;

// The reason of the newest OpenSSL error, then the queue is emptied.
std::string openssl_reason() {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0) {
        return "no PEM data";
    }
    const char* reason = ERR_reason_error_string(code);
    return reason ? reason : "unknown error";
}

File open_file(const std::string& path, std::string* error) {
    File file(std::fopen(path.c_str(), "r"));
    if (!file) {
        *error = "cannot read `" + path + "`: " + std::strerror(errno);
    }
    return file;
}

}  // namespace

std::string check_key_pair(const std::string& cert_path, const std::string& key_path) {
    std::string error;
    File cert_file = open_file(cert_path, &error);
    if (!cert_file) {
        return error;
    }
    std::unique_ptr<X509, X509Free> cert(PEM_read_X509(cert_file.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        return "`" + cert_path + "` holds no PEM certificate (" + openssl_reason() + ")";
    }
    File key_file = open_file(key_path, &error);
    if (!key_file) {
        return error;
    }
    std::unique_ptr<EVP_PKEY, KeyFree> key(
        PEM_read_PrivateKey(key_file.get(), nullptr, nullptr, nullptr));
    if (!key) {
        return "`" + key_path + "` holds no PEM private key (" + openssl_reason() + ")";
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ERR_clear_error();
        return "the key in `" + key_path + "` does not match the certificate in `" + cert_path +
               "`";
    }
    return {};
}

std::string check_ca_file(const std::string& path) {
    std::string error;
    File file = open_file(path, &error);
    if (!file) {
        return error;
    }
    std::unique_ptr<X509, X509Free> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        return "`" + path + "` holds no PEM certificate (" + openssl_reason() + ")";
    }
    return {};
}

std::vector<std::string> dns_names(X509* certificate) {
    std::vector<std::string> names;
    auto* sans = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
        if (name->type != GEN_DNS) {
            continue;
        }
        const ASN1_IA5STRING* text = name->d.dNSName;
        std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                          static_cast<size_t>(ASN1_STRING_length(text)));
        for (char& c : value) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        names.push_back(std::move(value));
    }
    GENERAL_NAMES_free(sans);
    if (names.empty()) {
        char common_name[256];
        int n = X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName,
                                          common_name, sizeof common_name);
        if (n > 0) {
            names.emplace_back(common_name, static_cast<size_t>(n));
        }
    }
    return names;
}

std::string key_kind(X509* certificate) {
    EVP_PKEY* key = X509_get0_pubkey(certificate);
    if (key == nullptr) {
        return "none";
    }
    const char* name = EVP_PKEY_get0_type_name(key);
    return name ? name : "unknown";
}

}  // namespace gantry::tls
