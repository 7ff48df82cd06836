#include "support/gantry_process.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <iostream>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <re2/re2.h>

extern char** environ;

namespace gantry::test {

namespace {

int exit_code_of(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

// The contract says a line containing `gantry ready`; `gantry 0.1.0 ready` is accepted too.
bool has_ready_line(const std::string& log) {
    static const RE2 kReady(R"(gantry (\S+ )?ready)");
    return RE2::PartialMatch(log, kReady);
}

bool is_unexpected(const std::string& line, bool allow_errors) {
    static constexpr std::string_view kAlways[] = {"[crit]",          "[alert]",
                                                   "[emerg]",         "AddressSanitizer",
                                                   "LeakSanitizer",   "UndefinedBehaviorSanitizer",
                                                   "ThreadSanitizer", "runtime error:"};
    for (std::string_view marker : kAlways) {
        if (line.find(marker) != std::string::npos) {
            return true;
        }
    }
    return !allow_errors && line.find("[error]") != std::string::npos;
}

}  // namespace

std::string gantry_binary() {
    if (const char* env = std::getenv("GANTRY_BINARY"); env != nullptr && *env != '\0') {
        return env;
    }
    return GANTRY_BINARY;
}

GantryProcess::GantryProcess(const std::string& yaml_template, Options options)
    : options_(std::move(options)) {
    while (ports_.size() < 3) {
        uint16_t p = free_port();
        if (std::find(ports_.begin(), ports_.end(), p) == ports_.end()) {
            ports_.push_back(p);
        }
    }
    config_path_ = dir_.file("gantry.yaml");
    stderr_path_ = dir_.file("stderr.log");
    stdout_path_ = dir_.file("stdout.log");
    write_config(yaml_template);
    start();
    wait_ready();
}

GantryProcess::~GantryProcess() {
    try {
        std::vector<std::string> problems;
        if (running()) {
            signal(SIGTERM);
            std::optional<int> code = wait_exit(std::chrono::seconds(5));
            if (!code) {
                kill_now();
                problems.push_back("(gantry did not exit within 5 s of SIGTERM at teardown)");
            } else if (*code != 0) {
                problems.push_back("(gantry exited with code " + std::to_string(*code) +
                                   " after SIGTERM at teardown)");
            }
        }
        std::vector<std::string> lines = unexpected_log_lines();
        lines.insert(lines.end(), problems.begin(), problems.end());
        if (lines.empty()) {
            return;
        }
        std::string joined;
        for (const auto& l : lines) {
            joined += l + "\n";
        }
        if (std::uncaught_exceptions() == 0) {
            INFO("unexpected lines in gantry's error log:\n" << joined);
            CHECK(lines.empty());
        } else {
            // A failed REQUIRE is unwinding: Catch takes no more assertions, but a crash of
            // gantry is usually the reason for that failure, so say it.
            std::cerr << "gantry teardown (" << config_path_ << "):\n" << joined;
        }
    } catch (...) {
        kill_now();
    }
}

std::string GantryProcess::fill(const std::string& yaml_template) const {
    std::map<std::string, std::string> vars = options_.vars;
    vars["PORT"] = std::to_string(ports_[0]);
    vars["PORT2"] = std::to_string(ports_[1]);
    vars["PORT3"] = std::to_string(ports_[2]);
    vars["DIR"] = dir_.path();
    return substitute(yaml_template, vars);
}

void GantryProcess::write_config(const std::string& yaml_template) {
    write_file(config_path_, fill(yaml_template));
}

void GantryProcess::start() {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::string binary = gantry_binary();
    std::vector<std::string> argv = {binary, "-c", config_path_};
    argv.insert(argv.end(), options_.args.begin(), options_.args.end());
    std::vector<char*> args;
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        if (options_.env.count(std::string(text.substr(0, text.find('=')))) == 0) {
            env_strings.emplace_back(text);
        }
    }
    for (const auto& [name, value] : options_.env) {
        if (!value.empty()) {
            env_strings.push_back(name + "=" + value);
        }
    }
    std::vector<char*> env;
    for (auto& e : env_strings) {
        env.push_back(e.data());
    }
    env.push_back(nullptr);
    int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        FAIL("cannot start " << binary << ": " << std::strerror(rc));
    }
}

void GantryProcess::wait_ready() {
    uint16_t port = options_.ready_port != 0 ? options_.ready_port : ports_[0];
    Deadline deadline = deadline_in(options_.ready_timeout);
    for (;;) {
        if (!running()) {
            FAIL("gantry exited with code " << exit_code_.value_or(-1)
                                            << " before it was ready; error log:\n"
                                            << error_log());
        }
        if (has_ready_line(error_log()) && port_accepts(port)) {
            return;
        }
        if (Clock::now() >= deadline) {
            kill_now();
            FAIL("gantry was not ready within " << options_.ready_timeout.count()
                                                << " ms; error log:\n"
                                                << error_log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

GantryProcess::ReloadOutcome GantryProcess::reload(std::chrono::milliseconds timeout) {
    size_t from = error_log().size();
    signal(SIGHUP);
    ReloadOutcome outcome;
    wait_until(
        [&] {
            std::string log = error_log();
            for (const std::string& line : split_lines(std::string_view(log).substr(from))) {
                if (line.find("reload applied") != std::string::npos ||
                    line.find("reload rejected") != std::string::npos) {
                    outcome.applied = line.find("reload applied") != std::string::npos;
                    outcome.rejected = !outcome.applied;
                    outcome.line = line;
                    return true;
                }
            }
            return false;
        },
        timeout);
    return outcome;
}

void GantryProcess::signal(int sig) {
    if (sig == SIGTERM || sig == SIGINT || sig == SIGKILL) {
        exit_expected_ = true;
    }
    if (pid_ > 0) {
        ::kill(pid_, sig);
    }
}

bool GantryProcess::running() {
    if (pid_ <= 0 || exit_code_) {
        return false;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = exit_code_of(status);
        return false;
    }
    return true;
}

std::optional<int> GantryProcess::wait_exit(std::chrono::milliseconds timeout) {
    wait_until([&] { return !running(); }, timeout);
    return exit_code_;
}

int GantryProcess::stop(std::chrono::milliseconds timeout) {
    if (running()) {
        signal(SIGTERM);
    }
    if (std::optional<int> code = wait_exit(timeout)) {
        return *code;
    }
    kill_now();
    return -1;
}

void GantryProcess::kill_now() {
    if (running()) {
        exit_expected_ = true;
        ::kill(pid_, SIGKILL);
        int status = 0;
        if (::waitpid(pid_, &status, 0) == pid_) {
            exit_code_ = exit_code_of(status);
        }
    }
}

std::string GantryProcess::error_log() const {
    return read_file(stderr_path_);
}

std::string GantryProcess::stdout_text() const {
    return read_file(stdout_path_);
}

std::optional<size_t> GantryProcess::wait_for_log(const std::string& needle, size_t from,
                                                  std::chrono::milliseconds timeout) const {
    std::optional<size_t> found;
    wait_until(
        [&] {
            std::string log = error_log();
            size_t pos = from <= log.size() ? log.find(needle, from) : std::string::npos;
            if (pos != std::string::npos) {
                found = pos + needle.size();
            }
            return found.has_value();
        },
        timeout);
    return found;
}

std::vector<std::string> GantryProcess::unexpected_log_lines() const {
    std::vector<std::string> out;
    if (exit_code_ && !exit_expected_) {
        out.push_back("(gantry exited by itself with code " + std::to_string(*exit_code_) +
                      (*exit_code_ > 128 ? ": killed by signal " + std::to_string(*exit_code_ - 128)
                                         : std::string()) +
                      ")");
    }
    for (const std::string& line : split_lines(error_log())) {
        if (is_unexpected(line, options_.allow_error_lines)) {
            out.push_back(line);
        }
    }
    return out;
}

void check_sigterm_closes_idle(GantryProcess& gantry, std::vector<BufferedSocket*> idle) {
    auto signalled = std::chrono::steady_clock::now();
    gantry.signal(SIGTERM);
    for (BufferedSocket* socket : idle) {
        std::string extra;
        CHECK(socket->wait_closed(deadline_in(std::chrono::seconds(3)), &extra));
        CHECK(extra.empty());
    }
    std::optional<int> code = gantry.wait_exit(std::chrono::seconds(5));
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    // Far below drain_timeout: nothing was in flight.
    CHECK(std::chrono::steady_clock::now() - signalled < std::chrono::seconds(3));
}

}  // namespace gantry::test
