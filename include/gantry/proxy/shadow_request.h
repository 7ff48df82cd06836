#pragma once

// ShadowRequest: the fire-and-forget copy of a request that a route's `mirror` sends to another
// cluster (Envoy's request_mirror_policies). It carries a copy of the head (Host gets "-shadow")
// and of a bounded body, opens its own connection (Connection: close), and drops whatever comes
// back. It owns everything it uses, so it may outlive the request it copies; it holds a slot of
// the mirror cluster's circuit breakers while it runs and gives up at the route's timeout.
// Made by the RouterFilter on the stream's worker thread; runs as a detached coroutine there.

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <gantry/http/message.h>

namespace gantry::upstream {
class Cluster;
struct ClusterShared;
}  // namespace gantry::upstream

namespace gantry::proxy {

class ShadowRequest {
public:
    // A request body larger than this is not mirrored (the shadow is dropped).
    static constexpr size_t kMaxBody = 64 * 1024;

    // A shadow for one endpoint of `cluster`; null when the cluster has no endpoint.
    // `timeout` bounds its whole life (0: 60 s).
    static std::unique_ptr<ShadowRequest> create(upstream::Cluster& cluster,
                                                 std::chrono::milliseconds timeout);

    // Keeps a copy of request body bytes; false once the body is over kMaxBody.
    bool add_body(std::string_view data);

    // Copies `head` (with `target` as the request-target) and sends it with the body kept so
    // far, unless the mirror cluster's circuit breakers are full (then returns false). The head
    // must already be prepared for forwarding (hop-by-hop fields removed).
    static bool launch(std::unique_ptr<ShadowRequest> self, const http::RequestHead& head,
                       std::string_view target, const boost::asio::any_io_executor& executor);

    ~ShadowRequest();

private:
    ShadowRequest() = default;
    boost::asio::awaitable<void> run();
    void serialize_head(const http::RequestHead& head, std::string_view target);

    std::optional<boost::asio::ip::tcp::socket> socket_;  // made at launch
    std::shared_ptr<upstream::ClusterShared> shared_;
    boost::asio::ip::tcp::endpoint endpoint_;
    std::chrono::milliseconds connect_timeout_{0};
    std::chrono::milliseconds timeout_{0};
    uint32_t max_requests_ = 0;  // the mirror cluster's breakers when the shadow was made
    uint32_t max_pending_ = 0;
    std::string bytes_;  // serialized head, then the body
    std::string body_;
    bool holds_request_slot_ = false;
    std::array<char, 4096> sink_;  // the response is read into this and dropped
};

// "host:port" with "-shadow" appended to the host part ("a.com:80" -> "a.com-shadow:80").
std::string shadow_host(std::string_view host);

}  // namespace gantry::proxy
