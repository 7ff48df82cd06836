#pragma once

// HeaderMutationFilter: applies the matched route's request_headers on the request head and its
// response_headers on the response head (set, then add, then remove). The first built-in filter;
// always in the chain before the router. Values are literal in this issue ($variables come with
// the traffic-management issue).

#include <gantry/filter/filter.h>

namespace gantry::config {
struct HeaderMutation;
}

namespace gantry::filter {

class HeaderMutationFilter final : public Filter {
public:
    FilterStatus on_request_head(http::RequestHead& head, bool end_stream) noexcept override;
    FilterStatus on_response_head(http::ResponseHead& head, bool end_stream) noexcept override;
};

class HeaderMutationFilterFactory final : public FilterFactory {
public:
    Filter* create(std::pmr::memory_resource* arena) const override;
};

// Applies one mutation to a header map (exposed for unit tests).
void apply_header_mutation(const config::HeaderMutation& mutation, http::HeaderMap& headers);

}  // namespace gantry::filter
