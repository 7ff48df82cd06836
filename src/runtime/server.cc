#include <boost/asio/post.hpp>

#include <gantry/runtime/log.h>
#include <gantry/runtime/server.h>

namespace gantry::runtime {

namespace {

log::Level to_log_level(config::LogLevel level) {
    switch (level) {
        case config::LogLevel::Error:
            return log::Level::Error;
        case config::LogLevel::Warn:
            return log::Level::Warn;
        case config::LogLevel::Info:
            return log::Level::Info;
        case config::LogLevel::Debug:
            return log::Level::Debug;
    }
    return log::Level::Info;
}

size_t worker_count(const config::ConfigSnapshot& config) {
    if (config.workers > 0) {
        return config.workers;
    }
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : cores;
}

}  // namespace

std::shared_ptr<const Generation> load_generation(const std::string& path, uint64_t number,
                                                  const Generation* previous,
                                                  std::vector<std::string>& errors) {
    config::LoadResult loaded = config::load_config(path);
    for (const auto& diagnostic : loaded.diagnostics) {
        errors.push_back(diagnostic.to_string());
    }
    if (!loaded.ok()) {
        if (errors.empty()) {
            errors.push_back(path + ": invalid configuration");
        }
        return nullptr;
    }
    std::string error;
    auto generation = Generation::build(loaded.config, number, previous, &error);
    if (!generation) {
        errors.push_back(path + ": " + error);
    }
    return generation;
}

Server::Server(std::string config_path)
    : config_path_(std::move(config_path))
    , signals_(io_context_) {}

Server::~Server() = default;

int Server::run() {
    if (!start()) {
        return 1;
    }
    wait_for_signal();
    io_context_.run();
    for (auto& worker : workers_) {
        worker->join();
    }
    workers_.clear();
    if (access_log_) {
        access_log_->flush();
    }
    log::info("gantry stopped");
    return 0;
}

bool Server::start() {
    std::vector<std::string> errors;
    generation_ = load_generation(config_path_, next_generation_++, nullptr, errors);
    for (const auto& error : errors) {
        log::error(error);
    }
    if (!generation_) {
        return false;
    }
    const config::ConfigSnapshot& config = generation_->config();
    log::set_level(to_log_level(config.log.level));
    if (!config.log.access.is_off()) {
        std::string error;
        access_log_ = observability::AccessLogSink::open(config.log.access.path, &error);
        if (!access_log_) {
            log::error("cannot open access log ", config.log.access.path, ": ", error);
            return false;
        }
    }
    // Signals are taken before the workers start so that none of their threads receives one.
    signals_.add(SIGHUP);
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGUSR1);
    std::signal(SIGPIPE, SIG_IGN);
    size_t count = worker_count(config);
    for (size_t i = 0; i < count; ++i) {
        auto worker = std::make_unique<Worker>(i, access_log_);
        std::string error;
        if (!worker->open_listeners(*generation_, &error)) {
            log::error(error);
            return false;
        }
        workers_.push_back(std::move(worker));
    }
    for (auto& worker : workers_) {
        worker->start(generation_);
    }
    health_ = std::make_unique<health::HealthService>(
        io_context_,
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    health_->apply(generation_);
    dns_ = std::make_unique<DnsRefresher>(
        io_context_, default_resolver(),
        [this](Generation::NameResolutions names) { return apply_dns_change(std::move(names)); });
    dns_->apply(generation_);
    log::info("gantry ready: version ", GANTRY_VERSION, ", ", count, " workers, ",
              generation_->listeners().size(), " listeners, config ", config_path_);
    return true;
}

void Server::wait_for_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int signal_number) {
        if (ec) {
            return;
        }
        on_signal(signal_number);
        wait_for_signal();  // also keeps the main loop alive while the workers drain
    });
}

void Server::on_signal(int signal_number) {
    switch (signal_number) {
        case SIGHUP:
            if (!is_stopping_) {
                reload();
            }
            break;
        case SIGUSR1:
            if (access_log_) {
                access_log_->reopen();
            }
            log::info("access log reopened");
            break;
        default:
            begin_stop();
            break;
    }
}

void Server::reload() {
    std::vector<std::string> errors;
    auto next = load_generation(config_path_, next_generation_, generation_.get(), errors);
    if (!next) {
        for (const auto& error : errors) {
            log::error("reload rejected: ", error);
        }
        return;
    }
    ++next_generation_;
    const config::ConfigSnapshot& old_config = generation_->config();
    const config::ConfigSnapshot& new_config = next->config();
    if (new_config.log.access.path != old_config.log.access.path) {
        log::warn("reload: log.access.path changes take effect after a restart");
    }
    for (const auto& listener : new_config.listeners) {
        if (!generation_->find_listener(listener.name)) {
            log::warn("reload: new listener `", listener.name,
                      "` takes effect after a restart (listener changes are not reloadable yet)");
        }
    }
    log::set_level(to_log_level(new_config.log.level));
    install(next);
    log::info("reload applied generation=", generation_->number());
}

void Server::install(std::shared_ptr<const Generation> next) {
    generation_ = std::move(next);
    for (auto& worker : workers_) {
        worker->post_generation(generation_);
    }
    health_->apply(generation_);
    dns_->apply(generation_);
}

bool Server::apply_dns_change(Generation::NameResolutions names) {
    if (is_stopping_) {
        return false;
    }
    std::string error;
    auto next = Generation::build(generation_->snapshot(), next_generation_, generation_.get(),
                                  &error, &names);
    if (!next) {
        log::warn("DNS change not applied: ", error);
        return false;
    }
    ++next_generation_;
    install(std::move(next));
    log::info("DNS change applied generation=", generation_->number());
    return true;
}

void Server::begin_stop() {
    if (is_stopping_) {
        return;
    }
    is_stopping_ = true;
    health_->stop();
    dns_->stop();
    auto drain_timeout = generation_->config().limits.drain_timeout;
    log::info("stopping: draining ", workers_.size(), " workers (up to ", drain_timeout.count(),
              " ms)");
    for (auto& worker : workers_) {
        worker->post_drain(drain_timeout, [this] {
            boost::asio::post(io_context_, [this] {
                if (++drained_workers_ == workers_.size()) {
                    io_context_.stop();
                }
            });
        });
    }
}

}  // namespace gantry::runtime
