#pragma once

// ConfigWatch: calls back when the config file, a file it includes, or a directory that a
// wildcard include reads may have changed. It watches directories, not files, with inotify, so
// that editors and tools that replace a file by renaming a new one over it (vim, sed -i,
// `kubectl cp`, configuration management) are seen like an in-place write; events are
// debounced (a burst of writes is one callback, `debounce` after the last event). Owned by
// server::Server; runs on the main thread's io_context.

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/config.h>

namespace gantry::server {

class ConfigWatch {
public:
    ConfigWatch(boost::asio::io_context& io_context, std::chrono::milliseconds debounce,
                std::function<void()> on_change);
    ~ConfigWatch();

    // Watches what `sources` names (plus `main_file`, which may not have been readable).
    // Returns false and fills `error` when inotify is unavailable; callable again after each
    // load, keeping the watches that are still needed.
    bool watch(const std::string& main_file, const config::ConfigSources& sources,
               std::string* error);

    void stop();

private:
    struct Directory {
        std::string path;
        std::set<std::string> names;  // the entries of interest in it
        bool any_entry = false;       // a wildcard include reads it: every entry matters
    };

    void read_events();
    void drain_events();
    void on_event(int wd, std::string_view name);

    std::chrono::milliseconds debounce_;
    std::function<void()> on_change_;
    boost::asio::posix::stream_descriptor inotify_;
    boost::asio::steady_timer debounce_timer_;
    std::map<int, Directory> watches_;  // by inotify watch descriptor
    bool is_reading_ = false;
};

}  // namespace gantry::server
