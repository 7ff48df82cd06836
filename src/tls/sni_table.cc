#include <gantry/tls/sni_table.h>

namespace gantry::tls {

namespace {

constexpr size_t kMaxNameLength = 255;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace

void SniTable::add(std::string_view name, size_t index) {
    if (name.starts_with("*.") && name.size() > 2) {
        wildcard_.emplace(lower(name.substr(2)), index);
    } else if (!name.empty() && name.find('*') == std::string_view::npos) {
        exact_.emplace(lower(name), index);
    }
    // Other wildcard shapes ("f*o.example.com", "*") are not honoured, as browsers do not.
}

std::optional<size_t> SniTable::find(std::string_view server_name) const {
    if (server_name.ends_with('.')) {
        server_name.remove_suffix(1);
    }
    if (server_name.empty() || server_name.size() > kMaxNameLength) {
        return std::nullopt;
    }
    std::string name = lower(server_name);
    if (auto it = exact_.find(name); it != exact_.end()) {
        return it->second;
    }
    size_t dot = name.find('.');
    if (dot == 0 || dot == std::string::npos) {
        return std::nullopt;  // an empty first label, or a single label: no wildcard covers it
    }
    if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end()) {
        return it->second;
    }
    return std::nullopt;
}

}  // namespace gantry::tls
