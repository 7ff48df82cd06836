#pragma once

// Small helpers shared by the integration tests: loopback ports, temporary directories, child
// processes (curl, gantry check), a buffered socket with deadlines, a tiny HTTP/1.1 message
// reader for raw clients and test servers, and a cheap byte pattern for large bodies.
// Everything here is used from the test thread or from a test server's own threads; nothing is
// shared between threads unless a comment says so.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::test {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using namespace std::chrono_literals;

inline Deadline deadline_in(std::chrono::milliseconds d) {
    return Clock::now() + d;
}

// A port on 127.0.0.1 that was free a moment ago (bind :0, read it, close).
uint16_t free_port();

// True when a TCP connect to 127.0.0.1:port succeeds right now.
bool port_accepts(uint16_t port);

// Polls `pred` every 10 ms until it holds or `timeout` passes; returns the last result.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// Replaces every "@KEY@" in `text` with its value.
std::string substitute(std::string text, const std::map<std::string, std::string>& vars);

std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view content);
bool file_exists(const std::string& path);

std::string to_lower(std::string_view s);

// Splits `text` into lines without their line ends.
std::vector<std::string> split_lines(std::string_view text);

// A fresh directory under /tmp, removed with everything in it on destruction. Test thread only.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }

    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

struct ProcessResult {
    int exit_code = -1;  // -1 when killed by a signal or timed out
    bool timed_out = false;
    std::string out;
    std::string err;
};

// Runs argv[0] (searched in PATH) with stdin from /dev/null; kills it after `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = 15s);

using Headers = std::vector<std::pair<std::string, std::string>>;

// First value of `name` (case-insensitive), or nullopt.
std::optional<std::string> header_value(const Headers& headers, std::string_view name);

// Every value of `name`, in order.
std::vector<std::string> header_values(const Headers& headers, std::string_view name);

// Every value of `name` joined with ", " (how a list header reads once combined).
std::string joined_header(const Headers& headers, std::string_view name);

bool has_header(const Headers& headers, std::string_view name);

struct CurlResult {
    int exit_code = -1;         // curl's exit code (0 = transfer complete)
    int status = 0;             // final %{http_code}, 0 when none
    std::vector<int> statuses;  // every status line seen, interim ones included
    Headers headers;            // header fields of the final response
    std::string body;
    std::string err;  // curl's stderr

    std::optional<std::string> header(std::string_view name) const {
        return header_value(headers, name);
    }
};

// Runs `curl -q -sS --max-time 10 --noproxy '*'` with `args` (URL and options) and collects the
// status, the response heads (-D) and the body.
CurlResult run_curl(const std::vector<std::string>& args);

// A connected socket with an input buffer; every read and write is bounded by a deadline.
// Owned and used by one thread at a time.
class BufferedSocket {
public:
    enum class Read { Ok, Eof, Reset, Timeout };

    explicit BufferedSocket(int fd = -1) : fd_(fd) {}

    ~BufferedSocket();
    BufferedSocket(BufferedSocket&& other) noexcept;
    BufferedSocket& operator=(BufferedSocket&& other) noexcept;

    int fd() const { return fd_; }

    bool is_open() const { return fd_ >= 0; }

    bool send_all(std::string_view data, Deadline deadline);

    // Reads once more into the buffer.
    Read fill(Deadline deadline);

    // Bytes received and not consumed yet.
    std::string& buffer() { return buffer_; }

    // Consumes and returns bytes up to and including `delim`; nullopt on EOF, reset, timeout or
    // when more than `max` bytes arrive without it.
    std::optional<std::string> read_until(std::string_view delim, Deadline deadline,
                                          size_t max = 1 << 20);

    std::optional<std::string> read_exact(size_t n, Deadline deadline);

    // Passes exactly n bytes to `sink` without holding them; false on EOF, reset or timeout.
    bool stream_exact(uint64_t n, Deadline deadline,
                      const std::function<void(const char*, size_t)>& sink);

    // Reads until the peer closes (EOF or reset). Returns whether it closed before the deadline;
    // `data` (optional) receives every byte read, the buffered ones first.
    bool wait_closed(Deadline deadline, std::string* data = nullptr);

    void shutdown_write();
    void reset();  // SO_LINGER 0 then close: the peer sees RST
    void close();

    Read last_read() const { return last_read_; }

private:
    int fd_ = -1;
    std::string buffer_;
    Read last_read_ = Read::Ok;
};

// Connects to 127.0.0.1:port (blocking, bounded). Returns a closed socket on failure.
BufferedSocket connect_to(uint16_t port, std::chrono::milliseconds timeout = 3s);

// Outcome of a connect attempt: accepted, refused (RST), or timed out.
enum class ConnectOutcome { Connected, Refused, Timeout, Error };

ConnectOutcome try_connect(uint16_t port, std::chrono::milliseconds timeout = 1s);

struct HttpHead {
    std::string method;   // requests
    std::string target;   // requests
    std::string version;  // "HTTP/1.1"
    int status = 0;       // responses
    std::string reason;   // responses
    Headers headers;
};

// Parses a head ("start line CRLF fields CRLF CRLF"). Lenient about nothing: false on anything
// a test peer should never see.
bool parse_head(std::string_view text, bool is_request, HttpHead* out);

// Reads a chunked body (after the head) into `sink`; the trailer fields go to `trailers`.
bool read_chunked_body(BufferedSocket& socket, Deadline deadline,
                       const std::function<void(const char*, size_t)>& sink, Headers* trailers);

struct HttpResponse {
    HttpHead head;
    std::string body;
    Headers trailers;
    std::vector<HttpHead> interim;  // 1xx heads that came before the final one
    bool complete = false;          // framing satisfied (CL reached, last chunk, or EOF-delimited)
    bool chunked = false;

    int status() const { return head.status; }

    std::optional<std::string> header(std::string_view name) const {
        return header_value(head.headers, name);
    }
};

// Reads one response (1xx heads collected in `interim`). `is_head_request` means no body.
// nullopt when no final head arrived; a short body gives complete == false.
std::optional<HttpResponse> read_response(BufferedSocket& socket, Deadline deadline,
                                          bool is_head_request = false);

// Body bytes that are cheap to make and to check at any offset: byte i is (i % 251). The
// prime period makes a lost, repeated or shifted block show up.
class BodyPattern {
public:
    static constexpr size_t kMaxSpan = 256 * 1024;

    BodyPattern();

    // Fills `n` (<= kMaxSpan) bytes starting at stream offset `offset`.
    void fill(uint64_t offset, char* out, size_t n) const;

    // True when `data` equals the pattern at `offset`; `n` may be any size.
    bool matches(uint64_t offset, const char* data, size_t n) const;

    static const BodyPattern& instance();

private:
    std::string table_;
};

// Resident set size in KiB from /proc/<pid>/status ("VmRSS" or "VmHWM"); 0 when unreadable.
uint64_t proc_status_kib(int pid, std::string_view field);

}  // namespace gantry::test
