#pragma once

// DnsRefresher: re-resolves the endpoint host names of each cluster every `dns_refresh`,
// without blocking (Resolver::async_resolve), on the main thread's io_context. When a name's
// addresses change it hands the new answers to `on_change`; server::Server then builds a new
// Generation from the same config snapshot with those answers and publishes it like a reload
// (workers keep the pooled connections of the addresses that stay). A failed lookup keeps the
// last known addresses, as Envoy does. Owned by Server; main thread only.

#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>

#include <gantry/config/generation.h>
#include <gantry/runtime/resolver.h>

namespace gantry::server {

class DnsRefresher {
public:
    // Returns false when the change could not be applied (refreshing then goes on as before).
    using OnChange = std::function<bool(config::Generation::NameResolutions names)>;

    DnsRefresher(boost::asio::io_context& io_context, runtime::Resolver& resolver,
                 OnChange on_change);
    ~DnsRefresher();
    DnsRefresher(const DnsRefresher&) = delete;
    DnsRefresher& operator=(const DnsRefresher&) = delete;

    // Starts refreshing `generation`'s names (and stops refreshing the previous one's).
    void apply(std::shared_ptr<const config::Generation> generation);

    void stop();

    struct Task;  // the timers of one generation (dns_refresher.cc)

private:
    void schedule(const std::shared_ptr<Task>& task, size_t cluster);
    void refresh(const std::shared_ptr<Task>& task, size_t cluster);
    void finish(const std::shared_ptr<Task>& task, size_t cluster,
                const config::Generation::NameResolutions& answers);

    boost::asio::io_context& io_context_;
    runtime::Resolver& resolver_;
    OnChange on_change_;
    std::shared_ptr<Task> task_;
};

}  // namespace gantry::server
