#pragma once

// The error log: leveled lines "YYYY/MM/DD HH:MM:SS [level] message" on stderr or in a file
// (`log.error`). When stderr is connected to journald ($JOURNAL_STREAM names it), lines carry a
// "<N>" syslog priority prefix instead of the timestamp, so `journalctl -p warning` works and
// times are not printed twice. Used for start-up, reload, shutdown and rare per-connection
// failures, never once per normal request, so a mutex around the write is acceptable here.
// Messages name what they are about as key=value (listener=NAME, cluster=NAME, peer=IP:PORT).
// Callable from any thread.

#include <ctime>
#include <sstream>
#include <string>
#include <string_view>

namespace gantry::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level level);
bool is_enabled(Level level);

// Sends lines to `path`: "stderr", or a file opened for appending (created 0640). On failure
// returns false, fills `error` and keeps the current destination.
bool set_output(const std::string& path, std::string* error);

// Opens `path` as set_output would and closes it again: the check a reload makes before it
// commits to a new destination.
bool can_open(const std::string& path, std::string* error);

// Reopens the file (SIGUSR1, after logrotate moved it). Does nothing for stderr. Returns false
// and fills `error` when the file cannot be reopened (the old descriptor is kept).
bool reopen(std::string* error);

// Writes one line (adds the timestamp or priority, the level and the newline).
void write(Level level, std::string_view message);

// One line as write() would print it; pure, for the tests.
std::string format_line(Level level, std::string_view message, std::time_t now, bool journald);

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
