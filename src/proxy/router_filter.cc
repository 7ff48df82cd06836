#include <new>
#include <string>

#include <gantry/config.h>
#include <gantry/http/headers.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/forwarding_headers.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/router_filter.h>
#include <gantry/proxy/stream.h>
#include <gantry/proxy/upstream_request.h>
#include <gantry/router/path_rewrite.h>
#include <gantry/tls/connection_info.h>
#include <gantry/upstream/cluster.h>

namespace gantry::proxy {

namespace {

bool upgrade_allowed(const config::ForwardAction& action, const http::RequestHead& head) {
    if (!head.wants_upgrade) {
        return false;
    }
    for (const auto& protocol : action.upgrades) {
        if (http::iequals(protocol, head.upgrade)) {
            return true;
        }
    }
    return false;
}

}  // namespace

// upstream_ and redirect_head_ are destroyed with the filter; the stream's arena frees them.
RouterFilter::RouterFilter(Stream& stream) : stream_(stream) {}

RouterFilter::~RouterFilter() = default;

filter::FilterStatus RouterFilter::on_request_head(http::RequestHead& head, bool) noexcept {
    const config::Route* route = callbacks().route();
    if (route == nullptr) {
        callbacks().send_local_reply(
            404, ProxyError::downstream(ProxyError::Phase::RequestHead, ProxyError::Kind::NoRoute),
            "no route\n", "text/plain");
        return filter::FilterStatus::StopIteration;
    }
    if (const auto* forward_action = std::get_if<config::ForwardAction>(&route->action)) {
        forward(*forward_action, head);
    } else if (const auto* respond_action = std::get_if<config::RespondAction>(&route->action)) {
        respond(*respond_action);
    } else {
        redirect(std::get<config::RedirectAction>(route->action), head);
    }
    return filter::FilterStatus::StopIteration;
}

filter::FilterStatus RouterFilter::on_request_body(std::string_view data,
                                                   bool end_stream) noexcept {
    if (shadow_ && !shadow_->add_body(data)) {
        shadow_.reset();  // too big to copy: this request is not mirrored
        stream_.connection().worker().metrics().on_mirror(shadow_cluster_->metric_id(), false);
    }
    if (upstream_) {
        upstream_->push_body(data, end_stream);
    }
    if (end_stream) {
        launch_shadow();
    }
    return filter::FilterStatus::Continue;
}

filter::FilterStatus RouterFilter::on_request_trailers(http::HeaderMap& trailers) noexcept {
    if (upstream_) {
        upstream_->push_trailers(trailers);
    }
    launch_shadow();
    return filter::FilterStatus::Continue;
}

void RouterFilter::abort() noexcept {
    if (upstream_) {
        upstream_->abort();
    }
}

void RouterFilter::respond(const config::RespondAction& action) {
    callbacks().send_local_reply(action.status, ProxyError{}, action.body, action.content_type);
}

void RouterFilter::redirect(const config::RedirectAction& action, const http::RequestHead& head) {
    std::string location = build_redirect_location(action, stream_.connection().scheme(),
                                                   head.authority, head.path, head.query);
    std::pmr::memory_resource* arena = callbacks().arena();
    redirect_head_ = runtime::make_in_arena<http::ResponseHead>(arena, arena);
    http::ResponseHead* response = redirect_head_.get();
    response->status = action.status;
    response->content_length = 0;
    response->headers.add("Location", location);
    callbacks().encode_response_head(*response, true);
}

void RouterFilter::forward(const config::ForwardAction& action, http::RequestHead& head) {
    std::string_view cluster_name = choose_cluster(action);
    stream_.set_upstream_cluster(cluster_name);
    upstream::Cluster* cluster = stream_.generation()->find_cluster(cluster_name);
    if (cluster == nullptr) {
        callbacks().send_local_reply(
            503,
            ProxyError::upstream(ProxyError::Phase::Connect, ProxyError::Kind::NoHealthyEndpoint),
            "no healthy endpoint\n", "text/plain");
        return;
    }
    bool is_upgrade = upgrade_allowed(action, head);
    std::string_view target = head.target;
    const config::Route* route = callbacks().route();
    if (action.has_rewrite_prefix && route->match.kind == config::PathMatchKind::Prefix) {
        target = rewrite_path_prefix(head.headers, head.path, head.query, route->match.path,
                                     action.rewrite_prefix);
    } else if (action.rewrite_regex) {
        target = head.headers.store(
            router::rewrite_path_regex(*action.rewrite_regex, head.path, head.query));
    }
    prepare_forwarded_request(head, stream_.connection().remote_ip(), stream_.connection().scheme(),
                              is_upgrade);
    if (action.mirror && !is_upgrade) {
        maybe_mirror(action, head, target);
    }
    const tls::ConnectionInfo* tls = stream_.connection().tls_info();
    set_client_cert_details(head, tls ? std::string_view(tls->client_cert_details) : "");
    if (head.expects_continue && head.has_body()) {
        stream_.connection().write_continue();
    }
    upstream_ = runtime::make_in_arena<UpstreamRequest>(callbacks().arena(), stream_, *cluster,
                                                        action, target, is_upgrade);
    upstream_->start();
}

void RouterFilter::maybe_mirror(const config::ForwardAction& action, http::RequestHead& head,
                                std::string_view target) {
    proxy::ProxyWorker& worker = stream_.connection().worker();
    if (worker.random().below(100) >= action.mirror->percent) {
        return;
    }
    upstream::Cluster* cluster = stream_.generation()->find_cluster(action.mirror->cluster);
    if (cluster == nullptr) {
        return;
    }
    shadow_ = ShadowRequest::create(*cluster, action.timeout);
    shadow_cluster_ = cluster;
    shadow_target_ = target;
    if (!head.has_body()) {
        launch_shadow();
    }
}

void RouterFilter::launch_shadow() {
    if (shadow_) {
        bool is_sent = ShadowRequest::launch(std::move(shadow_), stream_.request(), shadow_target_,
                                             stream_.connection().worker().executor());
        stream_.connection().worker().metrics().on_mirror(shadow_cluster_->metric_id(), is_sent);
    }
}

std::string_view RouterFilter::choose_cluster(const config::ForwardAction& action) {
    if (action.weighted.empty()) {
        return action.cluster;
    }
    uint64_t ticket = stream_.connection().worker().random().below(action.total_weight);
    for (const config::WeightedCluster& weighted : action.weighted) {
        if (ticket < weighted.weight) {
            return weighted.cluster;
        }
        ticket -= weighted.weight;
    }
    return action.weighted.back().cluster;  // unreachable: the weights add up to the total
}

std::string build_redirect_location(const config::RedirectAction& action,
                                    std::string_view request_scheme, std::string_view authority,
                                    std::string_view path, std::string_view query) {
    std::string_view scheme = action.scheme.empty() ? request_scheme : action.scheme;
    std::string_view host = authority;
    std::string_view port;
    // Split an explicit port off the authority ("[v6]:80" or "name:80").
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (!action.host.empty()) {
        host = action.host;
        port = {};
    }
    std::string location;
    location.append(scheme).append("://").append(host);
    if (action.port != 0) {
        location.append(":").append(std::to_string(action.port));
    } else if (!port.empty() && action.scheme.empty()) {
        location.append(":").append(port);
    }
    location.append(action.path.empty() ? path : std::string_view(action.path));
    if (!action.strip_query && !query.empty()) {
        location.append("?").append(query);
    }
    return location;
}

}  // namespace gantry::proxy
