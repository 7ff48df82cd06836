// gantry's command line: run, check, --version, --help.

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gantry/config_diff.h>
#include <gantry/server/server.h>

namespace {

constexpr const char* kDefaultConfig = "/etc/gantry/gantry.yaml";

constexpr const char* kUsage =
    "usage: gantry [run] [-c FILE] [--no-watch]  run the proxy in the foreground\n"
    "       gantry check [-c FILE]       validate FILE and exit (0 valid, 1 invalid)\n"
    "       gantry check -c NEW --against RUNNING\n"
    "                                    also print what reloading RUNNING into NEW changes\n"
    "       gantry --version             print the version\n"
    "       gantry --help                print this help\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   configuration file (default /etc/gantry/gantry.yaml)\n"
    "  -t, --test          same as `check`\n"
    "      --against FILE  with check: list the settings, listeners, virtual hosts, routes\n"
    "                      and clusters added (+), removed (-) or changed (~) since FILE\n"
    "      --no-watch      reload on SIGHUP only, not when the config files change\n"
    "\n"
    "signals:\n"
    "  SIGHUP           reload the configuration; a bad file keeps the running one and logs\n"
    "                   FILE:LINE:COL (gantry also reloads by itself, 200 ms after the file,\n"
    "                   an included file or an included directory changes)\n"
    "  SIGTERM, SIGINT  stop accepting, finish in-flight requests (limits.drain_timeout), exit\n"
    "  SIGUSR1          reopen the access log and the error log (logrotate)\n"
    "\n"
    "environment:\n"
    "  NOTIFY_SOCKET    systemd Type=notify: READY=1, RELOADING=1, STOPPING=1 are sent here\n"
    "  WATCHDOG_USEC    systemd watchdog: WATCHDOG=1 is sent every half of it\n"
    "  JOURNAL_STREAM   when it names stderr, error-log lines carry <N> priorities\n"
    "\n"
    "exit status: 0 clean stop or valid config, 1 invalid config or start-up failure,\n"
    "2 usage error. See gantry(8), /usr/share/doc/gantry/operations.md and config.md.\n";

struct Options {
    enum class Command { Run, Check, Version, Help } command = Command::Run;
    std::string config_path = kDefaultConfig;
    std::string against_path;  // check: also print what a reload from this file would change
    bool watch_config = true;
};

bool parse_options(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "run" && i == 1) {
            options.command = Options::Command::Run;
        } else if (arg == "check" && i == 1) {
            options.command = Options::Command::Check;
        } else if (arg == "-t" || arg == "--test") {
            options.command = Options::Command::Check;
        } else if (arg == "--version" || arg == "-v" || arg == "version") {
            options.command = Options::Command::Version;
        } else if (arg == "--help" || arg == "-h" || arg == "help") {
            options.command = Options::Command::Help;
        } else if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
            options.config_path = argv[++i];
        } else if (arg == "--against" && i + 1 < argc) {
            options.against_path = argv[++i];
        } else if (arg == "--no-watch") {
            options.watch_config = false;
        } else if (arg.rfind("--config=", 0) == 0) {
            options.config_path = arg.substr(std::strlen("--config="));
        } else {
            std::fprintf(stderr, "gantry: unknown argument `%s`\n\n%s", arg.c_str(), kUsage);
            return false;
        }
    }
    return true;
}

// Prints what a reload from `running_path` to the config in `generation` would change.
int print_changes(const gantry::config::Generation& generation, const std::string& running_path) {
    gantry::config::LoadResult running = gantry::config::load_config(running_path);
    if (!running.ok()) {
        for (const auto& diagnostic : running.diagnostics) {
            std::fprintf(stderr, "%s\n", diagnostic.to_string().c_str());
        }
        std::fprintf(stderr, "gantry: cannot compare: %s is not a valid configuration\n",
                     running_path.c_str());
        return 1;
    }
    auto changes = gantry::config::diff_configs(*running.config, generation.config());
    std::printf("changes from %s:\n%s", running_path.c_str(),
                gantry::config::format_changes(changes).c_str());
    return 0;
}

int check(const std::string& path, const std::string& against_path) {
    std::vector<std::string> errors;
    auto generation = gantry::server::load_generation(path, 1, nullptr, errors);
    for (const auto& error : errors) {
        std::fprintf(stderr, "%s\n", error.c_str());
    }
    if (!generation) {
        std::fprintf(stderr, "gantry: configuration file %s test failed\n", path.c_str());
        return 1;
    }
    std::printf("gantry: configuration file %s is valid\n", path.c_str());
    return against_path.empty() ? 0 : print_changes(*generation, against_path);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse_options(argc, argv, options)) {
        return 2;
    }
    switch (options.command) {
        case Options::Command::Version:
            std::printf("gantry %s\n", GANTRY_VERSION);
            return 0;
        case Options::Command::Help:
            std::fputs(kUsage, stdout);
            return 0;
        case Options::Command::Check:
            return check(options.config_path, options.against_path);
        case Options::Command::Run:
            break;
    }
    gantry::server::ServerOptions server_options;
    server_options.watch_config = options.watch_config;
    gantry::server::Server server(options.config_path, server_options);
    return server.run();
}
