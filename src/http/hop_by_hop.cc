#include <cstdint>

#include <gantry/http/hop_by_hop.h>

#include "token_list.h"

namespace gantry::http {
namespace {

constexpr uint32_t bit(HeaderId id) {
    return uint32_t{1} << (static_cast<unsigned>(id) & 31);
}

static_assert(static_cast<unsigned>(HeaderId::Count) <= 32, "ids must fit the removal mask");

constexpr uint32_t kAlwaysHopByHop = bit(HeaderId::Connection) | bit(HeaderId::KeepAlive) |
                                     bit(HeaderId::ProxyConnection) | bit(HeaderId::Te) |
                                     bit(HeaderId::TransferEncoding) | bit(HeaderId::ContentLength);

// Names the Connection fields list for removal: well-known ones as a mask over ids, others
// (compared by spelling against fields without an id) in a small array. A longer list than the
// array holds is looked up in the Connection values themselves; that needs no allocation and
// only hostile heads pay for it.
struct ConnectionOptions {
    static constexpr size_t kMaxNamed = 8;

    uint32_t ids = 0;
    std::string_view named[kMaxNamed];
    size_t named_count = 0;
    bool overflow = false;

    void add(std::string_view token, bool keep_upgrade) {
        HeaderId id = header_id(token);
        // Connection itself always goes; Host is never hop-by-hop, so a client cannot strip the
        // routing field by naming it.
        if (id == HeaderId::Connection || id == HeaderId::Host ||
            (id == HeaderId::Upgrade && keep_upgrade)) {
            return;
        }
        if (id != HeaderId::Other) {
            ids |= bit(id);
        } else if (named_count < kMaxNamed) {
            named[named_count++] = token;
        } else {
            overflow = true;
        }
    }

    bool names(std::string_view field_name) const {
        for (size_t i = 0; i < named_count; ++i) {
            if (iequals(named[i], field_name)) {
                return true;
            }
        }
        return false;
    }
};

// The k-th Connection field's value; fields move as others are removed, so look it up afresh.
std::string_view nth_connection_value(const HeaderMap& headers, size_t k) {
    for (const HeaderField& field : headers) {
        if (field.id == HeaderId::Connection && k-- == 0) {
            return field.value;
        }
    }
    return {};
}

// More custom names than ConnectionOptions holds: remove each as its token is read, which costs
// one pass over the fields per token (as many as a head can list), never more.
void remove_listed_custom_fields(HeaderMap& headers) {
    size_t connections = headers.count(HeaderId::Connection);
    for (size_t k = 0; k < connections; ++k) {
        // The value's bytes stay put while fields are removed; Connection fields are not.
        detail::for_each_token(nth_connection_value(headers, k), [&](std::string_view token) {
            if (header_id(token) == HeaderId::Other) {
                headers.remove(token);
            }
        });
    }
}

}  // namespace

void remove_hop_by_hop(HeaderMap& headers, bool keep_upgrade) {
    ConnectionOptions options;
    options.ids = kAlwaysHopByHop | (keep_upgrade ? 0 : bit(HeaderId::Upgrade));
    for (const HeaderField& field : headers) {
        if (field.id == HeaderId::Connection) {
            detail::for_each_token(
                field.value, [&](std::string_view token) { options.add(token, keep_upgrade); });
        }
    }
    if (options.overflow) {
        remove_listed_custom_fields(headers);
    }
    headers.remove_if([&](const HeaderField& field) {
        if ((options.ids & bit(field.id)) != 0) {
            return true;
        }
        return field.id == HeaderId::Other && options.names(field.name);
    });
}

bool header_has_token(std::string_view value, std::string_view token) {
    bool found = false;
    detail::for_each_token(value,
                           [&](std::string_view item) { found = found || iequals(item, token); });
    return found;
}

}  // namespace gantry::http
