#include "support/admin_client.h"

#include <catch2/catch.hpp>

namespace gantry::test {

CurlResult admin_get(const GantryProcess& gantry, const std::string& path,
                     const std::vector<std::string>& extra) {
    std::vector<std::string> args = extra;
    args.push_back("http://127.0.0.1:" + std::to_string(admin_port(gantry)) + path);
    return run_curl(args);
}

std::string scrape(const GantryProcess& gantry) {
    CurlResult r = admin_get(gantry, "/metrics");
    REQUIRE(r.status == 200);
    return r.body;
}

double metric(const std::string& page, const std::string& series) {
    for (const auto& line : split_lines(page)) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
            line[series.size()] == ' ') {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return 0;
}

}  // namespace gantry::test
