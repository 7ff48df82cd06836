#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gantry/health/health_service.h>
#include <gantry/runtime/log.h>
#include <gantry/upstream/health_check_state.h>
#include <gantry/upstream/outlier_detector.h>

namespace gantry::health {

namespace asio = boost::asio;
using boost::asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxStatusLine = 1024;
constexpr auto kRelaxed = std::memory_order_relaxed;

asio::awaitable<bool> exchange(tcp::socket& socket, const tcp::endpoint& endpoint,
                               const config::HealthCheckConfig& config, const std::string& host) {
    auto [ec] = co_await socket.async_connect(endpoint, kAwait);
    if (ec) {
        co_return false;
    }
    if (config.kind == config::HealthCheckConfig::Kind::Tcp) {
        co_return true;
    }
    const std::string request = "GET " + config.path + " HTTP/1.1\r\nHost: " + host +
                                "\r\nConnection: close\r\nUser-Agent: gantry-health-check\r\n\r\n";
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(request), kAwait);
    if (write_ec) {
        co_return false;
    }
    std::string line;
    auto [read_ec, n] = co_await asio::async_read_until(
        socket, asio::dynamic_buffer(line, kMaxStatusLine), "\r\n", kAwait);
    if (read_ec) {
        co_return false;
    }
    co_return upstream::is_expected_status(upstream::parse_status_line(line), config);
}

// One probe, bounded by the check's timeout.
asio::awaitable<bool> probe(const tcp::endpoint& endpoint, const config::HealthCheckConfig& config,
                            const std::string& host) {
    auto executor = co_await asio::this_coro::executor;
    auto socket = std::make_shared<tcp::socket>(executor);
    asio::steady_timer deadline(executor);
    deadline.expires_after(config.timeout);
    deadline.async_wait([socket](boost::system::error_code ec) {
        if (!ec) {
            boost::system::error_code ignored;
            socket->close(ignored);  // ends the exchange with an error: a failed probe
        }
    });
    const bool ok = co_await exchange(*socket, endpoint, config, host);
    deadline.cancel();
    co_return ok;
}

const char* describe(uint8_t flags) {
    if (flags == 0) {
        return "healthy";
    }
    return (flags & upstream::EndpointState::kEjected) ? "ejected" : "failing its health check";
}

}  // namespace

struct HealthService::Task {
    explicit Task(uint64_t seed) : random(seed) {}

    std::shared_ptr<const std::vector<upstream::ResolvedCluster>> clusters;  // kept alive
    runtime::Random random;                                                  // interval jitter
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    bool is_stopped = false;

    asio::steady_timer& new_timer(asio::io_context& io) {
        timers.push_back(std::make_unique<asio::steady_timer>(io));
        return *timers.back();
    }

    void stop() {
        is_stopped = true;
        for (auto& timer : timers) {
            timer->cancel();
        }
    }
};

namespace {

void log_change(const upstream::ResolvedCluster& cluster, const upstream::EndpointState& state,
                uint8_t before) {
    const uint8_t after = state.flags.load(kRelaxed);
    if (before != after) {
        log::info("cluster ", cluster.config->name, ": endpoint ", state.address, " is ",
                  describe(after));
    }
}

asio::awaitable<void> check_loop(std::shared_ptr<HealthService::Task> task,
                                 const upstream::ResolvedCluster* cluster, size_t index,
                                 asio::steady_timer* timer) {
    const config::HealthCheckConfig& config = *cluster->config->health_check;
    const upstream::ResolvedEndpoint& endpoint = cluster->endpoints[index];
    // Envoy's default Host for a health check is the cluster's name.
    const std::string host = config.host.empty() ? cluster->config->name : config.host;
    const auto jitter_ms = static_cast<uint64_t>(config.interval_jitter.count());
    while (!task->is_stopped) {
        const bool ok = co_await probe(endpoint.endpoint, config, host);
        if (task->is_stopped) {
            break;
        }
        const uint8_t before = endpoint.state->flags.load(kRelaxed);
        if (upstream::record_probe(*endpoint.state, ok, config)) {
            log_change(*cluster, *endpoint.state, before);
            cluster->shared->health.publish();
        }
        // Envoy's interval_jitter: a random extra delay in [0, jitter] before each probe.
        const auto jitter = jitter_ms == 0 ? 0 : task->random.below(jitter_ms + 1);
        timer->expires_after(config.interval + std::chrono::milliseconds(jitter));
        co_await timer->async_wait(kAwait);
    }
}

asio::awaitable<void> sweep_loop(std::shared_ptr<HealthService::Task> task,
                                 const upstream::ResolvedCluster* cluster,
                                 asio::steady_timer* timer) {
    const config::OutlierDetectionConfig& config = *cluster->config->outlier_detection;
    upstream::OutlierDetector detector(config);
    std::vector<upstream::EndpointState*> states;
    for (const auto& endpoint : cluster->endpoints) {
        states.push_back(endpoint.state.get());
    }
    while (!task->is_stopped) {
        timer->expires_after(config.interval);
        co_await timer->async_wait(kAwait);
        if (task->is_stopped) {
            break;
        }
        std::vector<uint8_t> before;
        for (auto* state : states) {
            before.push_back(state->flags.load(kRelaxed));
        }
        if (detector.sweep(states, std::chrono::steady_clock::now())) {
            for (size_t i = 0; i < states.size(); ++i) {
                log_change(*cluster, *states[i], before[i]);
            }
            cluster->shared->health.publish();
        }
    }
}

}  // namespace

HealthService::HealthService(asio::io_context& io_context, uint64_t seed)
    : io_context_(io_context)
    , random_(seed) {}

HealthService::~HealthService() {
    stop();
}

void HealthService::stop() {
    if (task_) {
        task_->stop();
        task_.reset();
    }
}

void HealthService::apply(std::shared_ptr<const std::vector<upstream::ResolvedCluster>> clusters) {
    stop();
    task_ = std::make_shared<Task>(random_.next());
    task_->clusters = std::move(clusters);
    for (const auto& cluster : *task_->clusters) {
        start_cluster(task_, cluster);
    }
}

void HealthService::start_cluster(const std::shared_ptr<Task>& task,
                                  const upstream::ResolvedCluster& cluster) {
    bool changed = false;
    for (const auto& endpoint : cluster.endpoints) {
        upstream::EndpointState& state = *endpoint.state;
        changed |= cluster.config->health_check ? upstream::start_health_checking(state)
                                                : upstream::stop_health_checking(state);
        if (!cluster.config->outlier_detection &&
            (state.flags.load(kRelaxed) & upstream::EndpointState::kEjected)) {
            state.flags.fetch_and(static_cast<uint8_t>(~upstream::EndpointState::kEjected));
            state.main.times_ejected = 0;
            changed = true;
        }
    }
    if (changed) {
        cluster.shared->health.publish();
    }
    if (cluster.config->health_check) {
        for (size_t i = 0; i < cluster.endpoints.size(); ++i) {
            asio::co_spawn(io_context_,
                           check_loop(task, &cluster, i, &task->new_timer(io_context_)),
                           asio::detached);
        }
    }
    if (cluster.config->outlier_detection) {
        asio::co_spawn(io_context_, sweep_loop(task, &cluster, &task->new_timer(io_context_)),
                       asio::detached);
    }
}

}  // namespace gantry::health
