// AccessLogBuffer hands lines to a real sink (and so its writer thread); the sink's flush()
// makes every check deterministic.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <gantry/observability/access_log.h>

namespace {

using gantry::observability::AccessLogBuffer;
using gantry::observability::AccessLogSink;
namespace fs = std::filesystem;

class TempLog {
public:
    TempLog() {
        std::string pattern = (fs::temp_directory_path() / "gantry-log-buffer-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        dir_ = pattern;
        std::string error;
        sink_ = AccessLogSink::open((dir_ / "access.log").string(), &error);
        REQUIRE(sink_ != nullptr);
    }

    ~TempLog() {
        sink_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    const std::shared_ptr<AccessLogSink>& sink() const { return sink_; }

    std::string contents() const {
        sink_->flush();
        std::ifstream in(dir_ / "access.log", std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

private:
    fs::path dir_;
    std::shared_ptr<AccessLogSink> sink_;
};

}  // namespace

TEST_CASE("the buffer keeps lines until it reaches its flush size", "[access_log]") {
    TempLog log;
    AccessLogBuffer buffer(log.sink(), 16);
    buffer.buffer() += "0123456789\n";  // 11 bytes: below 16
    buffer.maybe_flush();
    CHECK(log.contents().empty());
    CHECK(buffer.buffer() == "0123456789\n");

    buffer.buffer() += "abcde\n";  // 17 bytes: over 16
    buffer.maybe_flush();
    CHECK(buffer.buffer().empty());
    CHECK(log.contents() == "0123456789\nabcde\n");
}

TEST_CASE("flush hands over whatever is buffered, and nothing when empty", "[access_log]") {
    TempLog log;
    AccessLogBuffer buffer(log.sink());
    buffer.flush();
    CHECK(log.sink()->stats().written_buffers == 0);
    buffer.buffer() += "timer flush\n";
    buffer.flush();
    CHECK(buffer.buffer().empty());
    CHECK(log.contents() == "timer flush\n");
    CHECK(log.sink()->stats().written_buffers == 1);
}

TEST_CASE("destroying the buffer flushes its lines", "[access_log]") {
    TempLog log;
    {
        AccessLogBuffer buffer(log.sink());
        buffer.buffer() += "last words\n";
    }
    CHECK(log.contents() == "last words\n");
}

TEST_CASE("a buffer without a sink drops its lines", "[access_log]") {
    AccessLogBuffer buffer(nullptr, 8);
    buffer.buffer() += "nowhere to go\n";
    buffer.maybe_flush();
    CHECK(buffer.buffer().empty());
    buffer.buffer() += "x";
    buffer.flush();
    CHECK(buffer.buffer().empty());
}
