#pragma once

// HeaderMutationFilter: applies the matched route's request_headers on the request head and its
// response_headers on the response head (set, then add, then remove). The first built-in filter;
// always in the chain before the router. Values may hold $variables (router/header_template.h),
// expanded into the request's arena.

#include <gantry/filter/filter.h>
#include <gantry/router/header_template.h>

namespace gantry::config {
struct HeaderMutation;
}

namespace gantry::filter {

class HeaderMutationFilter final : public Filter {
public:
    FilterStatus on_request_head(http::RequestHead& head, bool end_stream) noexcept override;
    FilterStatus on_response_head(http::ResponseHead& head, bool end_stream) noexcept override;

private:
    router::HeaderVariables variables();

    const http::RequestHead* request_ = nullptr;  // in the stream's arena
};

class HeaderMutationFilterFactory final : public FilterFactory {
public:
    runtime::ArenaPtr<Filter> create(std::pmr::memory_resource* arena) const override;
};

// Applies one mutation to a header map (exposed for unit tests). Values with $variables are
// expanded from `variables` into the map's memory; without `variables` they are taken literally.
void apply_header_mutation(const config::HeaderMutation& mutation, http::HeaderMap& headers,
                           const router::HeaderVariables* variables = nullptr);

}  // namespace gantry::filter
