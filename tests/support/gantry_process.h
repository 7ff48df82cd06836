#pragma once

// GantryProcess: the real gantry binary under test. Writes an inline YAML config (with @KEY@
// placeholders filled in) to a temporary directory, starts `gantry -c FILE` with stdout and
// stderr captured to files, and waits until the error log says `gantry ready` and the listener
// accepts. It can reload (SIGHUP), signal and stop the process; the destructor kills it if it
// still runs and checks that the error log holds nothing unexpected.
// Owned by one test; used from the test thread only (pid() and port() may be read anywhere).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/test_util.h"

namespace gantry::test {

// Path of the binary under test (GANTRY_BINARY, or $GANTRY_BINARY when set).
std::string gantry_binary();

// How a GantryProcess starts and what its teardown check allows.
struct GantryOptions {
    // Extra @KEY@ values; @PORT@ (the first listener port), @PORT2@, @PORT3@ and @DIR@ (the
    // temporary directory) are always provided.
    std::map<std::string, std::string> vars;
    // The error log may hold [error] lines (tests of failures that gantry logs as errors).
    // Sanitizer reports are never allowed.
    bool allow_error_lines = false;
    std::chrono::milliseconds ready_timeout{10000};
    // Port that must accept before the process counts as ready; 0 = @PORT@.
    uint16_t ready_port = 0;
    // Arguments after `-c FILE`.
    std::vector<std::string> args;
    // Environment variables set (or, with an empty value, removed) for the process.
    std::map<std::string, std::string> env;
};

class GantryProcess {
public:
    using Options = GantryOptions;

    struct ReloadOutcome {
        bool applied = false;   // "reload applied"
        bool rejected = false;  // "reload rejected"
        std::string line;       // the log line that said so
    };

    // Starts gantry; REQUIREs that it becomes ready.
    explicit GantryProcess(const std::string& yaml_template, Options options = {});
    ~GantryProcess();
    GantryProcess(const GantryProcess&) = delete;
    GantryProcess& operator=(const GantryProcess&) = delete;

    int pid() const { return pid_; }

    uint16_t port() const { return ports_[0]; }

    uint16_t port(size_t i) const { return ports_.at(i); }

    std::string url(const std::string& path = "/") const {
        return "http://127.0.0.1:" + std::to_string(port()) + path;
    }

    const std::string& config_path() const { return config_path_; }

    const TempDir& dir() const { return dir_; }

    // Rewrites the config file (placeholders filled the same way); does not signal.
    void write_config(const std::string& yaml_template);

    // SIGHUP, then waits (bounded) for the next "reload applied" or "reload rejected" line.
    ReloadOutcome reload(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    void signal(int sig);

    // Waits for the process to exit; returns its exit code (128 + signal when killed by one), or
    // nullopt when it still runs after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

    // SIGTERM and wait (bounded); returns the exit code, or -1 when it had to be killed.
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));

    bool running();

    // Everything gantry wrote to stderr / stdout so far.
    std::string error_log() const;
    std::string stdout_text() const;

    // Waits until `needle` appears in the error log at or after byte `from`; returns the offset
    // just past it, or nullopt on timeout.
    std::optional<size_t> wait_for_log(const std::string& needle, size_t from,
                                       std::chrono::milliseconds timeout) const;

    // Marks [error] lines as expected from here on.
    void allow_error_lines() { options_.allow_error_lines = true; }

    // The error-log lines that the teardown check would complain about, plus a line saying so
    // when gantry exited (or crashed) without being told to.
    std::vector<std::string> unexpected_log_lines() const;

private:
    void start();
    void wait_ready();
    void kill_now();
    std::string fill(const std::string& yaml_template) const;

    Options options_;
    TempDir dir_;
    std::vector<uint16_t> ports_;
    std::string config_path_;
    std::string stderr_path_;
    std::string stdout_path_;
    int pid_ = -1;
    std::optional<int> exit_code_;
    bool exit_expected_ = false;  // the test signalled or stopped it
};

// Sends SIGTERM and checks that every one of `idle` (connections with nothing in flight) is
// closed without a byte within 3 s and that gantry then exits 0, well before any drain timeout.
void check_sigterm_closes_idle(GantryProcess& gantry, std::vector<BufferedSocket*> idle);

}  // namespace gantry::test
