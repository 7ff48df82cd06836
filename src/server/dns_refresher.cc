#include <set>

#include <boost/asio/steady_timer.hpp>

#include <gantry/runtime/log.h>
#include <gantry/server/dns_refresher.h>

namespace gantry::server {

namespace asio = boost::asio;

namespace {

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::set<std::string> names_of(const config::ClusterConfig& cluster) {
    std::set<std::string> names;
    for (const auto& endpoint : cluster.endpoints) {
        if (!is_ip_literal(endpoint.address.host)) {
            names.insert(endpoint.address.host);
        }
    }
    return names;
}

}  // namespace

struct DnsRefresher::Task {
    std::shared_ptr<const config::Generation> generation;
    std::vector<std::unique_ptr<asio::steady_timer>> timers;  // one per cluster
    bool is_stopped = false;
};

DnsRefresher::DnsRefresher(asio::io_context& io_context, runtime::Resolver& resolver,
                           OnChange on_change)
    : io_context_(io_context)
    , resolver_(resolver)
    , on_change_(std::move(on_change)) {}

DnsRefresher::~DnsRefresher() {
    stop();
}

void DnsRefresher::stop() {
    if (task_) {
        task_->is_stopped = true;
        for (auto& timer : task_->timers) {
            timer->cancel();
        }
        task_.reset();
    }
}

void DnsRefresher::apply(std::shared_ptr<const config::Generation> generation) {
    stop();
    task_ = std::make_shared<Task>();
    task_->generation = std::move(generation);
    const auto& clusters = task_->generation->clusters();
    for (size_t i = 0; i < clusters.size(); ++i) {
        task_->timers.push_back(std::make_unique<asio::steady_timer>(io_context_));
        if (!names_of(*clusters[i].config).empty()) {
            schedule(task_, i);
        }
    }
}

void DnsRefresher::schedule(const std::shared_ptr<Task>& task, size_t cluster) {
    asio::steady_timer& timer = *task->timers[cluster];
    timer.expires_after(task->generation->clusters()[cluster].config->dns_refresh);
    timer.async_wait([this, task, cluster](boost::system::error_code ec) {
        if (!ec && !task->is_stopped) {
            refresh(task, cluster);
        }
    });
}

void DnsRefresher::refresh(const std::shared_ptr<Task>& task, size_t cluster) {
    const std::set<std::string> names = names_of(*task->generation->clusters()[cluster].config);
    auto pending = std::make_shared<size_t>(names.size());
    auto answers = std::make_shared<config::Generation::NameResolutions>();
    for (const auto& name : names) {
        resolver_.async_resolve(
            io_context_, name,
            [this, task, cluster, name, pending, answers](runtime::Resolver::Addresses addresses,
                                                          std::string error) {
                if (task->is_stopped) {
                    return;
                }
                if (error.empty() && addresses.empty()) {
                    error = "`" + name + "` has no addresses";
                }
                if (error.empty()) {
                    (*answers)[name] = std::move(addresses);
                } else {
                    log::warn("cluster ", task->generation->clusters()[cluster].config->name, ": ",
                              error, "; keeping the last known addresses");
                }
                if (--*pending == 0) {
                    finish(task, cluster, *answers);
                }
            });
    }
}

void DnsRefresher::finish(const std::shared_ptr<Task>& task, size_t cluster,
                          const config::Generation::NameResolutions& answers) {
    config::Generation::NameResolutions merged = task->generation->resolved_names();
    bool changed = false;
    for (const auto& [name, addresses] : answers) {
        if (merged[name] != addresses) {
            merged[name] = addresses;
            changed = true;
        }
    }
    if (changed) {
        log::info("cluster ", task->generation->clusters()[cluster].config->name,
                  ": endpoint addresses changed");
        // On success this builds and applies a new generation, which stops this task.
        if (on_change_(std::move(merged))) {
            return;
        }
    }
    schedule(task, cluster);
}

}  // namespace gantry::server
