#pragma once

// SniTable: which certificate group serves a TLS server name, by the DNS names of the groups'
// certificates (exact names, and "*.suffix" wildcards that cover exactly one more label, as RFC
// 6125 section 6.4.3 allows). Built once per config generation on the main thread, then read by
// every worker's handshakes (const, so no lock).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gantry::tls {

class SniTable {
public:
    // Adds a DNS name (any case; "*.example.com" for a wildcard) served by group `index`. A name
    // already added keeps its first group: the certificate listed first wins.
    void add(std::string_view name, size_t index);

    // The group for `server_name` (any case, a trailing dot ignored): an exact name first, then a
    // wildcard; nullopt when none covers it.
    std::optional<size_t> find(std::string_view server_name) const;

    bool empty() const { return exact_.empty() && wildcard_.empty(); }

private:
    std::unordered_map<std::string, size_t> exact_;
    std::unordered_map<std::string, size_t> wildcard_;  // keyed by the suffix after "*."
};

}  // namespace gantry::tls
