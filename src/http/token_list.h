#pragma once

// Comma-separated header lists (RFC 9110 section 5.6.1) as the parser and the hop-by-hop rules
// read them. Header-only so the per-field callers inline the loops.

#include <cstring>
#include <string_view>

namespace gantry::http::detail {

// Removes leading and trailing SP/HTAB.
inline std::string_view trim_ows(std::string_view s) {
    size_t begin = 0;
    size_t end = s.size();
    while (begin < end && (s[begin] == ' ' || s[begin] == '\t')) {
        ++begin;
    }
    while (end > begin && (s[end - 1] == ' ' || s[end - 1] == '\t')) {
        --end;
    }
    return s.substr(begin, end - begin);
}

// Calls fn(token) for every non-empty, OWS-trimmed comma-separated element of `value`.
template <typename Fn>
void for_each_token(std::string_view value, Fn&& fn) {
    const char* p = value.data();
    const char* end = p + value.size();
    while (p < end) {
        const auto* comma = static_cast<const char*>(std::memchr(p, ',', end - p));
        const char* item_end = comma != nullptr ? comma : end;
        std::string_view item = trim_ows(std::string_view(p, item_end - p));
        if (!item.empty()) {
            fn(item);
        }
        if (comma == nullptr) {
            break;
        }
        p = comma + 1;
    }
}

}  // namespace gantry::http::detail
