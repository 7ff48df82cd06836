// The sink is about a thread and files, so these tests use both: a temporary directory, a FIFO
// to make the writer fall behind on purpose, and /dev/full for a failing disk. Every wait is
// bounded.

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <poll.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <gantry/observability/access_log.h>

namespace {

using gantry::observability::AccessLogSink;
namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "gantry-access-log-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }

    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }

    fs::path operator/(const char* name) const { return path_ / name; }

private:
    fs::path path_;
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::shared_ptr<AccessLogSink> open_sink(const fs::path& path,
                                         const AccessLogSink::Options& options = {}) {
    std::string error;
    auto sink = AccessLogSink::open(path.string(), &error, options);
    INFO("open error: " << error);
    REQUIRE(sink != nullptr);
    return sink;
}

void submit(AccessLogSink& sink, std::string text) {
    sink.submit(text);
}

// Reads `size` bytes from a non-blocking fd, giving up after a few seconds.
std::string read_exactly(int fd, size_t size) {
    std::string data;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char chunk[65536];
    while (data.size() < size && std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        ssize_t n = ::read(fd, chunk, sizeof(chunk));
        if (n > 0) {
            data.append(chunk, static_cast<size_t>(n));
        }
    }
    return data;
}

}  // namespace

TEST_CASE("the sink appends submitted buffers to the file in order", "[access_log]") {
    TempDir dir;
    fs::path path = dir / "access.log";
    { std::ofstream(path) << "existing\n"; }
    auto sink = open_sink(path);
    for (int i = 0; i < 100; ++i) {
        submit(*sink, "line " + std::to_string(i) + "\n");
    }
    sink->flush();

    std::string expected = "existing\n";
    for (int i = 0; i < 100; ++i) {
        expected += "line " + std::to_string(i) + "\n";
    }
    CHECK(read_file(path) == expected);
    CHECK(sink->stats().written_buffers == 100);
    CHECK(sink->stats().written_bytes == expected.size() - 9);
    CHECK((fs::status(path).permissions() & fs::perms::others_write) == fs::perms::none);
}

TEST_CASE("the sink creates the file with mode 0644", "[access_log]") {
    TempDir dir;
    fs::path path = dir / "new.log";
    mode_t old_mask = ::umask(022);
    auto sink = open_sink(path);
    ::umask(old_mask);

    struct stat st {};

    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("submit takes the lines and hands back an empty buffer with capacity", "[access_log]") {
    TempDir dir;
    auto sink = open_sink(dir / "access.log");
    std::string buffer(1000, 'x');
    buffer.back() = '\n';
    sink->submit(buffer);
    CHECK(buffer.empty());
    sink->flush();

    // The writer has emptied the first buffer, so the next submit returns it, capacity and all.
    buffer.assign(10, 'y');
    sink->submit(buffer);
    CHECK(buffer.empty());
    CHECK(buffer.capacity() >= 1000);

    std::string empty;
    sink->submit(empty);  // nothing to write is not a buffer
    sink->flush();
    CHECK(sink->stats().written_buffers == 2);
}

TEST_CASE("reopen after a rename makes new lines go to a new file", "[access_log]") {
    TempDir dir;
    fs::path path = dir / "access.log";
    fs::path rotated = dir / "access.log.1";
    auto sink = open_sink(path);
    submit(*sink, "before rotation\n");
    sink->flush();

    fs::rename(path, rotated);
    submit(*sink, "still old\n");  // not yet reopened: goes to the renamed file
    sink->flush();
    sink->reopen();
    submit(*sink, "after rotation\n");
    sink->flush();

    CHECK(read_file(rotated) == "before rotation\nstill old\n");
    CHECK(read_file(path) == "after rotation\n");
}

TEST_CASE("a failed reopen keeps writing to the old file", "[access_log]") {
    TempDir dir;
    fs::path sub = dir / "sub";
    fs::create_directory(sub);
    fs::path path = sub / "access.log";
    fs::path moved = dir / "moved.log";
    auto sink = open_sink(path);
    fs::rename(path, moved);
    fs::remove(sub);  // the path can no longer be created
    sink->reopen();
    submit(*sink, "kept\n");
    sink->flush();
    CHECK(read_file(moved) == "kept\n");
    CHECK(sink->stats().failed_reopens == 1);
}

TEST_CASE("flush waits for buffers submitted from other threads", "[access_log]") {
    TempDir dir;
    fs::path path = dir / "access.log";
    auto sink = open_sink(path);
    std::thread worker([&] {
        for (int i = 0; i < 200; ++i) {
            submit(*sink, std::string(99, 'a') + "\n");
        }
    });
    worker.join();
    sink->flush();
    CHECK(fs::file_size(path) == 200 * 100);
}

TEST_CASE("destroying the sink writes what is still queued", "[access_log]") {
    TempDir dir;
    fs::path path = dir / "access.log";
    {
        auto sink = open_sink(path);
        for (int i = 0; i < 50; ++i) {
            submit(*sink, "queued\n");
        }
    }
    CHECK(fs::file_size(path) == 50 * 7);
}

TEST_CASE("when the writer falls behind the newest buffers are dropped and counted",
          "[access_log]") {
    TempDir dir;
    fs::path fifo = dir / "slow.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // The reader end opens first so the sink's open does not block; nobody reads until the
    // queue is full, so the writer stalls in write(2) once the pipe's buffer is full.
    int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(reader >= 0);
    AccessLogSink::Options options;
    options.max_queued_bytes = 1 << 20;
    auto sink = open_sink(fifo, options);

    std::string a(512 * 1024, 'a');
    std::string b(512 * 1024, 'b');
    std::string c(100, 'c');
    sink->submit(a);  // being written, still counts against the bound until done
    sink->submit(b);  // exactly at the bound: accepted
    sink->submit(c);  // over it: dropped
    CHECK(c.empty());
    CHECK(sink->stats().dropped_buffers == 1);
    CHECK(sink->stats().dropped_bytes == 100);

    std::string data = read_exactly(reader, 1 << 20);
    sink->flush();
    CHECK(data == std::string(512 * 1024, 'a') + std::string(512 * 1024, 'b'));

    submit(*sink, "room again\n");  // the queue drained, so lines are accepted again
    CHECK(read_exactly(reader, 11) == "room again\n");
    sink->flush();
    CHECK(sink->stats().dropped_buffers == 1);
    CHECK(sink->stats().written_buffers == 3);
    sink.reset();
    ::close(reader);
}

TEST_CASE("a failing disk drops buffers, counts them and never blocks", "[access_log]") {
    if (!fs::exists("/dev/full")) {
        SUCCEED("no /dev/full here");
        return;
    }
    auto sink = open_sink("/dev/full");
    submit(*sink, "lost\n");
    submit(*sink, "lost too\n");
    sink->flush();
    CHECK(sink->stats().failed_writes == 2);
    CHECK(sink->stats().written_buffers == 0);
}

TEST_CASE("open reports a path that cannot be opened", "[access_log]") {
    TempDir dir;
    std::string error;
    auto sink = AccessLogSink::open((dir / "missing/dir/access.log").string(), &error);
    CHECK(sink == nullptr);
    CHECK(error.find("missing/dir/access.log") != std::string::npos);
}

TEST_CASE("stdout as the destination writes to file descriptor 1", "[access_log]") {
    TempDir dir;
    fs::path path = dir / "stdout.txt";
    int capture = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(capture >= 0);
    std::cout.flush();
    std::fflush(stdout);
    int saved = ::dup(STDOUT_FILENO);
    REQUIRE(saved >= 0);
    ::dup2(capture, STDOUT_FILENO);
    {
        std::string error;
        auto sink = AccessLogSink::open("stdout", &error);
        if (sink != nullptr) {
            submit(*sink, "to stdout\n");
            sink->reopen();  // nothing to reopen; must not close fd 1
            submit(*sink, "still stdout\n");
        }
    }
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    ::close(capture);
    CHECK(::fcntl(STDOUT_FILENO, F_GETFD) != -1);
    CHECK(read_file(path) == "to stdout\nstill stdout\n");
}
