// The admin side of the Server: starting the admin listener and answering admin::AdminState.

#include <chrono>

#include <gantry/runtime/log.h>
#include <gantry/server/server.h>

namespace gantry::server {

bool Server::start_admin() {
    start_time_seconds_ =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto& listen = generation_->config().admin.listen;
    if (!listen) {
        return true;
    }
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
    std::string error;
    if (!config::resolve_host_port(*listen, endpoints, &error) || endpoints.empty()) {
        log::error("admin.listen: ", error);
        return false;
    }
    admin_ = std::make_unique<admin::AdminServer>(
        io_context_, [this](std::string_view method, std::string_view path) {
            return admin::handle_admin_request(*this, method, path);
        });
    if (!admin_->listen(endpoints.front(), &error)) {
        log::error(error);
        return false;
    }
    return true;
}

bool Server::is_ready() const {
    return is_started_ && !is_stopping_;
}

std::shared_ptr<const config::Generation> Server::running_generation() const {
    return generation_;
}

std::vector<const observability::WorkerMetrics*> Server::worker_metrics() const {
    std::vector<const observability::WorkerMetrics*> out;
    out.reserve(workers_.size());
    for (const auto& worker : workers_) {
        out.push_back(&worker->metrics());
    }
    return out;
}

observability::ProcessMetrics Server::process_metrics() const {
    observability::ProcessMetrics out;
    out.reloads = reload_stats_.applied.load(std::memory_order_relaxed);
    out.reload_failures = reload_stats_.failed.load(std::memory_order_relaxed);
    out.generation = generation_ ? generation_->number() : 0;
    out.workers = workers_.size();
    out.start_time_seconds = start_time_seconds_;
    return out;
}

}  // namespace gantry::server
