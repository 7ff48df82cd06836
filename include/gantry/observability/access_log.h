#pragma once

// Access logging in two pieces:
//  * AccessLogFormat: a compiled format ("combined" exactly as nginx writes it, "json", or a
//    string with nginx-style $variables). Built once per config generation, read-only, shared by
//    all workers. format() appends one line for one finished request.
//  * AccessLogSink: where lines go. Each worker appends lines to its own buffer (no lock on the
//    request path) and hands full buffers to one log-writer thread, which does the blocking
//    write(2). reopen() (SIGUSR1) makes the writer reopen the file for logrotate.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gantry/http/headers.h>

namespace gantry::observability {

// Everything a format may print about one finished request. Views point into the stream's
// arena and are valid only during the format() call.
struct AccessLogRecord {
    std::string_view remote_addr;  // client IP, no port
    uint16_t remote_port = 0;
    std::chrono::system_clock::time_point start_time;  // when the request head began
    std::string_view method;
    std::string_view target;  // request-target as received ($request_uri)
    std::string_view path;    // $uri (path without query)
    std::string_view query;   // $args
    uint8_t version_major = 1;
    uint8_t version_minor = 1;
    std::string_view host;                             // $host
    const http::HeaderMap* request_headers = nullptr;  // for $http_NAME; may be null
    int status = 0;
    uint64_t body_bytes_sent = 0;              // response body bytes, without head
    uint64_t bytes_sent = 0;                   // everything written to the client
    uint64_t request_length = 0;               // request head + body bytes received
    std::chrono::nanoseconds request_time{0};  // first byte of the request to the log write
    std::string_view upstream_addr;            // "ip:port" or empty when none was contacted
    int upstream_status = 0;                   // 0 = none
    uint32_t upstream_attempts = 0;            // tries made upstream (1 + retries); 0 = none
    std::optional<std::chrono::nanoseconds> upstream_response_time;
    std::string_view request_id;
    std::string_view error;  // x-gantry-error reason, empty when none
    std::string_view listener;
    std::string_view route_cluster;
    // TLS (empty on plain connections): $ssl_protocol, $ssl_cipher, $ssl_server_name and the
    // RFC 2253 subject of a verified client certificate, $ssl_client_s_dn.
    std::string_view ssl_protocol;
    std::string_view ssl_cipher;
    std::string_view ssl_server_name;
    std::string_view ssl_client_s_dn;
};

class AccessLogFormat {
public:
    // Compiles "combined", "json", or a custom string. An unknown variable is an error (as in
    // nginx), returned through `error` so that the config loader can report it with line/col.
    //
    // Custom strings take $name or ${name} (names are case-insensitive): remote_addr remote_port
    // remote_user time_local time_iso8601 msec request request_method request_uri uri args
    // query_string server_protocol host status body_bytes_sent bytes_sent request_length
    // request_time upstream_addr upstream_status upstream_response_time upstream_attempts
    // request_id gantry_error ssl_protocol ssl_cipher ssl_server_name ssl_client_s_dn
    // and http_NAME. Values are escaped as nginx's escape=default does (\xHH for '"', '\\',
    // control bytes and bytes >= 0x7f); a value that is absent prints "-". A '$' that starts no
    // name is literal text. "json" writes one object per line (see access_log_format.cc for the
    // keys); absent values are null.
    static std::unique_ptr<AccessLogFormat> compile(std::string_view format, std::string* error);

    ~AccessLogFormat();

    // Appends one line (ending in '\n') to `out`. Allocates nothing but the growth of `out`.
    // The time printed is start_time + request_time (when the line is written, as in nginx).
    void format(const AccessLogRecord& record, std::string& out) const;

private:
    AccessLogFormat();
    struct Part;
    std::vector<Part> parts_;
    bool json_ = false;
};

// The process-wide destination: a file path or "stdout". Owns the log-writer thread.
class AccessLogSink {
public:
    struct Options {
        // Bytes submitted but not yet written (including the buffer being written) above which
        // submit() drops the newest buffer instead of queueing it, so a stalled disk cannot
        // grow memory without bound.
        size_t max_queued_bytes = size_t{64} << 20;
    };

    // Counters since open(); read from any thread.
    struct Stats {
        uint64_t written_buffers = 0;
        uint64_t written_bytes = 0;
        uint64_t dropped_buffers = 0;  // refused by submit() because the queue was full
        uint64_t dropped_bytes = 0;
        uint64_t failed_writes = 0;  // buffers lost to a write(2) error (disk full, EIO)
        uint64_t failed_reopens = 0;
    };

    // Opens the destination ("stdout" or a file path, appended to and created 0644); on failure
    // returns null and fills `error`.
    static std::shared_ptr<AccessLogSink> open(const std::string& path, std::string* error);
    static std::shared_ptr<AccessLogSink> open(const std::string& path, std::string* error,
                                               const Options& options);

    ~AccessLogSink();  // flushes everything queued, stops the writer thread

    // Queues a finished buffer (takes its contents; `buffer` comes back empty, capacity kept
    // when possible). Never blocks on I/O; called from worker threads.
    void submit(std::string& buffer);

    // Asks the writer thread to reopen the file (SIGUSR1). Safe from any thread.
    void reopen();

    // Blocks until everything submitted so far has been written (tests, shutdown).
    void flush();

    Stats stats() const;

private:
    AccessLogSink();
    struct State;
    std::unique_ptr<State> state_;
};

// Per-worker buffer in front of a sink: append lines on the worker thread, and flush to the sink
// when the buffer passes a size or when the worker's flush timer fires (every 100 ms).
class AccessLogBuffer {
public:
    explicit AccessLogBuffer(std::shared_ptr<AccessLogSink> sink, size_t flush_bytes = 64 * 1024);
    ~AccessLogBuffer();  // flushes

    std::string& buffer() { return buffer_; }

    void maybe_flush();  // after appending: hands the buffer to the sink when it is big enough
    void flush();        // hands over whatever is buffered

private:
    std::shared_ptr<AccessLogSink> sink_;
    size_t flush_bytes_;
    std::string buffer_;
};

}  // namespace gantry::observability
