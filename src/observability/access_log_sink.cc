// AccessLogSink: the log-writer thread. Workers hand over whole buffers (one lock per flush, not
// per request); the writer does the blocking write(2)s so that a slow disk never stalls a worker.
// When the disk falls behind, the queue is bounded and the newest buffers are dropped and
// counted; when a write fails, the buffer is dropped and counted and the failure is reported
// once on stderr.

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <unistd.h>

#include <gantry/observability/access_log.h>

namespace gantry::observability {

namespace {

constexpr std::string_view kStdout = "stdout";

// Emptied buffers kept for reuse by submit(); beyond this they are freed.
constexpr size_t kMaxSpares = 16;

int open_log_file(const std::string& path, std::string* error) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && error != nullptr) {
        *error = "cannot open access log \"" + path + "\": " + std::strerror(errno);
    }
    return fd;
}

// Writes all of `data`, retrying partial writes and EINTR. Returns 0 or the errno that stopped it.
int write_fully(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (n == 0) {
            return EIO;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return 0;
}

}  // namespace

struct AccessLogSink::State {
    std::string path;
    bool is_stdout = false;
    int fd = -1;  // touched only by the writer thread once it runs
    Options options;

    // shared: between submitting workers, flush() callers and the writer thread.
    mutable std::mutex mutex;
    std::condition_variable wake_writer;
    std::condition_variable written;
    std::deque<std::string> queue;
    std::vector<std::string> spares;
    size_t pending_bytes = 0;  // queued plus the buffer being written
    uint64_t accepted = 0;     // buffers accepted by submit()
    uint64_t completed = 0;    // buffers the writer finished with (written or failed)
    bool reopen_requested = false;
    bool stopping = false;
    Stats stats;

    // Writer-thread only.
    bool failing = false;  // a write has failed and no write has succeeded since

    std::thread writer;

    void run();
    void reopen_file();
    void write_buffer(std::string& buffer);
};

void AccessLogSink::State::run() {
    std::unique_lock lock(mutex);
    for (;;) {
        wake_writer.wait(lock, [&] { return stopping || reopen_requested || !queue.empty(); });
        if (reopen_requested) {
            reopen_requested = false;
            lock.unlock();
            reopen_file();
            lock.lock();
            continue;
        }
        if (queue.empty()) {
            return;  // stopping, and everything has been written
        }
        std::string buffer = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        write_buffer(buffer);
        size_t size = buffer.size();
        buffer.clear();
        lock.lock();
        pending_bytes -= size;
        ++completed;
        if (spares.size() < kMaxSpares) {
            spares.push_back(std::move(buffer));
        }
        written.notify_all();
    }
}

// Called on the writer thread. On failure the old file stays in use, so lines keep going
// somewhere, and the failure is reported.
void AccessLogSink::State::reopen_file() {
    if (is_stdout) {
        return;
    }
    std::string error;
    int new_fd = open_log_file(path, &error);
    if (new_fd < 0) {
        std::fprintf(stderr, "gantry: %s; still writing to the old file\n", error.c_str());
        std::lock_guard guard(mutex);
        ++stats.failed_reopens;
        return;
    }
    ::close(fd);
    fd = new_fd;
}

void AccessLogSink::State::write_buffer(std::string& buffer) {
    int err = write_fully(fd, buffer.data(), buffer.size());
    std::lock_guard guard(mutex);
    if (err == 0) {
        failing = false;
        ++stats.written_buffers;
        stats.written_bytes += buffer.size();
        return;
    }
    ++stats.failed_writes;
    if (!failing) {
        // Once per run of failures: a full disk would otherwise print a line per buffer.
        std::fprintf(stderr, "gantry: writing the access log \"%s\" failed: %s; dropping lines\n",
                     path.c_str(), std::strerror(err));
        failing = true;
    }
}

AccessLogSink::AccessLogSink() : state_(std::make_unique<State>()) {}

AccessLogSink::~AccessLogSink() {
    {
        std::lock_guard guard(state_->mutex);
        state_->stopping = true;
    }
    state_->wake_writer.notify_one();
    if (state_->writer.joinable()) {
        state_->writer.join();
    }
    if (!state_->is_stdout && state_->fd >= 0) {
        ::close(state_->fd);
    }
}

std::shared_ptr<AccessLogSink> AccessLogSink::open(const std::string& path, std::string* error) {
    return open(path, error, Options{});
}

std::shared_ptr<AccessLogSink> AccessLogSink::open(const std::string& path, std::string* error,
                                                   const Options& options) {
    std::shared_ptr<AccessLogSink> sink(new AccessLogSink());
    State& state = *sink->state_;
    state.path = path;
    state.options = options;
    state.is_stdout = path == kStdout;
    state.fd = state.is_stdout ? STDOUT_FILENO : open_log_file(path, error);
    if (state.fd < 0) {
        return nullptr;
    }
    state.writer = std::thread([&state] { state.run(); });
    return sink;
}

void AccessLogSink::submit(std::string& buffer) {
    if (buffer.empty()) {
        return;
    }
    State& s = *state_;
    {
        std::lock_guard guard(s.mutex);
        if (s.pending_bytes + buffer.size() > s.options.max_queued_bytes) {
            ++s.stats.dropped_buffers;
            s.stats.dropped_bytes += buffer.size();
            buffer.clear();
            return;
        }
        s.pending_bytes += buffer.size();
        ++s.accepted;
        s.queue.push_back(std::move(buffer));
        // Hand back a buffer the writer has emptied so the worker keeps its capacity.
        if (!s.spares.empty()) {
            buffer = std::move(s.spares.back());
            s.spares.pop_back();
        } else {
            buffer = std::string();
        }
    }
    s.wake_writer.notify_one();
}

void AccessLogSink::reopen() {
    {
        std::lock_guard guard(state_->mutex);
        state_->reopen_requested = true;
    }
    state_->wake_writer.notify_one();
}

void AccessLogSink::flush() {
    State& s = *state_;
    std::unique_lock lock(s.mutex);
    uint64_t target = s.accepted;
    s.written.wait(lock, [&] { return s.completed >= target; });
}

AccessLogSink::Stats AccessLogSink::stats() const {
    std::lock_guard guard(state_->mutex);
    return state_->stats;
}

}  // namespace gantry::observability
