#include <catch2/catch.hpp>

#include <gantry/runtime/log.h>

namespace gantry::log {

TEST_CASE("an error-log line starts with the local time and the level", "[log]") {
    std::string line = format_line(Level::Warn, "listener=public: accept failed", 0, false);
    // "YYYY/MM/DD HH:MM:SS [warn] message\n", whatever the time zone.
    REQUIRE(line.size() > 20);
    CHECK(line[4] == '/');
    CHECK(line[7] == '/');
    CHECK(line[13] == ':');
    CHECK(line.substr(19) == " [warn] listener=public: accept failed\n");
}

TEST_CASE("under journald a line carries its syslog priority instead of a timestamp", "[log]") {
    CHECK(format_line(Level::Error, "x", 0, true) == "<3>[error] x\n");
    CHECK(format_line(Level::Warn, "x", 0, true) == "<4>[warn] x\n");
    CHECK(format_line(Level::Info, "x", 0, true) == "<6>[info] x\n");
    CHECK(format_line(Level::Debug, "x", 0, true) == "<7>[debug] x\n");
}

}  // namespace gantry::log
