#include <gantry/upstream/load_balancer.h>
#include <gantry/upstream/request_hash.h>

namespace gantry::upstream {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

std::optional<uint64_t> cookie_hash(const http::HeaderMap& headers, std::string_view name) {
    for (const http::HeaderField& field : headers.fields()) {
        if (field.name.size() != 6 || !http::iequals(field.name, "cookie")) {
            continue;
        }
        if (auto value = find_cookie(field.value, name)) {
            return hash_key(*value);
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const size_t end = header.find(';');
        std::string_view pair = trim(header.substr(0, end));
        header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
        const size_t eq = pair.find('=');
        if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
            return trim(pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

std::optional<uint64_t> request_hash(const config::HashOn& hash_on, const http::RequestHead& head,
                                     std::string_view client_ip) {
    switch (hash_on.kind) {
        case config::HashOn::Kind::None:
            return std::nullopt;
        case config::HashOn::Kind::Header: {
            const http::HeaderField* field = head.headers.get(hash_on.name);
            return field ? std::optional<uint64_t>(hash_key(field->value)) : std::nullopt;
        }
        case config::HashOn::Kind::Cookie:
            return cookie_hash(head.headers, hash_on.name);
        case config::HashOn::Kind::SourceIp:
            return client_ip.empty() ? std::nullopt : std::optional<uint64_t>(hash_key(client_ip));
        case config::HashOn::Kind::Path:
            return hash_key(head.path);
    }
    return std::nullopt;
}

}  // namespace gantry::upstream
