#pragma once

// Session-ticket keys that rotate every hour with no shared mutable state: the key of hour H is
// derived (HMAC-SHA256) from a random process-wide secret and H, new tickets use the current
// hour's key, and tickets sealed in the two hours before are still accepted (and renewed). Every
// worker derives the same keys, so no lock, timer or cross-thread publication is needed, and the
// secret outlives config reloads, so tickets survive them. Called from OpenSSL's ticket callback
// on any worker thread; the secret is created once, thread-safely, on first use.

#include <array>
#include <cstdint>
#include <optional>

namespace gantry::tls {

struct TicketKey {
    std::array<unsigned char, 16> name{};  // sent in the clear inside the ticket
    std::array<unsigned char, 32> aes_key{};
    std::array<unsigned char, 32> hmac_key{};
};

constexpr int64_t kTicketKeyPeriodSeconds = 3600;
constexpr int64_t kTicketKeysKeptForDecryption = 2;  // previous periods still accepted

// The key of period `period` (unix time / kTicketKeyPeriodSeconds).
TicketKey ticket_key_for_period(int64_t period);

// The period a key name was issued in, when the name is one of ours.
std::optional<int64_t> ticket_key_period(const unsigned char* name16);

// The current period, by the wall clock (tickets are shared by all workers and across reloads).
int64_t current_ticket_period();

}  // namespace gantry::tls
