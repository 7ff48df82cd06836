#include <array>

#include <gantry/router/header_template.h>

namespace gantry::router {

namespace {

using Field = std::string_view HeaderVariables::*;

struct Variable {
    std::string_view name;
    Field field;
};

constexpr std::array<Variable, 6> kVariables = {{
    {"remote_addr", &HeaderVariables::remote_addr},
    {"request_id", &HeaderVariables::request_id},
    {"host", &HeaderVariables::host},
    {"scheme", &HeaderVariables::scheme},
    {"request_method", &HeaderVariables::method},
    {"uri", &HeaderVariables::uri},
}};

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const Variable* find_variable(std::string_view name) {
    for (const Variable& variable : kVariables) {
        if (variable.name == name) {
            return &variable;
        }
    }
    return nullptr;
}

// One `$...` reference at text[at] == '$': its name and its length in the text. An empty name
// means no valid reference ("$", "${", "${}" or an unclosed brace).
struct Reference {
    std::string_view name;
    size_t length = 1;
    bool is_dollar = false;  // "$$"
};

Reference read_reference(std::string_view text, size_t at) {
    Reference ref;
    if (at + 1 < text.size() && text[at + 1] == '$') {
        ref.is_dollar = true;
        ref.length = 2;
        return ref;
    }
    if (at + 1 < text.size() && text[at + 1] == '{') {
        const size_t close = text.find('}', at + 2);
        if (close != std::string_view::npos) {
            ref.name = text.substr(at + 2, close - at - 2);
            ref.length = close - at + 1;
        }
        return ref;
    }
    size_t end = at + 1;
    while (end < text.size() && is_name_char(text[end])) {
        ++end;
    }
    ref.name = text.substr(at + 1, end - at - 1);
    ref.length = end - at;
    return ref;
}

std::string known_names() {
    std::string list;
    for (const Variable& variable : kVariables) {
        list += (list.empty() ? "$" : ", $") + std::string(variable.name);
    }
    return list;
}

}  // namespace

std::string check_header_template(std::string_view text) {
    for (size_t at = text.find('$'); at != std::string_view::npos;) {
        const Reference ref = read_reference(text, at);
        if (!ref.is_dollar) {
            if (ref.name.empty()) {
                return "`$` must start a variable (" + known_names() + ") or be written `$$`";
            }
            if (find_variable(ref.name) == nullptr) {
                return "unknown variable `$" + std::string(ref.name) + "`; known: " + known_names();
            }
        }
        at = text.find('$', at + ref.length);
    }
    return {};
}

void expand_header_template(std::string_view text, const HeaderVariables& values,
                            std::pmr::string& out) {
    size_t copied = 0;
    for (size_t at = text.find('$'); at != std::string_view::npos;) {
        out.append(text.substr(copied, at - copied));
        const Reference ref = read_reference(text, at);
        const Variable* variable = ref.is_dollar ? nullptr : find_variable(ref.name);
        if (ref.is_dollar) {
            out.push_back('$');
        } else if (variable != nullptr) {
            out.append(values.*(variable->field));
        } else {
            out.append(text.substr(at, ref.length));
        }
        copied = at + ref.length;
        at = text.find('$', copied);
    }
    out.append(text.substr(copied));
}

}  // namespace gantry::router
