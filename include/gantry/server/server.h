#pragma once

// Server: the main thread. Loads the config, starts one Worker per configured thread, then
// waits for signals: SIGHUP reloads (a bad file keeps the running config), SIGUSR1 reopens the
// logs, SIGTERM/SIGINT drain the workers and stop. Tells systemd (sd_notify) when it is ready,
// reloading and stopping, and feeds its watchdog. The only object that talks to every worker; it
// does so by posting values to their executors. It also runs the admin listener on its own
// io_context (admin/admin_server.h) and answers its pages as the admin::AdminState.

#include <atomic>
#include <csignal>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/admin/admin_endpoints.h>
#include <gantry/admin/admin_server.h>
#include <gantry/config/generation.h>
#include <gantry/health/health_service.h>
#include <gantry/observability/access_log.h>
#include <gantry/server/config_watch.h>
#include <gantry/server/dns_refresher.h>
#include <gantry/server/systemd_notifier.h>
#include <gantry/server/worker.h>

namespace gantry::server {

// Reload outcomes since start. Written by the main thread; readable from any thread (the admin
// server reports them).
struct ReloadStats {
    std::atomic<uint64_t> applied{0};
    std::atomic<uint64_t> failed{0};  // rejected: a bad file, a port that cannot be bound, ...
};

struct ServerOptions {
    // Reload when the config file or a file it includes changes (besides SIGHUP).
    bool watch_config = true;
    std::chrono::milliseconds watch_debounce{200};
};

class Server : private admin::AdminState {
public:
    explicit Server(std::string config_path, ServerOptions options = {});
    ~Server() override;

    // Runs until stopped by a signal. Returns the process exit code.
    int run();

    const ReloadStats& reload_stats() const { return reload_stats_; }

private:
    bool start();
    void wait_for_signal();
    void on_signal(int signal_number);
    enum class ReloadTrigger { Signal, FileChange };
    void reload(ReloadTrigger trigger);
    void apply_reload(std::shared_ptr<const config::Generation> next,
                      const std::vector<std::string>& errors);
    void watch_sources(const config::ConfigSources& sources);
    void reopen_logs();
    void switch_error_log(const std::string& from, const std::string& to);
    void reject_reload(const std::vector<std::string>& errors);
    bool prepare_updates(const config::Generation& next, std::vector<WorkerUpdate>& updates,
                         std::string* error);
    // Binds, for every worker, the addresses of `next` that no socket listens on yet.
    bool open_new_sockets(const config::Generation& next,
                          std::vector<std::vector<ListenSocket>>& sockets, std::string* error);
    void log_changes(const config::Generation& next) const;
    void begin_stop();
    void start_watchdog();
    bool start_admin();
    // Publishes `next` to the workers (with the listener and log changes in `updates`), the
    // health checks and the DNS refresher.
    void install(std::shared_ptr<const config::Generation> next, std::vector<WorkerUpdate> updates);
    bool apply_dns_change(config::Generation::NameResolutions names);

    // admin::AdminState
    bool is_ready() const override;
    std::shared_ptr<const config::Generation> running_generation() const override;
    std::vector<const observability::WorkerMetrics*> worker_metrics() const override;
    observability::ProcessMetrics process_metrics() const override;

    std::string config_path_;
    ServerOptions options_;
    boost::asio::io_context io_context_;
    boost::asio::signal_set signals_;
    SystemdNotifier notifier_;
    boost::asio::steady_timer watchdog_timer_;
    std::unique_ptr<admin::AdminServer> admin_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::shared_ptr<const config::Generation> generation_;
    std::shared_ptr<observability::AccessLogSink> access_log_;
    std::shared_ptr<observability::AccessLogSink> retired_access_log_;
    std::set<boost::asio::ip::tcp::endpoint> bound_;  // addresses the workers listen on
    ReloadStats reload_stats_;
    std::unique_ptr<ConfigWatch> config_watch_;
    uint64_t last_digest_ = 0;  // of the files the last load read (applied or rejected)
    std::unique_ptr<health::HealthService> health_;  // health checks and outlier sweeps
    std::unique_ptr<DnsRefresher> dns_;              // re-resolves endpoint names
    uint64_t next_generation_ = 1;
    size_t drained_workers_ = 0;
    bool is_stopping_ = false;
    bool is_started_ = false;
    double start_time_seconds_ = 0;
};

// Loads and compiles a config file: the check that both `gantry check` and start-up run.
// On failure returns null and fills `errors` with "FILE:LINE:COL: message" lines. `previous`
// is the running generation on a reload (see Generation::build), else null. `sources`, when
// given, receives the files read (on failure too).
std::shared_ptr<const config::Generation> load_generation(const std::string& path, uint64_t number,
                                                          const config::Generation* previous,
                                                          std::vector<std::string>& errors,
                                                          config::ConfigSources* sources = nullptr);

}  // namespace gantry::server
