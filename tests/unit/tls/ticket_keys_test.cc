#include <catch2/catch.hpp>

#include <gantry/tls/ticket_keys.h>

using namespace gantry::tls;

TEST_CASE("a ticket key is the same every time for its period and differs between periods",
          "[tls][tickets]") {
    TicketKey a = ticket_key_for_period(100);
    TicketKey again = ticket_key_for_period(100);
    TicketKey b = ticket_key_for_period(101);
    CHECK(a.name == again.name);
    CHECK(a.aes_key == again.aes_key);
    CHECK(a.hmac_key == again.hmac_key);
    CHECK(a.name != b.name);
    CHECK(a.aes_key != b.aes_key);
    CHECK(a.aes_key != a.hmac_key);
}

TEST_CASE("a key name tells its period, and a forged name is not ours", "[tls][tickets]") {
    TicketKey key = ticket_key_for_period(123456);
    CHECK(ticket_key_period(key.name.data()) == 123456);
    auto forged = key.name;
    forged[15] ^= 1;
    CHECK_FALSE(ticket_key_period(forged.data()));
    forged = key.name;
    forged[11] ^= 1;  // another period, with this period's tag
    CHECK_FALSE(ticket_key_period(forged.data()));
    unsigned char zeros[16] = {};
    CHECK_FALSE(ticket_key_period(zeros));
}
