#include "support/tls_origin.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "support/test_util.h"

extern char** environ;

namespace gantry::test {

using namespace std::chrono_literals;

TlsOrigin::TlsOrigin(const IssuedCertificate& certificate, std::vector<std::string> extra)
    : port_(free_port()) {
    std::vector<std::string> argv{"openssl", "s_server",       "-accept",  std::to_string(port_),
                                  "-cert",   certificate.cert, "-key",     certificate.key,
                                  "-www",    "-quiet",         "-naccept", "100"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> args;
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    REQUIRE(posix_spawnp(&pid_, "openssl", &actions, nullptr, args.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(wait_until([&] { return port_accepts(port_); }, 5s));
}

TlsOrigin::~TlsOrigin() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

}  // namespace gantry::test
