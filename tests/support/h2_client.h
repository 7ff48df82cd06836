#pragma once

// Runs tests/integration/h2_client.py (raw HTTP/2 frames from python3 h2, for the abuse and
// smuggling tests) against a port and reads back its key=value result lines. Test thread only.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gantry::test {

using H2Outcome = std::map<std::string, std::string>;

// `args` are the script's arguments after the port; `tls` adds --tls (ALPN h2 over TLS).
H2Outcome run_h2_client(uint16_t port, const std::vector<std::string>& args, bool tls = false);

// The value of `key`, or "(absent)".
std::string outcome_value(const H2Outcome& outcome, const std::string& key);

}  // namespace gantry::test
