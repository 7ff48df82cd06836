#include <set>

#include <boost/asio/post.hpp>

#include <gantry/config_diff.h>
#include <gantry/runtime/log.h>
#include <gantry/server/server.h>

namespace gantry::server {

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

// The listener of `generation` that listens on `endpoint`.
std::string listener_owning(const config::Generation& generation,
                            const boost::asio::ip::tcp::endpoint& endpoint) {
    for (const auto& listener : generation.listeners()) {
        for (const auto& address : listener.addresses) {
            if (address == endpoint) {
                return listener.config->name;
            }
        }
    }
    return {};
}

std::set<boost::asio::ip::tcp::endpoint> addresses_of(const config::Generation& generation) {
    std::set<boost::asio::ip::tcp::endpoint> addresses;
    for (const auto& listener : generation.listeners()) {
        addresses.insert(listener.addresses.begin(), listener.addresses.end());
    }
    return addresses;
}

std::string ready_status(const config::Generation& generation) {
    return "serving generation " + std::to_string(generation.number()) + " (" +
           std::to_string(generation.listeners().size()) + " listeners)";
}

}  // namespace

std::shared_ptr<const config::Generation> load_generation(const std::string& path, uint64_t number,
                                                          const config::Generation* previous,
                                                          std::vector<std::string>& errors,
                                                          config::ConfigSources* sources) {
    config::LoadResult loaded = config::load_config(path);
    if (sources != nullptr) {
        *sources = std::move(loaded.sources);
    }
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
    auto generation = config::Generation::build(loaded.config, number, previous, &error);
    if (!generation) {
        errors.push_back(path + ": " + error);
    }
    return generation;
}

Server::Server(std::string config_path, ServerOptions options)
    : config_path_(std::move(config_path))
    , options_(options)
    , signals_(io_context_)
    , notifier_(SystemdNotifier::from_environment())
    , watchdog_timer_(io_context_) {}

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
    config::ConfigSources sources;
    generation_ = load_generation(config_path_, next_generation_++, nullptr, errors, &sources);
    for (const auto& error : errors) {
        log::error(error);
    }
    if (!generation_) {
        return false;
    }
    const config::ConfigSnapshot& config = generation_->config();
    log::set_level(to_log_level(config.log.level));
    if (std::string error; !log::set_output(config.log.error, &error)) {
        log::error("cannot open the error log ", error);
        return false;
    }
    if (!config.log.access.is_off()) {
        std::string error;
        access_log_ = observability::AccessLogSink::open(config.log.access.path, &error);
        if (!access_log_) {
            log::error("cannot open access log ", config.log.access.path, ": ", error);
            return false;
        }
    }
    if (!start_admin()) {
        return false;
    }
    // Signals are taken before the workers start so that none of their threads receives one.
    signals_.add(SIGHUP);
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGUSR1);
    std::signal(SIGPIPE, SIG_IGN);
    size_t count = worker_count(config);
    for (size_t i = 0; i < count; ++i) {
        workers_.push_back(std::make_unique<Worker>(i, access_log_));
    }
    std::vector<std::vector<ListenSocket>> sockets;
    std::string error;
    if (!open_new_sockets(*generation_, sockets, &error)) {
        log::error(error);
        return false;
    }
    for (size_t i = 0; i < count; ++i) {
        for (auto& socket : sockets[i]) {
            std::string name = listener_owning(*generation_, socket.endpoint());
            workers_[i]->add_listener(name, std::move(socket));
        }
    }
    bound_ = addresses_of(*generation_);
    for (auto& worker : workers_) {
        worker->start(generation_);
    }
    if (admin_) {
        admin_->start();
    }
    is_started_ = true;
    health_ = std::make_unique<health::HealthService>(
        io_context_,
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    health_->apply(config::share_part(generation_, generation_->clusters()));
    dns_ = std::make_unique<DnsRefresher>(io_context_, runtime::default_resolver(),
                                          [this](config::Generation::NameResolutions names) {
                                              return apply_dns_change(std::move(names));
                                          });
    dns_->apply(generation_);
    log::info("gantry ready: version ", GANTRY_VERSION, ", ", count, " workers, ",
              generation_->listeners().size(), " listeners, config ", config_path_);
    last_digest_ = sources.digest;
    watch_sources(sources);
    notifier_.ready(ready_status(*generation_));
    start_watchdog();
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
                reload(ReloadTrigger::Signal);
            }
            break;
        case SIGUSR1:
            reopen_logs();
            break;
        default:
            begin_stop();
            break;
    }
}

void Server::watch_sources(const config::ConfigSources& sources) {
    if (!options_.watch_config) {
        return;
    }
    if (!config_watch_) {
        config_watch_ = std::make_unique<ConfigWatch>(io_context_, options_.watch_debounce, [this] {
            if (!is_stopping_) {
                reload(ReloadTrigger::FileChange);
            }
        });
    }
    std::string error;
    if (!config_watch_->watch(config_path_, sources, &error)) {
        log::warn("config watch unavailable (", error, "); reload with SIGHUP");
        config_watch_.reset();
        options_.watch_config = false;
    }
}

void Server::reload(ReloadTrigger trigger) {
    std::vector<std::string> errors;
    config::ConfigSources sources;
    auto next =
        load_generation(config_path_, next_generation_, generation_.get(), errors, &sources);
    watch_sources(sources);  // includes may have come or gone, even in a broken file
    if (trigger == ReloadTrigger::FileChange) {
        if (sources.digest == last_digest_) {
            return;  // touched, or already loaded by SIGHUP: nothing to do
        }
        log::info("reload: config files changed");
    }
    last_digest_ = sources.digest;
    notifier_.reloading();
    apply_reload(std::move(next), errors);
    notifier_.ready(ready_status(*generation_));
}

void Server::apply_reload(std::shared_ptr<const config::Generation> next,
                          const std::vector<std::string>& errors) {
    if (!next) {
        reject_reload(errors);
        return;
    }
    ++next_generation_;
    std::vector<WorkerUpdate> updates(workers_.size());
    if (std::string error; !prepare_updates(*next, updates, &error)) {
        reject_reload({error});
        return;
    }
    const config::ConfigSnapshot& new_config = next->config();
    std::string old_error_log = generation_->config().log.error;
    if (worker_count(new_config) != workers_.size()) {
        log::warn("reload: a new number of workers takes effect after a restart");
    }
    const config::ConfigSnapshot& old_config = generation_->config();
    if (new_config.admin.listen.has_value() != old_config.admin.listen.has_value() ||
        (new_config.admin.listen &&
         new_config.admin.listen->text != old_config.admin.listen->text)) {
        log::warn("reload: admin.listen changes take effect after a restart");
    }
    log::set_level(to_log_level(new_config.log.level));
    install(std::move(next), std::move(updates));
    reload_stats_.applied.fetch_add(1, std::memory_order_relaxed);
    log::info("reload applied generation=", generation_->number());
    switch_error_log(old_error_log, new_config.log.error);
}

void Server::switch_error_log(const std::string& from, const std::string& to) {
    if (from == to) {
        return;
    }
    // Said at the old destination, so that whoever reads it knows where the log went.
    log::info("reload: error log now goes to ", to);
    if (std::string error; !log::set_output(to, &error)) {
        log::error("cannot open the error log ", error, "; still writing here");
        return;
    }
    log::info("error log opened (was ", from, ")");
}

void Server::reopen_logs() {
    if (access_log_) {
        access_log_->reopen();
    }
    if (std::string error; !log::reopen(&error)) {
        log::error("cannot reopen the error log ", error, "; still writing to the old file");
        return;
    }
    log::info("logs reopened");
}

void Server::reject_reload(const std::vector<std::string>& errors) {
    uint64_t failures = reload_stats_.failed.fetch_add(1, std::memory_order_relaxed) + 1;
    for (const auto& error : errors) {
        log::error("reload rejected: ", error);
    }
    log::warn("reload failed (", failures,
              " failed reloads since start); still running generation=", generation_->number());
}

bool Server::prepare_updates(const config::Generation& next, std::vector<WorkerUpdate>& updates,
                             std::string* error) {
    // Every socket the new generation needs is bound before any worker hears of the reload, so
    // a port that cannot be bound rejects the whole reload and nothing changes.
    std::vector<std::vector<ListenSocket>> sockets;
    if (!open_new_sockets(next, sockets, error)) {
        return false;
    }
    const auto& old_access = generation_->config().log.access;
    const auto& new_access = next.config().log.access;
    bool access_log_changed = old_access.path != new_access.path;
    const std::string& error_log = next.config().log.error;
    if (error_log != generation_->config().log.error && !log::can_open(error_log, error)) {
        *error = "cannot open the error log " + *error;
        return false;
    }
    std::shared_ptr<observability::AccessLogSink> sink = access_log_;
    if (access_log_changed) {
        sink = nullptr;
        if (!new_access.is_off()) {
            sink = observability::AccessLogSink::open(new_access.path, error);
            if (!sink) {
                *error = "cannot open access log " + new_access.path + ": " + *error;
                return false;
            }
        }
        log::info("reload: access log now goes to ", new_access.path);
    }
    for (size_t i = 0; i < updates.size(); ++i) {
        updates[i].new_sockets = std::move(sockets[i]);
        updates[i].access_log_changed = access_log_changed;
        updates[i].access_log = sink;
    }
    bound_ = addresses_of(next);
    if (access_log_changed) {
        // The old sink is released here, on the main thread, at the next reload or at exit, so
        // that its final flush never blocks a worker.
        retired_access_log_ = std::move(access_log_);
        access_log_ = std::move(sink);
    }
    log_changes(next);
    return true;
}

bool Server::open_new_sockets(const config::Generation& next,
                              std::vector<std::vector<ListenSocket>>& sockets, std::string* error) {
    sockets.clear();
    sockets.resize(workers_.size());
    for (const auto& endpoint : addresses_of(next)) {
        if (bound_.count(endpoint) != 0) {
            continue;
        }
        for (size_t i = 0; i < workers_.size(); ++i) {
            ListenSocket socket = ListenSocket::open(endpoint, error);
            if (!socket.is_valid()) {
                return false;  // the sockets opened so far close with `sockets`
            }
            sockets[i].push_back(std::move(socket));
        }
    }
    return true;
}

void Server::log_changes(const config::Generation& next) const {
    // One line per change, naming the fields, so the error log says what each reload did.
    constexpr size_t kMaxLines = 50;
    auto changes = config::diff_configs(generation_->config(), next.config());
    for (size_t i = 0; i < changes.size() && i < kMaxLines; ++i) {
        const config::ConfigChange& change = changes[i];
        char sign = change.kind == config::ConfigChange::Kind::Added     ? '+'
                    : change.kind == config::ConfigChange::Kind::Removed ? '-'
                                                                         : '~';
        std::string fields;
        if (change.kind == config::ConfigChange::Kind::Changed) {
            for (const auto& detail : change.details) {
                fields += (fields.empty() ? " (" : ", ") + detail.substr(0, detail.find(':'));
            }
            fields += fields.empty() ? "" : ")";
        }
        log::info("reload: ", sign, ' ', change.what, ' ', change.name, fields);
    }
    if (changes.size() > kMaxLines) {
        log::info("reload: and ", changes.size() - kMaxLines,
                  " more changes (gantry check --against lists them all)");
    }
}

void Server::start_watchdog() {
    auto interval = notifier_.watchdog_interval();
    if (!interval || !notifier_.is_active()) {
        return;
    }
    // Fed from the main loop: a main thread stuck in a reload or a signal handler misses it.
    notifier_.watchdog();
    watchdog_timer_.expires_after(*interval);
    watchdog_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            start_watchdog();
        }
    });
}

void Server::install(std::shared_ptr<const config::Generation> next,
                     std::vector<WorkerUpdate> updates) {
    generation_ = std::move(next);
    updates.resize(workers_.size());
    for (size_t i = 0; i < workers_.size(); ++i) {
        updates[i].generation = generation_;
        workers_[i]->post_update(std::move(updates[i]));
    }
    health_->apply(config::share_part(generation_, generation_->clusters()));
    dns_->apply(generation_);
}

bool Server::apply_dns_change(config::Generation::NameResolutions names) {
    if (is_stopping_) {
        return false;
    }
    std::string error;
    auto next = config::Generation::build(generation_->snapshot(), next_generation_,
                                          generation_.get(), &error, &names);
    if (!next) {
        log::warn("DNS change not applied: ", error);
        return false;
    }
    ++next_generation_;
    install(std::move(next), {});
    log::info("DNS change applied generation=", generation_->number());
    return true;
}

void Server::begin_stop() {
    if (is_stopping_) {
        return;
    }
    is_stopping_ = true;
    notifier_.stopping();
    if (config_watch_) {
        config_watch_->stop();
    }
    health_->stop();
    dns_->stop();
    auto drain_timeout = generation_->config().limits.drain_timeout;
    log::info("stopping: draining ", workers_.size(), " workers (up to ", drain_timeout.count(),
              " ms)");
    for (auto& worker : workers_) {
        worker->post_drain(drain_timeout, [this] {
            boost::asio::post(io_context_, [this] {
                if (++drained_workers_ == workers_.size()) {
                    watchdog_timer_.cancel();
                    io_context_.stop();
                }
            });
        });
    }
}

}  // namespace gantry::server
