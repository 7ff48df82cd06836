#include <algorithm>
#include <cstdint>
#include <malloc.h>

#include <boost/asio/post.hpp>

#include <gantry/runtime/log.h>
#include <gantry/server/listener.h>
#include <gantry/server/worker.h>

namespace gantry::server {

namespace asio = boost::asio;

namespace {

// Once a second the free lists are trimmed to kKeptFreeBlocks.
constexpr size_t kKeptFreeBlocks = 32;
constexpr uint64_t kTicksPerTrim = 10;
constexpr auto kHousekeepingInterval = std::chrono::milliseconds(100);

}  // namespace

Worker::Worker(size_t index, std::shared_ptr<observability::AccessLogSink> access_log)
    : ProxyWorker(index)
    , access_log_sink_(std::move(access_log))
    , housekeeping_timer_(io_context_)
    , drain_timer_(io_context_)
    , retire_timer_(io_context_) {
    if (access_log_sink_) {
        access_log_buffer_ = std::make_unique<observability::AccessLogBuffer>(access_log_sink_);
    }
}

Worker::~Worker() {
    join();
}

void Worker::add_listener(const std::string& name, ListenSocket socket) {
    listeners_.push_back(std::make_shared<Listener>(*this, name, std::move(socket)));
}

void Worker::start(std::shared_ptr<const config::Generation> generation) {
    apply_generation(std::move(generation));
    thread_ = std::thread([this] {
        for (auto& listener : listeners_) {
            listener->start();
        }
        start_housekeeping();
        try {
            io_context_.run();
        } catch (const std::exception& e) {
            // The data plane never throws; an exception here is a bug (architecture rule).
            log::error("worker ", index_, ": unexpected exception: ", e.what());
            std::abort();
        }
        finish_pending_handlers();
        if (access_log_buffer_) {
            access_log_buffer_->flush();
        }
    });
}

void Worker::finish_pending_handlers() {
    // Coroutines of closed connections still have completions queued (operation_aborted). Run
    // them now, so connections end while this worker's pools still exist; io_context's own
    // destructor would destroy them after the pools.
    io_context_.restart();
    while (io_context_.poll() > 0) {
    }
}

void Worker::post_update(WorkerUpdate update) {
    asio::post(io_context_,
               [this, update = std::move(update)]() mutable { apply_update(std::move(update)); });
}

void Worker::apply_update(WorkerUpdate update) {
    if (draining_) {
        return;  // stopping: the listeners are closed and the new sockets are simply dropped
    }
    if (update.access_log_changed) {
        if (access_log_buffer_) {
            access_log_buffer_->flush();
        }
        access_log_sink_ = std::move(update.access_log);
        access_log_buffer_ =
            access_log_sink_ ? std::make_unique<observability::AccessLogBuffer>(access_log_sink_)
                             : nullptr;
    }
    apply_generation(std::move(update.generation));
    reconcile_listeners(std::move(update.new_sockets));
    retire_connections();
}

void Worker::reconcile_listeners(std::vector<ListenSocket> new_sockets) {
    const config::Generation& generation = *current_->generation;
    auto owner_of = [&](const asio::ip::tcp::endpoint& endpoint) -> const std::string* {
        for (const auto& listener : generation.listeners()) {
            for (const auto& address : listener.addresses) {
                if (address == endpoint) {
                    return &listener.config->name;
                }
            }
        }
        return nullptr;
    };
    std::vector<std::shared_ptr<Listener>> kept;
    for (auto& listener : listeners_) {
        if (const std::string* name = owner_of(listener->endpoint())) {
            listener->set_name(*name);
            kept.push_back(std::move(listener));
        } else {
            log::info("listener ", listener->name(), ": stopped accepting on ",
                      listener->endpoint());
            listener->close();  // its accept loop holds it until the loop has ended
        }
    }
    listeners_ = std::move(kept);
    for (auto& socket : new_sockets) {
        const std::string* name = owner_of(socket.endpoint());
        if (name == nullptr) {
            continue;  // cannot happen: the main thread opened it for this generation
        }
        auto listener = std::make_shared<Listener>(*this, *name, std::move(socket));
        listener->start();
        listeners_.push_back(std::move(listener));
    }
}

bool Worker::is_served(proxy::DrainableConnection& connection) const {
    const config::ListenerRuntime* listener =
        current_->generation->find_listener(connection.listener_name());
    if (listener == nullptr) {
        return false;
    }
    boost::system::error_code ec;
    asio::ip::tcp::endpoint local = connection.local_endpoint(ec);
    if (ec) {
        return true;  // closing anyway; nothing to decide
    }
    for (const auto& address : listener->addresses) {
        if (endpoint_covers(address, local)) {
            return true;
        }
    }
    return false;
}

void Worker::retire_connections() {
    // Connections accepted on an address that the reload removed (or whose listener it removed)
    // finish their in-flight request and close; everything else stays open on the new routes.
    std::vector<proxy::DrainableConnection*> retired;
    for (auto* connection : connections_) {
        if (!is_served(*connection)) {
            retired.push_back(connection);
        }
    }
    if (retired.empty()) {
        return;
    }
    for (auto* connection : retired) {
        connection->begin_drain();  // may close it, which removes it from connections_
    }
    retire_timer_.expires_after(current_->generation->config().limits.drain_timeout);
    retire_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        std::vector<proxy::DrainableConnection*> remaining;
        for (auto* connection : connections_) {
            if (!is_served(*connection)) {
                remaining.push_back(connection);
            }
        }
        if (!remaining.empty()) {
            log::warn("worker ", index_, ": drain timeout of removed listeners, closing ",
                      remaining.size(), " connections");
        }
        for (auto* connection : remaining) {
            connection->abort();
        }
    });
}

void Worker::apply_generation(std::shared_ptr<const config::Generation> generation) {
    metrics_.ensure(generation->metric_sizes());  // before any request counts under its ids
    proxy::WorkerGenerationRef next(new proxy::WorkerGeneration());
    next->generation = generation;
    for (const auto& resolved : generation->clusters()) {
        std::shared_ptr<upstream::Cluster> cluster;
        upstream::Cluster* older = nullptr;
        if (current_) {
            auto it = current_->clusters.find(resolved.config->name);
            if (it != current_->clusters.end()) {
                older = it->second.get();
                if (older->fingerprint() == resolved.fingerprint) {
                    cluster = it->second;
                    cluster->adopt(config::share_part(generation, resolved));
                }
            }
        }
        if (!cluster) {
            cluster = std::make_shared<upstream::Cluster>(config::share_part(generation, resolved),
                                                          random_.next());
            if (older != nullptr) {
                cluster->take_idle_connections(*older);  // endpoints that stay keep their pools
            }
        }
        next->clusters.emplace(resolved.config->name, std::move(cluster));
    }
    if (current_) {
        for (auto& [name, cluster] : current_->clusters) {
            auto it = next->clusters.find(name);
            if (it == next->clusters.end() || it->second != cluster) {
                cluster->close_idle();  // retired: in-flight requests finish on it, no reuse
            }
        }
    }
    current_ = std::move(next);
}

void Worker::start_housekeeping() {
    housekeeping_timer_.expires_after(kHousekeepingInterval);
    housekeeping_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        auto now = std::chrono::steady_clock::now();
        for (auto& [name, cluster] : current_->clusters) {
            cluster->sweep(now);
        }
        if (access_log_buffer_) {
            access_log_buffer_->flush();
        }
        if (++housekeeping_ticks_ % kTicksPerTrim == 0) {
            return_idle_memory();
        }
        start_housekeeping();
    });
}

void Worker::return_idle_memory() {
    // After a burst, pooled blocks beyond a small reserve go back to malloc, and malloc gives
    // freed pages back to the kernel, so idle connections are not charged for a past peak.
    size_t freed = trim_free_lists(kKeptFreeBlocks) + trim_idle_streams(kKeptFreeBlocks);
    if (freed > 0) {
        ::malloc_trim(0);
    }
}

void Worker::add_connection(proxy::DrainableConnection* connection) {
    connection->set_registry_index(connections_.size());
    connections_.push_back(connection);
    metrics_.on_connection_opened();
}

void Worker::replace_connection(proxy::DrainableConnection& connection,
                                proxy::DrainableConnection& successor) {
    size_t index = connection.registry_index();
    if (index < connections_.size() && connections_[index] == &connection) {
        connections_[index] = &successor;
        successor.set_registry_index(index);
        connection.set_registry_index(SIZE_MAX);  // its remove_connection is a no-op now
    }
}

void Worker::remove_connection(proxy::DrainableConnection* connection) {
    size_t index = connection->registry_index();
    if (index < connections_.size() && connections_[index] == connection) {
        connections_[index] = connections_.back();
        connections_[index]->set_registry_index(index);
        connections_.pop_back();
        metrics_.on_connection_closed();
    }
    if (draining_) {
        check_drained();
    }
}

void Worker::post_drain(std::chrono::milliseconds drain_timeout, std::function<void()> on_done) {
    asio::post(io_context_, [this, drain_timeout, on_done = std::move(on_done)]() mutable {
        begin_drain(drain_timeout, std::move(on_done));
    });
}

void Worker::begin_drain(std::chrono::milliseconds drain_timeout, std::function<void()> on_done) {
    draining_ = true;
    on_drained_ = std::move(on_done);
    for (auto& listener : listeners_) {
        listener->close();
    }
    // Copy: begin_drain() may close a connection, which removes it from connections_.
    std::vector<proxy::DrainableConnection*> connections = connections_;
    for (auto* connection : connections) {
        connection->begin_drain();
    }
    drain_timer_.expires_after(drain_timeout);
    drain_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        if (!connections_.empty()) {
            log::warn("worker ", index_, ": drain timeout, closing ", connections_.size(),
                      " connections");
        }
        std::vector<proxy::DrainableConnection*> remaining = connections_;
        for (auto* connection : remaining) {
            connection->abort();
        }
    });
    check_drained();
}

void Worker::check_drained() {
    if (!connections_.empty() || !on_drained_) {
        return;
    }
    drain_timer_.cancel();
    retire_timer_.cancel();
    housekeeping_timer_.cancel();
    for (auto& [name, cluster] : current_->clusters) {
        cluster->close_idle();
    }
    auto on_done = std::move(on_drained_);
    on_drained_ = nullptr;
    on_done();
    // Connections being torn down may still have handlers queued; let them run, then stop.
    asio::post(io_context_, [this] { io_context_.stop(); });
}

void Worker::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

}  // namespace gantry::server
