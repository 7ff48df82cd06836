#include <atomic>
#include <ctime>
#include <mutex>
#include <string>
#include <unistd.h>

#include <gantry/runtime/log.h>

namespace gantry::log {

namespace {

// shared: set once at start-up and on reload, read by every thread before formatting a line.
std::atomic<int> current_level{static_cast<int>(Level::Info)};
std::mutex write_mutex;

constexpr std::string_view kLevelNames[] = {"error", "warn", "info", "debug"};

}  // namespace

void set_level(Level level) {
    current_level.store(static_cast<int>(level));
}

bool is_enabled(Level level) {
    return static_cast<int>(level) <= current_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char stamp[32];
    size_t stamp_len = std::strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S", &local);
    std::string line;
    line.reserve(stamp_len + message.size() + 16);
    line.append(stamp, stamp_len);
    line.append(" [");
    line.append(kLevelNames[static_cast<int>(level)]);
    line.append("] ");
    line.append(message);
    line.push_back('\n');
    std::lock_guard lock(write_mutex);
    size_t written = 0;
    while (written < line.size()) {
        ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
        if (n <= 0) {
            break;  // stderr is gone; nothing better to do with an error-log line
        }
        written += static_cast<size_t>(n);
    }
}

}  // namespace gantry::log
