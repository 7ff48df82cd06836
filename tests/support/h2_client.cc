#include "support/h2_client.h"

#include <chrono>

#include <catch2/catch.hpp>

#include "support/python_server.h"
#include "support/test_util.h"

namespace gantry::test {

H2Outcome run_h2_client(uint16_t port, const std::vector<std::string>& args, bool tls) {
    std::vector<std::string> argv{"/usr/bin/python3", integration_script("h2_client.py"),
                                  std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    if (tls) {
        argv.push_back("--tls");
    }
    ProcessResult result = run_process(argv, std::chrono::seconds(20));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    H2Outcome out;
    for (const std::string& line : split_lines(result.out)) {
        size_t eq = line.find('=');
        if (eq != std::string::npos) {
            out[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return out;
}

std::string outcome_value(const H2Outcome& outcome, const std::string& key) {
    auto it = outcome.find(key);
    return it == outcome.end() ? "(absent)" : it->second;
}

}  // namespace gantry::test
