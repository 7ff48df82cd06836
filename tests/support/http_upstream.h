#pragma once

// HttpUpstream: a small threaded HTTP/1.1 origin server on 127.0.0.1:<ephemeral> for the
// integration tests. One thread accepts, one thread serves each connection (keep-alive aware,
// Content-Length and chunked request bodies, Expect: 100-continue). Every complete request is
// recorded; a handler chooses the response, which may also misbehave (delay, reset, close in
// the middle of the body) or stream a large generated body.
// Owned by the test; the handler runs on connection threads, so it must be thread-safe. The
// accessors lock and return copies.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "support/test_listener.h"
#include "support/test_util.h"

namespace gantry::test {

struct UpstreamRequest {
    std::string method;
    std::string target;
    std::string version;
    Headers headers;   // as received, in order
    std::string body;  // the first kMaxStoredBody bytes
    Headers trailers;
    uint64_t body_size = 0;
    bool body_is_pattern = true;  // the whole body equals BodyPattern from offset 0
    bool chunked = false;
    size_t connection_index = 0;  // 0-based accept order

    std::optional<std::string> header(std::string_view name) const {
        return header_value(headers, name);
    }
};

struct InterimResponse {
    int status = 100;
    Headers headers;
};

struct UpstreamResponse {
    int status = 200;
    Headers headers;  // Content-Length / Transfer-Encoding are added unless `raw_framing`
    std::string body;
    std::vector<InterimResponse> interim;  // sent before the final head (e.g. 103)
    bool chunked = false;                  // send the body as chunks of `chunk_size`
    size_t chunk_size = 4096;
    Headers trailers;                    // with chunked
    uint64_t generated_body_size = 0;    // when > 0: stream that many BodyPattern bytes instead
    std::chrono::milliseconds delay{0};  // before the head
    std::chrono::milliseconds body_delay{0};  // between the head and the body
    bool reset = false;           // reset the connection instead of answering (after `delay`)
    bool close_mid_body = false;  // send the head and half the body, then close
    bool close_after = false;     // close the connection after this response
    bool raw_framing = false;     // do not add Content-Length / Transfer-Encoding

    static UpstreamResponse text(int status, std::string body) {
        UpstreamResponse r;
        r.status = status;
        r.body = std::move(body);
        r.headers.emplace_back("Content-Type", "text/plain");
        return r;
    }
};

class HttpUpstream {
public:
    using Handler = std::function<UpstreamResponse(const UpstreamRequest&)>;

    static constexpr size_t kMaxStoredBody = 8 * 1024 * 1024;

    // Starts listening at once. The default handler answers 200 "ok".
    explicit HttpUpstream(Handler handler = nullptr);
    // Listens on `ip` (an IPv4 loopback address) and `port` (0 = ephemeral) instead.
    HttpUpstream(Handler handler, const char* ip, uint16_t port);
    ~HttpUpstream();
    HttpUpstream(const HttpUpstream&) = delete;
    HttpUpstream& operator=(const HttpUpstream&) = delete;

    uint16_t port() const { return listener_.port(); }

    std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

    void set_handler(Handler handler);

    // Closes a keep-alive connection that stays idle this long between requests, as servers
    // do with their keep-alive timeout; 0 (the default) waits for the peer.
    void set_keep_alive_timeout(std::chrono::milliseconds timeout) {
        keep_alive_timeout_ms_.store(timeout.count());
    }

    std::vector<UpstreamRequest> requests() const;
    size_t request_count() const;

    size_t heads_received() const { return heads_received_.load(); }

    size_t connection_count() const { return listener_.connection_count(); }

    size_t open_connections() const { return listener_.open_connections(); }

    // Waits until `n` complete requests were recorded.
    bool wait_for_requests(size_t n, std::chrono::milliseconds timeout) const;

    // Closes the listener and every connection, wakes delayed handlers, joins all threads.
    void stop();

private:
    void serve(BufferedSocket& socket, size_t index);
    bool serve_one(BufferedSocket& socket, size_t index, bool is_first);
    bool read_body(BufferedSocket& socket, const HttpHead& head, UpstreamRequest* request);
    bool send_response(BufferedSocket& socket, const UpstreamRequest& request,
                       const UpstreamResponse& response);
    bool send_body(BufferedSocket& socket, const UpstreamResponse& response, bool half);

    Handler handler_;
    std::atomic<size_t> heads_received_{0};
    std::atomic<int64_t> keep_alive_timeout_ms_{0};
    mutable std::mutex mutex_;  // guards handler_ and requests_
    std::vector<UpstreamRequest> requests_;
    TestListener listener_{"HttpUpstream", 512};  // last: its threads use the members above
};

}  // namespace gantry::test
