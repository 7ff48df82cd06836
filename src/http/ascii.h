#pragma once

// Case-insensitive comparison of bytes against lower-case literals a word at a time, for the
// per-field lookups of the HTTP/1 codec (header ids, list tokens such as "close" or "chunked").

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace gantry::http::detail {

// A lower-case literal usable as a template argument: equals_at<"keep-alive">(p).
template <size_t N>
struct LowerLiteral {
    char chars[N] = {};

    constexpr LowerLiteral(const char (&s)[N]) {  // NOLINT: implicit on purpose
        for (size_t i = 0; i < N; ++i) {
            chars[i] = s[i];
        }
    }

    static constexpr size_t size() { return N - 1; }
};

// `width` bytes of a literal from `offset`, laid out as a load of those bytes reads them:
// `lower` is the bytes and `mask` has 0x20 on the letters only, so (word | mask) == lower accepts
// either case of a letter and requires every other byte exactly.
struct CaseWindow {
    uint64_t lower = 0;
    uint64_t mask = 0;
};

template <LowerLiteral L>
constexpr CaseWindow case_window(size_t offset, size_t width) {
    CaseWindow w;
    for (size_t i = 0; i < width; ++i) {
        auto c = static_cast<unsigned char>(L.chars[offset + i]);
        uint64_t letter = (c >= 'a' && c <= 'z') ? 0x20 : 0;
        size_t shift = std::endian::native == std::endian::little ? 8 * i : 8 * (width - 1 - i);
        w.lower |= uint64_t{c} << shift;
        w.mask |= letter << shift;
    }
    return w;
}

template <size_t Width>
uint64_t load_word(const char* p) {
    if constexpr (Width == 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        return v;
    } else if constexpr (Width == 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return v;
    } else if constexpr (Width == 2) {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return v;
    } else {
        static_assert(Width == 1);
        return static_cast<unsigned char>(*p);
    }
}

template <LowerLiteral L, size_t Offset, size_t Width>
bool window_equals(const char* s) {
    constexpr CaseWindow w = case_window<L>(Offset, Width);
    return (load_word<Width>(s + Offset) | w.mask) == w.lower;
}

// True when the L.size() bytes at `s` spell L in any ASCII case. Overlapping windows cover every
// byte with at most three loads.
template <LowerLiteral L>
bool equals_at(const char* s) {
    constexpr size_t n = L.size();
    static_assert(n >= 1 && n <= 24);
    if constexpr (n >= 16) {
        return window_equals<L, 0, 8>(s) && window_equals<L, 8, 8>(s) &&
               window_equals<L, n - 8, 8>(s);
    } else if constexpr (n >= 8) {
        return window_equals<L, 0, 8>(s) && window_equals<L, n - 8, 8>(s);
    } else if constexpr (n >= 4) {
        return window_equals<L, 0, 4>(s) && window_equals<L, n - 4, 4>(s);
    } else if constexpr (n >= 2) {
        return window_equals<L, 0, 2>(s) && window_equals<L, n - 2, 2>(s);
    } else {
        return window_equals<L, 0, 1>(s);
    }
}

template <LowerLiteral L>
bool iequals_literal(std::string_view s) {
    return s.size() == L.size() && equals_at<L>(s.data());
}

}  // namespace gantry::http::detail
