#include <gantry/http/hop_by_hop.h>

namespace gantry::http {
namespace {

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// Calls fn(token) for every non-empty comma-separated element of `value`.
template <typename Fn>
void for_each_token(std::string_view value, Fn&& fn) {
    while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view item = trim_ows(value.substr(0, comma));
        if (!item.empty()) {
            fn(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
}

// The k-th Connection field's value; fields move as others are removed, so look it up afresh.
std::string_view nth_connection_value(const HeaderMap& headers, size_t k) {
    for (const HeaderField& field : headers) {
        if (field.id == HeaderId::Connection && k-- == 0) {
            return field.value;
        }
    }
    return {};
}

}  // namespace

void remove_hop_by_hop(HeaderMap& headers, bool keep_upgrade) {
    // Header bytes live in the arena, so values stay valid while fields are erased.
    size_t connections = headers.count(HeaderId::Connection);
    for (size_t k = 0; k < connections; ++k) {
        for_each_token(nth_connection_value(headers, k), [&](std::string_view token) {
            HeaderId id = header_id(token);
            // Connection itself is removed below; Host is never hop-by-hop, so a client cannot
            // strip the routing field by naming it.
            if (id == HeaderId::Connection || id == HeaderId::Host) {
                return;
            }
            if (id == HeaderId::Upgrade && keep_upgrade) {
                return;
            }
            headers.remove(token);
        });
    }
    headers.remove(HeaderId::Connection);
    headers.remove(HeaderId::KeepAlive);
    headers.remove(HeaderId::ProxyConnection);
    headers.remove(HeaderId::Te);
    headers.remove(HeaderId::TransferEncoding);
    headers.remove(HeaderId::ContentLength);
    if (!keep_upgrade) {
        headers.remove(HeaderId::Upgrade);
    }
}

bool header_has_token(std::string_view value, std::string_view token) {
    bool found = false;
    for_each_token(value, [&](std::string_view item) { found = found || iequals(item, token); });
    return found;
}

}  // namespace gantry::http
