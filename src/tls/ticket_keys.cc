#include <cstring>
#include <ctime>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <gantry/tls/ticket_keys.h>

namespace gantry::tls {

namespace {

constexpr unsigned char kNameMagic[4] = {'g', 't', 'k', '1'};

const std::array<unsigned char, 32>& process_secret() {
    // Function-local static: initialised once, thread-safely, then only read.
    static const std::array<unsigned char, 32> secret = [] {
        std::array<unsigned char, 32> bytes{};
        if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
            std::abort();  // no randomness: nothing about TLS can be trusted
        }
        return bytes;
    }();
    return secret;
}

void derive(const char* label, int64_t period, unsigned char* out32) {
    unsigned char input[32];
    size_t label_length = std::strlen(label);
    std::memcpy(input, label, label_length);
    for (int i = 0; i < 8; ++i) {
        input[label_length + i] =
            static_cast<unsigned char>(static_cast<uint64_t>(period) >> (56 - 8 * i));
    }
    unsigned int length = 32;
    const auto& secret = process_secret();
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), input, label_length + 8,
         out32, &length);
}

}  // namespace

TicketKey ticket_key_for_period(int64_t period) {
    TicketKey key;
    unsigned char tag[32];
    derive("gantry-name", period, tag);
    std::memcpy(key.name.data(), kNameMagic, 4);
    for (int i = 0; i < 8; ++i) {
        key.name[4 + i] = static_cast<unsigned char>(static_cast<uint64_t>(period) >> (56 - 8 * i));
    }
    std::memcpy(key.name.data() + 12, tag, 4);
    derive("gantry-aes", period, key.aes_key.data());
    derive("gantry-mac", period, key.hmac_key.data());
    return key;
}

std::optional<int64_t> ticket_key_period(const unsigned char* name16) {
    if (std::memcmp(name16, kNameMagic, 4) != 0) {
        return std::nullopt;
    }
    uint64_t period = 0;
    for (int i = 0; i < 8; ++i) {
        period = (period << 8) | name16[4 + i];
    }
    TicketKey expected = ticket_key_for_period(static_cast<int64_t>(period));
    if (std::memcmp(expected.name.data(), name16, 16) != 0) {
        return std::nullopt;  // another process's secret, or a forged name
    }
    return static_cast<int64_t>(period);
}

int64_t current_ticket_period() {
    return static_cast<int64_t>(std::time(nullptr)) / kTicketKeyPeriodSeconds;
}

}  // namespace gantry::tls
