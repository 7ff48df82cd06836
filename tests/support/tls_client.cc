#include "support/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace gantry::test {

namespace {

std::string last_openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return code ? text : "connection closed";
}

}  // namespace

TlsClient::~TlsClient() {
    if (ssl_ != nullptr) {
        SSL_free(ssl_);
    }
    if (ctx_ != nullptr) {
        SSL_CTX_free(ctx_);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool TlsClient::connect(uint16_t port, const TlsClientOptions& options) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{static_cast<time_t>(options.timeout.count() / 1000),
               static_cast<suseconds_t>((options.timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error_ = "connect failed";
        return false;
    }
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!options.ca.empty()) {
        SSL_CTX_load_verify_locations(ctx_, options.ca.c_str(), nullptr);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    if (!options.cert.empty()) {
        SSL_CTX_use_certificate_chain_file(ctx_, options.cert.c_str());
        SSL_CTX_use_PrivateKey_file(ctx_, options.key.c_str(), SSL_FILETYPE_PEM);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (!options.server_name.empty()) {
        SSL_set_tlsext_host_name(ssl_, options.server_name.c_str());
    }
    if (SSL_connect(ssl_) != 1) {
        error_ = last_openssl_error();
        return false;
    }
    return true;
}

std::string TlsClient::peer_subject() const {
    X509* peer = SSL_get0_peer_certificate(ssl_);
    if (peer == nullptr) {
        return {};
    }
    char text[512];
    X509_NAME_oneline(X509_get_subject_name(peer), text, sizeof text);
    return text;
}

std::optional<std::string> TlsClient::exchange(const std::string& request) {
    if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) {
        error_ = last_openssl_error();
        return std::nullopt;
    }
    std::string& data = buffered_;
    char chunk[16384];
    for (;;) {
        size_t head_end = data.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            std::string head = to_lower(data.substr(0, head_end));
            size_t at = head.find("content-length:");
            if (at != std::string::npos) {
                size_t length = std::stoul(head.substr(at + 15));
                size_t total = head_end + 4 + length;
                if (data.size() >= total) {
                    std::string response = data.substr(0, total);
                    data.erase(0, total);
                    return response;
                }
            }
        }
        int n = SSL_read(ssl_, chunk, sizeof chunk);
        if (n <= 0) {
            error_ = last_openssl_error();
            if (data.empty()) {
                return std::nullopt;
            }
            return std::exchange(data, {});
        }
        data.append(chunk, static_cast<size_t>(n));
    }
}

bool TlsClient::wait_closed() {
    char chunk[1024];
    for (;;) {
        int n = SSL_read(ssl_, chunk, sizeof chunk);
        if (n > 0) {
            continue;
        }
        int code = SSL_get_error(ssl_, n);
        ERR_clear_error();
        // A timeout shows as a syscall error with EAGAIN; anything else means closed.
        return !(code == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
}

}  // namespace gantry::test
