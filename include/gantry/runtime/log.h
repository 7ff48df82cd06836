#pragma once

// The error log: leveled lines "YYYY/MM/DD HH:MM:SS [level] message" on stderr. Used for
// start-up, reload, shutdown and rare per-connection failures, never once per normal request, so
// a mutex around the write is acceptable here. Callable from any thread.

#include <sstream>
#include <string_view>

namespace gantry::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level level);
bool is_enabled(Level level);

// Writes one line (adds the timestamp, level and newline).
void write(Level level, std::string_view message);

template <typename... Parts>
void emit(Level level, const Parts&... parts) {
    if (!is_enabled(level)) {
        return;
    }
    std::ostringstream line;
    (line << ... << parts);
    write(level, line.str());
}

template <typename... Parts>
void error(const Parts&... parts) {
    emit(Level::Error, parts...);
}

template <typename... Parts>
void warn(const Parts&... parts) {
    emit(Level::Warn, parts...);
}

template <typename... Parts>
void info(const Parts&... parts) {
    emit(Level::Info, parts...);
}

template <typename... Parts>
void debug(const Parts&... parts) {
    emit(Level::Debug, parts...);
}

}  // namespace gantry::log
