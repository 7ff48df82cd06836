#pragma once

// Header values with $variables (`x-client: $remote_addr`): checked once when the config is
// loaded, expanded per request into the request's arena. `$name` or `${name}`; `$$` is a
// literal '$'. Pure functions; the header mutation filter calls expand() on its worker thread.

#include <memory_resource>
#include <string>
#include <string_view>

namespace gantry::router {

// What a header value may refer to, taken from the request being served.
struct HeaderVariables {
    std::string_view remote_addr;  // client IP, no port
    std::string_view request_id;   // as sent upstream in X-Request-Id
    std::string_view host;         // the request's Host (authority)
    std::string_view scheme;       // "http" or "https"
    std::string_view method;       // $request_method
    std::string_view uri;          // $uri: path without the query
};

// Empty when `text` is a valid template; otherwise why not ("unknown variable `$x`...").
std::string check_header_template(std::string_view text);

// Whether `text` needs expanding at all (it holds a '$').
inline bool has_variables(std::string_view text) {
    return text.find('$') != std::string_view::npos;
}

// Appends `text` with its variables replaced to `out`. `text` must have passed
// check_header_template; anything else is copied as it is.
void expand_header_template(std::string_view text, const HeaderVariables& values,
                            std::pmr::string& out);

}  // namespace gantry::router
