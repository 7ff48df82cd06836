#include <algorithm>
#include <array>
#include <cstring>

#include <gantry/http/headers.h>

#include "ascii.h"

namespace gantry::http {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(HeaderId::Count)> kNames = {
    "",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-request-id",
    "user-agent",
    "referer",
    "content-type",
    "location",
    "server",
    "date",
    "proxy-authenticate",
    "proxy-authorization",
};

constexpr unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

// Lower-cases the ASCII letters of eight bytes at once (bytes >= 0x80 are left alone).
uint64_t lower_word(uint64_t w) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    uint64_t low7 = w & (0x7F * kOnes);
    uint64_t at_least_a = low7 + (0x80 - 'A') * kOnes;  // high bit set where byte >= 'A'
    uint64_t above_z = low7 + (0x7F - 'Z') * kOnes;     // high bit set where byte > 'Z'
    uint64_t upper = (at_least_a ^ above_z) & ~w & (0x80 * kOnes);
    return w | (upper >> 2);
}

}  // namespace

// Dispatching on length leaves at most three candidates, each checked with one to three word
// compares (see ascii.h); kNames and these literals agree, as the unit tests check.
HeaderId header_id(std::string_view name) {
    using enum HeaderId;
    using detail::equals_at;
    const char* s = name.data();
    switch (name.size()) {
        case 2:
            return equals_at<"te">(s) ? Te : Other;
        case 4:
            return equals_at<"host">(s) ? Host : equals_at<"date">(s) ? Date : Other;
        case 6:
            return equals_at<"expect">(s) ? Expect : equals_at<"server">(s) ? Server : Other;
        case 7:
            return equals_at<"upgrade">(s)   ? Upgrade
                   : equals_at<"trailer">(s) ? Trailer
                   : equals_at<"referer">(s) ? Referer
                                             : Other;
        case 8:
            return equals_at<"location">(s) ? Location : Other;
        case 10:
            return equals_at<"connection">(s)   ? Connection
                   : equals_at<"keep-alive">(s) ? KeepAlive
                   : equals_at<"user-agent">(s) ? UserAgent
                                                : Other;
        case 12:
            return equals_at<"content-type">(s)   ? ContentType
                   : equals_at<"x-request-id">(s) ? XRequestId
                                                  : Other;
        case 14:
            return equals_at<"content-length">(s) ? ContentLength : Other;
        case 15:
            return equals_at<"x-forwarded-for">(s) ? XForwardedFor : Other;
        case 16:
            return equals_at<"proxy-connection">(s) ? ProxyConnection : Other;
        case 17:
            return equals_at<"transfer-encoding">(s)   ? TransferEncoding
                   : equals_at<"x-forwarded-proto">(s) ? XForwardedProto
                                                       : Other;
        case 18:
            return equals_at<"proxy-authenticate">(s) ? ProxyAuthenticate : Other;
        case 19:
            return equals_at<"proxy-authorization">(s) ? ProxyAuthorization : Other;
        default:
            return Other;
    }
}

std::string_view header_name(HeaderId id) {
    auto index = static_cast<size_t>(id);
    return index < kNames.size() ? kNames[index] : std::string_view{};
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    size_t n = a.size();
    if (n >= 8) {
        // Whole words, the last one overlapping the previous so no byte loop is needed.
        for (size_t i = 0;; i += 8) {
            size_t at = i + 8 <= n ? i : n - 8;
            uint64_t x;
            uint64_t y;
            std::memcpy(&x, a.data() + at, 8);
            std::memcpy(&y, b.data() + at, 8);
            if (x != y && lower_word(x) != lower_word(y)) {
                return false;
            }
            if (at + 8 == n) {
                return true;
            }
        }
    }
    for (size_t i = 0; i < n; ++i) {
        if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

namespace {

// A field matches a name by id when the name is well known, by spelling otherwise.
bool field_matches(const HeaderField& field, std::string_view name, HeaderId id) {
    if (id != HeaderId::Other) {
        return field.id == id;
    }
    return field.id == HeaderId::Other && iequals(field.name, name);
}

}  // namespace

// Prefixes every owned allocation so the destructor can hand it back.
struct HeaderMap::OwnedBlock {
    OwnedBlock* next;
    size_t size;
};

HeaderMap::HeaderMap(std::pmr::memory_resource* mr) : mr_(mr), fields_(mr) {}

HeaderMap::~HeaderMap() {
    release_owned();
}

HeaderMap::HeaderMap(const HeaderMap& other) : mr_(other.mr_), fields_(other.mr_) {
    copy_fields_from(other);
}

HeaderMap::HeaderMap(HeaderMap&& other) noexcept
    : mr_(other.mr_)
    , fields_(std::move(other.fields_))
    , owned_(other.owned_) {
    other.owned_ = nullptr;
    other.fields_.clear();
}

HeaderMap& HeaderMap::operator=(const HeaderMap& other) {
    if (this != &other) {
        fields_.clear();
        release_owned();
        copy_fields_from(other);
    }
    return *this;
}

HeaderMap& HeaderMap::operator=(HeaderMap&& other) {
    if (this == &other) {
        return *this;
    }
    if (*mr_ != *other.mr_) {
        return *this = static_cast<const HeaderMap&>(other);
    }
    fields_.clear();
    release_owned();
    fields_ = std::move(other.fields_);
    owned_ = other.owned_;
    other.owned_ = nullptr;
    other.fields_.clear();
    return *this;
}

void HeaderMap::copy_fields_from(const HeaderMap& other) {
    fields_.reserve(other.fields_.size());
    for (const HeaderField& f : other.fields_) {
        std::string_view name = store(f.name);
        fields_.push_back(HeaderField{name, store(f.value), f.id});
    }
}

char* HeaderMap::allocate_owned(size_t size) {
    size_t total = sizeof(OwnedBlock) + size;
    auto* block = static_cast<OwnedBlock*>(mr_->allocate(total, alignof(OwnedBlock)));
    block->next = owned_;
    block->size = total;
    owned_ = block;
    return reinterpret_cast<char*>(block + 1);
}

void HeaderMap::release_owned() {
    while (owned_ != nullptr) {
        OwnedBlock* next = owned_->next;
        mr_->deallocate(owned_, owned_->size, alignof(OwnedBlock));
        owned_ = next;
    }
}

std::string_view HeaderMap::store(std::string_view text) {
    if (text.empty()) {
        return {};
    }
    char* bytes = allocate_owned(text.size());
    std::memcpy(bytes, text.data(), text.size());
    return {bytes, text.size()};
}

void HeaderMap::add(std::string_view name, std::string_view value) {
    HeaderId id = header_id(name);
    // One allocation for both strings keeps arena use and call count down.
    size_t total = name.size() + value.size();
    if (total == 0) {
        fields_.push_back(HeaderField{{}, {}, id});
        return;
    }
    char* bytes = allocate_owned(total);
    if (!name.empty()) {
        std::memcpy(bytes, name.data(), name.size());
    }
    if (!value.empty()) {
        std::memcpy(bytes + name.size(), value.data(), value.size());
    }
    fields_.push_back(HeaderField{std::string_view(bytes, name.size()),
                                  std::string_view(bytes + name.size(), value.size()), id});
}

void HeaderMap::add_unowned(std::string_view name, std::string_view value, HeaderId id) {
    fields_.push_back(HeaderField{name, value, id});
}

void HeaderMap::set(std::string_view name, std::string_view value) {
    HeaderId id = header_id(name);
    auto it = fields_.begin();
    for (; it != fields_.end(); ++it) {
        if (field_matches(*it, name, id)) {
            break;
        }
    }
    if (it == fields_.end()) {
        add(name, value);
        return;
    }
    // Keep the first occurrence's position (and its name spelling) and drop the rest.
    it->value = store(value);
    auto first = it - fields_.begin();
    auto tail = std::remove_if(fields_.begin() + first + 1, fields_.end(),
                               [&](const HeaderField& f) { return field_matches(f, name, id); });
    fields_.erase(tail, fields_.end());
}

size_t HeaderMap::remove(std::string_view name) {
    HeaderId id = header_id(name);
    if (id != HeaderId::Other) {
        return remove(id);
    }
    return remove_if([&](const HeaderField& f) { return field_matches(f, name, id); });
}

size_t HeaderMap::remove(HeaderId id) {
    if (id == HeaderId::Other) {
        return 0;
    }
    return remove_if([id](const HeaderField& f) { return f.id == id; });
}

const HeaderField* HeaderMap::get(std::string_view name) const {
    HeaderId id = header_id(name);
    for (const HeaderField& field : fields_) {
        if (field_matches(field, name, id)) {
            return &field;
        }
    }
    return nullptr;
}

const HeaderField* HeaderMap::get(HeaderId id) const {
    if (id == HeaderId::Other) {
        return nullptr;
    }
    for (const HeaderField& field : fields_) {
        if (field.id == id) {
            return &field;
        }
    }
    return nullptr;
}

size_t HeaderMap::count(HeaderId id) const {
    if (id == HeaderId::Other) {
        return 0;
    }
    size_t n = 0;
    for (const HeaderField& field : fields_) {
        n += field.id == id ? 1 : 0;
    }
    return n;
}

}  // namespace gantry::http
