#include "support/python_server.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "support/test_util.h"

extern char** environ;

namespace gantry::test {

using namespace std::chrono_literals;

std::string integration_script(const std::string& name) {
    return std::string(GANTRY_SOURCE_DIR) + "/tests/integration/" + name;
}

PythonServer::PythonServer(const std::string& script, std::vector<std::string> args,
                           const std::string& port_file) {
    std::vector<std::string> command{"/usr/bin/python3", integration_script(script)};
    for (std::string& arg : args) {
        command.push_back(arg == "@PORT_FILE@" ? port_file : std::move(arg));
    }
    std::vector<char*> argv;
    for (auto& a : command) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
    REQUIRE(wait_until([&] { return file_exists(port_file); }, 10s));
    port_ = read_file(port_file);
}

PythonServer::~PythonServer() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
}

}  // namespace gantry::test
