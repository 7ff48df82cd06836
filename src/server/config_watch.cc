#include <cerrno>
#include <cstring>
#include <sys/inotify.h>
#include <unistd.h>

#include <gantry/runtime/log.h>
#include <gantry/server/config_watch.h>

namespace gantry::server {

namespace {

// Entry changes that can replace a file's content: written and closed, renamed in or out,
// created (a hard link or a new include), removed, or re-linked (symlink swap).
constexpr uint32_t kEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

std::pair<std::string, std::string> split_path(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        return {".", path};
    }
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace

ConfigWatch::ConfigWatch(boost::asio::io_context& io_context, std::chrono::milliseconds debounce,
                         std::function<void()> on_change)
    : debounce_(debounce)
    , on_change_(std::move(on_change))
    , inotify_(io_context)
    , debounce_timer_(io_context) {}

ConfigWatch::~ConfigWatch() {
    stop();
}

bool ConfigWatch::watch(const std::string& main_file, const config::ConfigSources& sources,
                        std::string* error) {
    if (!inotify_.is_open()) {
        int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
            *error = std::string("inotify: ") + std::strerror(errno);
            return false;
        }
        inotify_.assign(fd);
    }
    std::map<std::string, Directory> wanted;
    auto add_file = [&](const std::string& path) {
        auto [directory, name] = split_path(path);
        wanted[directory].path = directory;
        wanted[directory].names.insert(name);
    };
    add_file(main_file);
    for (const auto& file : sources.files) {
        add_file(file);
    }
    for (const auto& directory : sources.include_directories) {
        wanted[directory].path = directory;
        wanted[directory].any_entry = true;
    }
    std::map<int, Directory> next;
    auto add_watch = [&](Directory directory) {
        int wd = ::inotify_add_watch(inotify_.native_handle(), directory.path.c_str(), kEvents);
        if (wd < 0) {
            log::debug("config watch: cannot watch ", directory.path, ": ", std::strerror(errno));
            return false;
        }
        Directory& entry = next[wd];  // two paths can name one directory: merge them
        entry.path = directory.path;
        entry.any_entry = entry.any_entry || directory.any_entry;
        entry.names.insert(directory.names.begin(), directory.names.end());
        return true;
    };
    for (auto& [path, directory] : wanted) {
        if (!add_watch(directory) && directory.any_entry) {
            // An include directory that does not exist yet (a pattern may match nothing):
            // watch its parent for it to appear; the reload that follows watches it.
            auto [parent, name] = split_path(path);
            add_watch(Directory{parent, {name}, false});
        }
    }
    for (const auto& [wd, directory] : watches_) {
        if (next.count(wd) == 0) {
            ::inotify_rm_watch(inotify_.native_handle(), wd);
        }
    }
    watches_ = std::move(next);
    if (!is_reading_) {
        read_events();
    }
    return true;
}

void ConfigWatch::read_events() {
    is_reading_ = true;
    inotify_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [this](boost::system::error_code ec) {
                            if (ec) {
                                is_reading_ = false;
                                return;
                            }
                            drain_events();
                            read_events();
                        });
}

void ConfigWatch::drain_events() {
    alignas(inotify_event) char buffer[16 * 1024];
    ssize_t n;
    while ((n = ::read(inotify_.native_handle(), buffer, sizeof buffer)) > 0) {
        for (char* at = buffer; at < buffer + n;) {
            auto* event = reinterpret_cast<inotify_event*>(at);
            on_event(event->wd, event->len > 0 ? event->name : "");
            at += sizeof(inotify_event) + event->len;
        }
    }
}

void ConfigWatch::on_event(int wd, std::string_view name) {
    auto it = watches_.find(wd);
    if (it == watches_.end()) {
        return;
    }
    const Directory& directory = it->second;
    if (!directory.any_entry && directory.names.count(std::string(name)) == 0) {
        return;
    }
    debounce_timer_.expires_after(debounce_);
    debounce_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            on_change_();
        }
    });
}

void ConfigWatch::stop() {
    debounce_timer_.cancel();
    boost::system::error_code ignored;
    inotify_.close(ignored);
    watches_.clear();
}

}  // namespace gantry::server
