#pragma once

// PythonServer: a python3 test peer from tests/integration/ (grpc_echo.py, h2_tls_upstream.py)
// running for a test's lifetime. The script is given the port file as one of its arguments, binds
// a free loopback port and writes it there; the constructor waits for it. Killed on destruction.
// Test thread only.

#include <string>
#include <sys/types.h>
#include <vector>

namespace gantry::test {

// The path of tests/integration/NAME (the python peers and clients live there).
std::string integration_script(const std::string& name);

class PythonServer {
public:
    // Runs /usr/bin/python3 tests/integration/SCRIPT ARGS..., where "@PORT_FILE@" in `args` is
    // replaced by `port_file`.
    PythonServer(const std::string& script, std::vector<std::string> args,
                 const std::string& port_file);
    ~PythonServer();

    PythonServer(const PythonServer&) = delete;
    PythonServer& operator=(const PythonServer&) = delete;

    const std::string& port() const { return port_; }

private:
    std::string port_;
    pid_t pid_ = -1;
};

}  // namespace gantry::test
