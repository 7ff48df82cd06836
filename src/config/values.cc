#include "values.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <limits>

#include <gantry/config.h>

namespace gantry::config {

namespace {

// Longer than any sensible timeout, and far from overflowing a nanosecond clock.
constexpr int64_t kMaxDurationMs = int64_t{365} * 24 * 3600 * 1000;
constexpr size_t kMaxHostnameLength = 253;
constexpr size_t kMaxLabelLength = 63;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// Splits "123unit" into its digits and its unit; nullopt when there are no leading digits or the
// number does not fit in 64 bits.
std::optional<std::pair<uint64_t, std::string_view>> split_number(std::string_view text) {
    size_t digits = 0;
    uint64_t value = 0;
    while (digits < text.size() && is_digit(text[digits])) {
        uint64_t digit = static_cast<uint64_t>(text[digits] - '0');
        if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
        ++digits;
    }
    if (digits == 0) {
        return std::nullopt;
    }
    return std::pair{value, text.substr(digits)};
}

bool is_label_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

bool is_label(std::string_view label) {
    return !label.empty() && label.size() <= kMaxLabelLength && label.front() != '-' &&
           label.back() != '-' && std::all_of(label.begin(), label.end(), is_label_char);
}

std::optional<uint16_t> parse_port(std::string_view text) {
    if (!all_digits(text) || text.size() > 5) {
        return std::nullopt;
    }
    uint32_t port = 0;
    for (char c : text) {
        port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port < 1 || port > 65535) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(port);
}

bool is_address(int family, std::string_view text, unsigned char* out) {
    // inet_pton stops at a NUL, so an embedded one would otherwise pass unnoticed.
    if (text.find('\0') != std::string_view::npos) {
        return false;
    }
    std::string copy(text);
    return ::inet_pton(family, copy.c_str(), out) == 1;
}

}  // namespace

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string to_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

bool is_http_token(std::string_view text) {
    static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
    auto is_tchar = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               kSymbols.find(c) != std::string_view::npos;
    };
    return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

bool is_header_value(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool is_ipv4_literal(std::string_view text) {
    std::array<unsigned char, 4> out{};
    return is_address(AF_INET, text, out.data());
}

bool is_ipv6_literal(std::string_view text) {
    std::array<unsigned char, 16> out{};
    return is_address(AF_INET6, text, out.data());
}

bool is_hostname(std::string_view text) {
    if (!text.empty() && text.back() == '.') {
        text.remove_suffix(1);
    }
    if (text.empty() || text.size() > kMaxHostnameLength) {
        return false;
    }
    std::string_view last;
    while (true) {
        size_t dot = text.find('.');
        last = text.substr(0, dot);
        if (!is_label(last)) {
            return false;
        }
        if (dot == std::string_view::npos) {
            break;
        }
        text.remove_prefix(dot + 1);
    }
    return !all_digits(last);
}

std::string address_key(const HostPort& address) {
    return to_lower(address.host) + "|" + std::to_string(address.port);
}

bool is_host(std::string_view text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
        return is_ipv6_literal(text.substr(1, text.size() - 2));
    }
    return is_ipv4_literal(text) || is_hostname(text);
}

std::optional<Duration> parse_duration(const std::string& text) {
    auto parts = split_number(text);
    if (!parts) {
        return std::nullopt;
    }
    auto [value, unit] = *parts;
    int64_t factor = 0;
    // "0" needs no unit: it means the same in all of them.
    if (unit == "ms" || (unit.empty() && value == 0)) {
        factor = 1;
    } else if (unit == "s") {
        factor = 1000;
    } else if (unit == "m") {
        factor = int64_t{60} * 1000;
    } else if (unit == "h") {
        factor = int64_t{3600} * 1000;
    } else {
        return std::nullopt;
    }
    if (value > static_cast<uint64_t>(kMaxDurationMs / factor)) {
        return std::nullopt;
    }
    return Duration(static_cast<int64_t>(value) * factor);
}

std::optional<uint64_t> parse_size(const std::string& text) {
    auto parts = split_number(text);
    if (!parts) {
        return std::nullopt;
    }
    auto [value, unit] = *parts;
    unsigned shift = 0;
    if (unit == "KiB") {
        shift = 10;
    } else if (unit == "MiB") {
        shift = 20;
    } else if (unit == "GiB") {
        shift = 30;
    } else if (!unit.empty()) {
        return std::nullopt;
    }
    if (value > (std::numeric_limits<uint64_t>::max() >> shift)) {
        return std::nullopt;
    }
    return value << shift;
}

std::optional<HostPort> parse_host_port(const std::string& text) {
    std::string_view view(text);
    std::string_view host;
    std::string_view port;
    if (!view.empty() && view.front() == '[') {
        size_t close = view.find(']');
        if (close == std::string_view::npos || close + 1 >= view.size() || view[close + 1] != ':') {
            return std::nullopt;
        }
        host = view.substr(1, close - 1);
        port = view.substr(close + 2);
        if (!is_ipv6_literal(host)) {
            return std::nullopt;
        }
    } else {
        size_t colon = view.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        host = view.substr(0, colon);
        port = view.substr(colon + 1);
        if (!is_ipv4_literal(host) && !is_hostname(host)) {
            return std::nullopt;
        }
    }
    auto number = parse_port(port);
    if (!number) {
        return std::nullopt;
    }
    return HostPort{std::string(host), *number, text};
}

}  // namespace gantry::config
