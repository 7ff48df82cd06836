#include <algorithm>
#include <cstdint>

#include <re2/re2.h>

#include <gantry/http/headers.h>
#include <gantry/router/route_table.h>

namespace gantry::router {

namespace {

constexpr char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

// The host part of an authority (or of a domain as written in the config): the port is dropped,
// an IPv6 literal keeps its brackets ("[::1]:80" -> "[::1]"), and a final dot goes, since
// "example.com." names the same host. Anything malformed is left for the lookups not to match.
std::string_view host_of(std::string_view authority) {
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        const size_t close = host.find(']');
        if (close != std::string_view::npos) {
            host = host.substr(0, close + 1);
        }
    } else if (const size_t colon = host.find(':');
               colon != std::string_view::npos &&
               host.find(':', colon + 1) == std::string_view::npos) {
        host = host.substr(0, colon);
    }
    if (host.size() > 1 && host.back() == '.') {
        host.remove_suffix(1);
    }
    return host;
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

// Normalises a configured exact domain to the form host_of() gives an authority; a bare IPv6
// literal ("::1") gets the brackets a Host header must carry.
std::string exact_domain(std::string_view domain) {
    if (domain.find(':') != domain.rfind(':')) {
        if (domain.front() != '[') {
            return "[" + to_lower(domain) + "]";
        }
    }
    return to_lower(host_of(domain));
}

// `lower` is already lower-case, so only the request side needs folding.
bool iends_with(std::string_view text, std::string_view lower) {
    if (text.size() < lower.size()) {
        return false;
    }
    const std::string_view tail = text.substr(text.size() - lower.size());
    return std::equal(tail.begin(), tail.end(), lower.begin(),
                      [](char a, char b) { return ascii_lower(a) == b; });
}

bool istarts_with(std::string_view text, std::string_view lower) {
    if (text.size() < lower.size()) {
        return false;
    }
    return std::equal(lower.begin(), lower.end(), text.begin(),
                      [](char b, char a) { return ascii_lower(a) == b; });
}

bool value_matches(const config::ValueMatcher& matcher, std::string_view value) {
    if (matcher.regex) {
        return re2::RE2::FullMatch(value, *matcher.regex);
    }
    return value == matcher.exact;
}

bool path_matches(const config::RouteMatch& match, std::string_view path) {
    switch (match.kind) {
        case config::PathMatchKind::Prefix:
            return path.starts_with(match.path);
        case config::PathMatchKind::Exact:
            return path == match.path;
        case config::PathMatchKind::Regex:
            return match.regex && re2::RE2::FullMatch(path, *match.regex);
    }
    return false;
}

bool method_matches(const config::RouteMatch& match, std::string_view method) {
    if (match.methods.empty()) {
        return true;
    }
    return std::any_of(match.methods.begin(), match.methods.end(),
                       [method](const std::string& m) { return m == method; });
}

// Some field called matcher.name must match; a repeated header matches through any one field.
bool header_matches(const config::ValueMatcher& matcher, const http::HeaderMap& headers) {
    return std::any_of(headers.begin(), headers.end(), [&matcher](const http::HeaderField& f) {
        return http::iequals(f.name, matcher.name) && value_matches(matcher, f.value);
    });
}

bool query_matches(const config::ValueMatcher& matcher, std::string_view query) {
    const std::optional<std::string_view> value = find_query_param(query, matcher.name);
    return value && value_matches(matcher, *value);
}

}  // namespace

size_t RouteTable::CaseInsensitiveHash::operator()(std::string_view text) const {
    // FNV-1a over the lower-cased bytes, so spellings that compare equal hash equal.
    uint64_t hash = 14695981039346656037ULL;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(ascii_lower(c));
        hash *= 1099511628211ULL;
    }
    return static_cast<size_t>(hash);
}

bool RouteTable::CaseInsensitiveEqual::operator()(std::string_view a, std::string_view b) const {
    return http::iequals(a, b);
}

RouteTable::RouteTable(const config::ConfigSnapshot& snapshot,
                       const config::ListenerConfig& listener) {
    for (const std::string& name : listener.virtual_hosts) {
        const auto it =
            std::find_if(snapshot.virtual_hosts.begin(), snapshot.virtual_hosts.end(),
                         [&name](const config::VirtualHostConfig& v) { return v.name == name; });
        if (it == snapshot.virtual_hosts.end()) {
            continue;  // load_config rejects dangling names; nothing to route to here
        }
        for (const std::string& domain : it->domains) {
            add_domain(domain, &*it);
        }
        if (it->is_default && default_ == nullptr) {
            default_ = &*it;
        }
    }
    // Stable, so equal lengths keep the listener's virtual host order.
    const auto longer = [](const WildcardDomain& a, const WildcardDomain& b) {
        return a.text.size() > b.text.size();
    };
    std::stable_sort(suffixes_.begin(), suffixes_.end(), longer);
    std::stable_sort(prefixes_.begin(), prefixes_.end(), longer);
}

void RouteTable::add_domain(const std::string& domain, const config::VirtualHostConfig* host) {
    if (domain.empty()) {
        return;
    }
    if (domain == "*") {
        if (any_ == nullptr) {
            any_ = host;
        }
    } else if (domain.front() == '*') {
        suffixes_.push_back({to_lower(std::string_view(domain).substr(1)), host});
    } else if (domain.back() == '*') {
        prefixes_.push_back(
            {to_lower(std::string_view(domain).substr(0, domain.size() - 1)), host});
    } else {
        exact_.emplace(exact_domain(domain), host);  // emplace keeps the first claim
    }
}

const config::VirtualHostConfig* RouteTable::match_host(std::string_view authority) const {
    const std::string_view host = host_of(authority);
    if (!host.empty()) {
        if (const auto it = exact_.find(host); it != exact_.end()) {
            return it->second;
        }
    }
    // A wildcard stands for at least one character: "*.example.com" does not match
    // "example.com" and "api.*" does not match "api.".
    for (const WildcardDomain& suffix : suffixes_) {
        if (host.size() > suffix.text.size() && iends_with(host, suffix.text)) {
            return suffix.host;
        }
    }
    for (const WildcardDomain& prefix : prefixes_) {
        if (host.size() > prefix.text.size() && istarts_with(host, prefix.text)) {
            return prefix.host;
        }
    }
    return any_ != nullptr ? any_ : default_;
}

const config::Route* RouteTable::match(const http::RequestHead& head) const {
    const config::VirtualHostConfig* host = match_host(head.authority);
    if (host == nullptr) {
        return nullptr;
    }
    for (const config::Route& route : host->routes) {
        if (route_matches(route, head)) {
            return &route;
        }
    }
    return nullptr;
}

bool RouteTable::route_matches(const config::Route& route, const http::RequestHead& head) {
    const config::RouteMatch& match = route.match;
    // Cheapest checks first; a path regex runs only when the method already fits.
    if (!method_matches(match, head.method) || !path_matches(match, head.path)) {
        return false;
    }
    for (const config::ValueMatcher& matcher : match.headers) {
        if (!header_matches(matcher, head.headers)) {
            return false;
        }
    }
    for (const config::ValueMatcher& matcher : match.query) {
        if (!query_matches(matcher, head.query)) {
            return false;
        }
    }
    return true;
}

std::optional<std::string_view> find_query_param(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) {
            continue;  // "a=1&&b=2" has an empty pair, not a parameter called ""
        }
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) == key) {
            return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        }
    }
    return std::nullopt;
}

}  // namespace gantry::router
