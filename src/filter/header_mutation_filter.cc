#include <new>
#include <string>

#include <gantry/config.h>
#include <gantry/filter/header_mutation_filter.h>

namespace gantry::filter {

namespace {

// Config strings outlive every stream of their generation, so literal values are not copied; a
// value with variables is expanded once into the map's memory.
std::string_view value_for(std::string_view text, http::HeaderMap& headers,
                           const router::HeaderVariables* variables) {
    if (variables == nullptr || !router::has_variables(text)) {
        return text;
    }
    std::pmr::string expanded(headers.resource());  // arena memory, no heap
    router::expand_header_template(text, *variables, expanded);
    return headers.store(expanded);
}

}  // namespace

void apply_header_mutation(const config::HeaderMutation& mutation, http::HeaderMap& headers,
                           const router::HeaderVariables* variables) {
    for (const auto& [name, value] : mutation.set) {
        headers.remove(name);
        headers.add_unowned(name, value_for(value, headers, variables), http::header_id(name));
    }
    for (const auto& [name, value] : mutation.add) {
        headers.add_unowned(name, value_for(value, headers, variables), http::header_id(name));
    }
    for (const auto& name : mutation.remove) {
        headers.remove(name);
    }
}

router::HeaderVariables HeaderMutationFilter::variables() {
    router::HeaderVariables out;
    out.remote_addr = callbacks().downstream_address();
    out.request_id = callbacks().request_id();
    out.scheme = callbacks().scheme();
    if (request_ != nullptr) {
        out.host = request_->authority;
        out.method = request_->method;
        out.uri = request_->path;
    }
    return out;
}

FilterStatus HeaderMutationFilter::on_request_head(http::RequestHead& head, bool) noexcept {
    request_ = &head;
    if (const config::Route* route = callbacks().route()) {
        if (!route->request_headers.empty()) {
            router::HeaderVariables values = variables();
            apply_header_mutation(route->request_headers, head.headers, &values);
        }
    }
    return FilterStatus::Continue;
}

FilterStatus HeaderMutationFilter::on_response_head(http::ResponseHead& head, bool) noexcept {
    if (const config::Route* route = callbacks().route()) {
        if (!route->response_headers.empty()) {
            router::HeaderVariables values = variables();
            apply_header_mutation(route->response_headers, head.headers, &values);
        }
    }
    return FilterStatus::Continue;
}

runtime::ArenaPtr<Filter> HeaderMutationFilterFactory::create(
    std::pmr::memory_resource* arena) const {
    return runtime::make_in_arena<HeaderMutationFilter>(arena);
}

}  // namespace gantry::filter
