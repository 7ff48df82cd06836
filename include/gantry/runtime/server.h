#pragma once

// Server: the main thread. Loads the config, starts one Worker per configured thread, then
// waits for signals: SIGHUP reloads (a bad file keeps the running config), SIGUSR1 reopens the
// access log, SIGTERM/SIGINT drain the workers and stop. The only object that talks to every
// worker; it does so by posting values to their executors.

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <gantry/health/health_service.h>
#include <gantry/observability/access_log.h>
#include <gantry/runtime/dns_refresher.h>
#include <gantry/runtime/generation.h>
#include <gantry/runtime/worker.h>

namespace gantry::runtime {

class Server {
public:
    explicit Server(std::string config_path);
    ~Server();

    // Runs until stopped by a signal. Returns the process exit code.
    int run();

private:
    bool start();
    void wait_for_signal();
    void on_signal(int signal_number);
    void reload();
    void begin_stop();
    // Publishes `next` to the workers, the health checks and the DNS refresher.
    void install(std::shared_ptr<const Generation> next);
    bool apply_dns_change(Generation::NameResolutions names);

    std::string config_path_;
    boost::asio::io_context io_context_;
    boost::asio::signal_set signals_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::shared_ptr<const Generation> generation_;
    std::shared_ptr<observability::AccessLogSink> access_log_;
    std::unique_ptr<health::HealthService> health_;  // health checks and outlier sweeps
    std::unique_ptr<DnsRefresher> dns_;              // re-resolves endpoint names
    uint64_t next_generation_ = 1;
    size_t drained_workers_ = 0;
    bool is_stopping_ = false;
};

// Loads and compiles a config file: the check that both `gantry check` and start-up run.
// On failure returns null and fills `errors` with "FILE:LINE:COL: message" lines. `previous`
// is the running generation on a reload (see Generation::build), else null.
std::shared_ptr<const Generation> load_generation(const std::string& path, uint64_t number,
                                                  const Generation* previous,
                                                  std::vector<std::string>& errors);

}  // namespace gantry::runtime
