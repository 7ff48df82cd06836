#include <string>

#include <gantry/http/hop_by_hop.h>
#include <gantry/proxy/forwarding_headers.h>

namespace gantry::proxy {

void prepare_forwarded_request(http::RequestHead& head, std::string_view client_ip,
                               std::string_view scheme, bool tunnel_upgrade) {
    http::remove_hop_by_hop(head.headers, tunnel_upgrade);
    // gantry answers Expect: 100-continue itself, so the upstream never waits for it.
    head.headers.remove(http::HeaderId::Expect);

    // Several X-Forwarded-For fields form one list; keep their order and add the client last.
    size_t length = client_ip.size();
    size_t fields = 0;
    for (const auto& field : head.headers) {
        if (field.id == http::HeaderId::XForwardedFor) {
            length += field.value.size() + 2;
            ++fields;
        }
    }
    std::string_view forwarded_for = client_ip;
    if (fields > 0) {
        auto* text = static_cast<char*>(head.headers.resource()->allocate(length, 1));
        size_t at = 0;
        for (const auto& field : head.headers) {
            if (field.id == http::HeaderId::XForwardedFor) {
                field.value.copy(text + at, field.value.size());
                at += field.value.size();
                text[at++] = ',';
                text[at++] = ' ';
            }
        }
        client_ip.copy(text + at, client_ip.size());
        forwarded_for = std::string_view(text, length);
        head.headers.remove(http::HeaderId::XForwardedFor);
        head.headers.add_unowned("X-Forwarded-For", forwarded_for, http::HeaderId::XForwardedFor);
    } else {
        head.headers.add("X-Forwarded-For", forwarded_for);
    }
    head.headers.remove(http::HeaderId::XForwardedProto);
    head.headers.add_unowned("X-Forwarded-Proto", scheme, http::HeaderId::XForwardedProto);
    if (tunnel_upgrade) {
        head.headers.add_unowned("Connection", "upgrade", http::HeaderId::Connection);
    }
}

void set_client_cert_details(http::RequestHead& head, std::string_view details) {
    head.headers.remove("x-forwarded-client-cert");
    if (!details.empty()) {
        head.headers.add("x-forwarded-client-cert", details);
    }
}

std::string_view rewrite_path_prefix(http::HeaderMap& storage, std::string_view path,
                                     std::string_view query, std::string_view prefix,
                                     std::string_view replacement) {
    std::string_view rest = path.substr(std::min(prefix.size(), path.size()));
    // Avoid "//" when both the replacement ends and the rest starts with a slash.
    if (!replacement.empty() && replacement.back() == '/' && !rest.empty() && rest.front() == '/') {
        rest.remove_prefix(1);
    }
    std::string target;
    target.reserve(replacement.size() + rest.size() + query.size() + 1);
    target.append(replacement).append(rest);
    if (target.empty() || target.front() != '/') {
        target.insert(target.begin(), '/');
    }
    if (!query.empty()) {
        target.push_back('?');
        target.append(query);
    }
    return storage.store(target);
}

}  // namespace gantry::proxy
