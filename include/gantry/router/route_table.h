#pragma once

// RouteTable: the compiled virtual hosts and routes of one listener in one config generation.
// Built on the main thread from a ConfigSnapshot, then read-only; match() is a pure function, so
// every worker reads the same table without locks. It points into the snapshot it was built
// from, so it must not outlive it (config::Generation holds both).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <gantry/config.h>
#include <gantry/http/message.h>

namespace gantry::router {

class RouteTable {
public:
    // Resolves the listener's virtual host names against the snapshot (load_config already
    // checked that they exist).
    RouteTable(const config::ConfigSnapshot& snapshot, const config::ListenerConfig& listener);

    // Picks the virtual host for an authority (Host header, port ignored, case-insensitive):
    // exact domain > longest "*.suffix" > longest "prefix.*" > "*" > the `default: true` host >
    // nullptr. Within one kind, the listener's virtual host order breaks ties.
    const config::VirtualHostConfig* match_host(std::string_view authority) const;

    // The first route of the matched virtual host whose path, methods, headers and query all
    // match; nullptr when no virtual host or no route matches (the caller answers 404).
    const config::Route* match(const http::RequestHead& head) const;

    // Route-level match against one virtual host (exposed for tests).
    static bool route_matches(const config::Route& route, const http::RequestHead& head);

private:
    // Hash and equality that ignore ASCII case and accept string_view keys, so a lookup neither
    // lower-cases nor copies the authority.
    struct CaseInsensitiveHash {
        using is_transparent = void;
        size_t operator()(std::string_view text) const;
    };

    struct CaseInsensitiveEqual {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const;
    };

    void add_domain(const std::string& domain, const config::VirtualHostConfig* host);

    struct WildcardDomain {
        std::string text;  // the suffix (".example.com") or prefix ("api.") part
        const config::VirtualHostConfig* host;
    };

    std::unordered_map<std::string, const config::VirtualHostConfig*, CaseInsensitiveHash,
                       CaseInsensitiveEqual>
        exact_;
    std::vector<WildcardDomain> suffixes_;  // longest first
    std::vector<WildcardDomain> prefixes_;  // longest first
    const config::VirtualHostConfig* any_ = nullptr;
    const config::VirtualHostConfig* default_ = nullptr;
};

// Finds a query parameter's value in a raw query string ("a=1&b=2"); the value is returned as it
// appears (not percent-decoded). nullopt when absent; a key without '=' has an empty value.
std::optional<std::string_view> find_query_param(std::string_view query, std::string_view key);

}  // namespace gantry::router
