#include <new>

#include <gantry/config.h>
#include <gantry/filter/header_mutation_filter.h>

namespace gantry::filter {

void apply_header_mutation(const config::HeaderMutation& mutation, http::HeaderMap& headers) {
    // Config strings outlive every stream of their generation, so they are not copied.
    for (const auto& [name, value] : mutation.set) {
        headers.remove(name);
        headers.add_unowned(name, value, http::header_id(name));
    }
    for (const auto& [name, value] : mutation.add) {
        headers.add_unowned(name, value, http::header_id(name));
    }
    for (const auto& name : mutation.remove) {
        headers.remove(name);
    }
}

FilterStatus HeaderMutationFilter::on_request_head(http::RequestHead& head, bool) noexcept {
    if (const config::Route* route = callbacks().route()) {
        apply_header_mutation(route->request_headers, head.headers);
    }
    return FilterStatus::Continue;
}

FilterStatus HeaderMutationFilter::on_response_head(http::ResponseHead& head, bool) noexcept {
    if (const config::Route* route = callbacks().route()) {
        apply_header_mutation(route->response_headers, head.headers);
    }
    return FilterStatus::Continue;
}

Filter* HeaderMutationFilterFactory::create(std::pmr::memory_resource* arena) const {
    void* memory = arena->allocate(sizeof(HeaderMutationFilter), alignof(HeaderMutationFilter));
    return new (memory) HeaderMutationFilter();
}

}  // namespace gantry::filter
