#pragma once

// RouterFilter: the terminal filter of every chain. It carries out the matched route's action:
// `respond` and `redirect` answer locally; `forward` picks an endpoint of the cluster and runs an
// UpstreamRequest, whose response it feeds back into the response path. Made per stream in the
// stream's arena; runs on the stream's worker thread.

#include <memory>
#include <string_view>

#include <gantry/filter/filter.h>
#include <gantry/proxy/shadow_request.h>

namespace gantry::config {
struct ForwardAction;
struct RedirectAction;
struct RespondAction;
}  // namespace gantry::config

namespace gantry::upstream {
class Cluster;
}

namespace gantry::proxy {

class Stream;
class UpstreamRequest;

class RouterFilter final : public filter::Filter {
public:
    explicit RouterFilter(Stream& stream);

    ~RouterFilter() override;

    filter::FilterStatus on_request_head(http::RequestHead& head,
                                         bool end_stream) noexcept override;
    filter::FilterStatus on_request_body(std::string_view data, bool end_stream) noexcept override;
    filter::FilterStatus on_request_trailers(http::HeaderMap& trailers) noexcept override;

    // Stops the upstream request (client went away, drain timeout).
    void abort() noexcept;

private:
    void respond(const config::RespondAction& action);
    void redirect(const config::RedirectAction& action, const http::RequestHead& head);
    void forward(const config::ForwardAction& action, http::RequestHead& head);
    // The cluster of a `cluster` forward, or one of `weighted` drawn by weight.
    std::string_view choose_cluster(const config::ForwardAction& action);
    // Makes the shadow copy when the route mirrors and this request is drawn; a request without
    // a body goes at once, one with a body when the body has been read.
    void maybe_mirror(const config::ForwardAction& action, http::RequestHead& head,
                      std::string_view target);
    void launch_shadow();

    Stream& stream_;
    runtime::ArenaPtr<UpstreamRequest> upstream_;
    runtime::ArenaPtr<http::ResponseHead> redirect_head_;  // the answer of a `redirect` route
    std::unique_ptr<ShadowRequest> shadow_;                // while its request body is being copied
    std::string_view shadow_target_;
    upstream::Cluster* shadow_cluster_ = nullptr;  // pinned by the stream's generation
};

// Builds the Location of a redirect (exposed for unit tests).
std::string build_redirect_location(const config::RedirectAction& action,
                                    std::string_view request_scheme, std::string_view authority,
                                    std::string_view path, std::string_view query);

}  // namespace gantry::proxy
