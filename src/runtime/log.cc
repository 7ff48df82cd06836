#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gantry/runtime/log.h>

namespace gantry::log {

namespace {

// shared: set once at start-up and on reload, read by every thread before formatting a line.
std::atomic<int> current_level{static_cast<int>(Level::Info)};

constexpr std::string_view kLevelNames[] = {"error", "warn", "info", "debug"};
// syslog priorities: err, warning, info, debug.
constexpr char kPriorities[] = {'3', '4', '6', '7'};

// True when fd 2 is the stream journald gave us ($JOURNAL_STREAM is "DEVICE:INODE").
bool stderr_is_journald() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    struct stat info = {};
    if (stream == nullptr || ::fstat(STDERR_FILENO, &info) != 0) {
        return false;
    }
    std::string expected = std::to_string(static_cast<unsigned long long>(info.st_dev)) + ":" +
                           std::to_string(static_cast<unsigned long long>(info.st_ino));
    return expected == stream;
}

// Where lines go. Guarded by `mutex`; touched on start-up, reload, SIGUSR1 and each line.
struct Output {
    std::mutex mutex;
    int fd = STDERR_FILENO;
    std::string path = "stderr";
    bool journald = stderr_is_journald();
};

Output& output() {
    static Output instance;
    return instance;
}

int open_file(const std::string& path, std::string* error) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        *error = path + ": " + std::strerror(errno);
    }
    return fd;
}

}  // namespace

void set_level(Level level) {
    current_level.store(static_cast<int>(level));
}

bool is_enabled(Level level) {
    return static_cast<int>(level) <= current_level.load(std::memory_order_relaxed);
}

bool can_open(const std::string& path, std::string* error) {
    if (path == "stderr") {
        return true;
    }
    int fd = open_file(path, error);
    if (fd < 0) {
        return false;
    }
    ::close(fd);
    return true;
}

bool set_output(const std::string& path, std::string* error) {
    int fd = STDERR_FILENO;
    if (path != "stderr") {
        fd = open_file(path, error);
        if (fd < 0) {
            return false;
        }
    }
    Output& out = output();
    std::lock_guard lock(out.mutex);
    if (out.fd != STDERR_FILENO) {
        ::close(out.fd);
    }
    out.fd = fd;
    out.path = path;
    return true;
}

bool reopen(std::string* error) {
    Output& out = output();
    std::lock_guard lock(out.mutex);
    if (out.fd == STDERR_FILENO) {
        return true;
    }
    int fd = open_file(out.path, error);
    if (fd < 0) {
        return false;
    }
    ::close(out.fd);
    out.fd = fd;
    return true;
}

std::string format_line(Level level, std::string_view message, std::time_t now, bool journald) {
    std::string line;
    line.reserve(message.size() + 40);
    if (journald) {
        line.push_back('<');
        line.push_back(kPriorities[static_cast<int>(level)]);
        line.push_back('>');
    } else {
        std::tm local{};
        localtime_r(&now, &local);
        char stamp[32];
        size_t stamp_len = std::strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S ", &local);
        line.append(stamp, stamp_len);
    }
    line.push_back('[');
    line.append(kLevelNames[static_cast<int>(level)]);
    line.append("] ");
    line.append(message);
    line.push_back('\n');
    return line;
}

void write(Level level, std::string_view message) {
    Output& out = output();
    std::lock_guard lock(out.mutex);
    bool journald = out.journald && out.fd == STDERR_FILENO;
    std::string line = format_line(level, message, std::time(nullptr), journald);
    size_t written = 0;
    while (written < line.size()) {
        ssize_t n = ::write(out.fd, line.data() + written, line.size() - written);
        if (n <= 0) {
            break;  // the log is gone; nothing better to do with an error-log line
        }
        written += static_cast<size_t>(n);
    }
}

}  // namespace gantry::log
