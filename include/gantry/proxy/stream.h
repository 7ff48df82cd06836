#pragma once

// Stream: one request and its response. It owns the request's arena (a monotonic resource over a
// pooled block), pins the worker's config generation for its whole life, runs the filter chain
// (the route's header mutation, then the router) and writes the access-log line when it ends.
// Owned by its Downstream (an HTTP/1.1 connection, or an HTTP/2 stream) while a request runs (one
// at a time for HTTP/1.1), and by the worker's idle pool in between; touched only by that worker's
// thread. The connection reads; the stream decides; the router's upstream request feeds the
// response back through encode_response_*().

#include <chrono>
#include <memory_resource>
#include <optional>
#include <string_view>

#include <gantry/error.h>
#include <gantry/filter/filter.h>
#include <gantry/http/message.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/runtime/arena.h>
#include <gantry/runtime/byte_buffer.h>

namespace gantry::proxy {

class Downstream;
class RouterFilter;
class UpstreamRequest;

class Stream final : public filter::FilterCallbacks {
public:
    Stream() = default;
    ~Stream() override;

    // Starts a new request of `connection` on this (recycled) stream object.
    void begin(Downstream& connection, const config::ListenerRuntime* listener);
    // Ends the request: runs on_stream_end, writes the access log, frees the arena.
    void finish();
    // Ends a stream that never received a byte of a request (keep-alive close): no log line.
    void abandon();

    // --- Events from the downstream connection ------------------------------------------
    void on_request_head(http::RequestHead& head);
    void on_request_body(std::string_view data, bool end_stream);
    void on_request_trailers(http::HeaderMap& trailers);
    // The client side failed (went away, timed out, sent a malformed body).
    void on_downstream_error(ProxyError error);

    void add_request_bytes(uint64_t bytes) { request_length_ += bytes; }

    bool is_request_complete() const { return is_request_complete_; }

    bool is_request_body_paused() const { return is_request_body_paused_ || is_head_stopped_; }

    bool is_response_started() const { return is_response_started_; }

    bool is_response_complete() const { return is_response_complete_; }

    // The stream can be finished: the response ended (or the stream was aborted) and no
    // upstream work is still running.
    bool is_done() const;

    bool is_aborted() const { return is_aborted_; }

    // --- FilterCallbacks ----------------------------------------------------------------
    const config::Route* route() const override { return route_; }

    std::pmr::memory_resource* arena() override { return &arena_; }

    void continue_request() override;
    void send_local_reply(int status, ProxyError error, std::string_view body,
                          std::string_view content_type) override;
    void encode_response_head(http::ResponseHead& head, bool end_stream) override;
    void encode_response_body(std::string_view data, bool end_stream) override;
    void encode_response_trailers(http::HeaderMap& trailers) override;
    void pause_request_body() override;
    void resume_request_body() override;
    std::string_view downstream_address() const override;

    std::string_view request_id() const override { return request_id_; }

    // The client side's scheme: "https" over TLS (HTTP/1.1 or HTTP/2), else "http".
    std::string_view scheme() const override;

    // --- Used by the router -------------------------------------------------------------
    Downstream& connection() { return *connection_; }

    const proxy::WorkerGenerationRef& generation() const { return generation_; }

    http::RequestHead& request() { return *request_; }

    bool is_request_head_received() const { return request_ != nullptr; }

    void set_upstream_active(bool active);

    // An upstream request the connection should run in its own coroutine (no request body).
    void defer_upstream(UpstreamRequest* upstream) { deferred_upstream_ = upstream; }

    UpstreamRequest* take_deferred_upstream() {
        UpstreamRequest* upstream = deferred_upstream_;
        deferred_upstream_ = nullptr;
        return upstream;
    }

    void record_upstream(std::string_view address, int status,
                         std::optional<std::chrono::nanoseconds> time);

    // The cluster the router chose (for a `weighted` forward, the one drawn); config memory.
    void set_upstream_cluster(std::string_view name) { upstream_cluster_ = name; }

    // Tries made against upstream endpoints ($upstream_attempts); 0 when none.
    void set_upstream_attempts(uint32_t attempts) { upstream_attempts_ = attempts; }

    void set_error(ProxyError error) { error_ = error; }

    ProxyError error() const { return error_; }

private:
    void run_request_head_filters(size_t from);
    void mark_response_complete();
    void assign_request_id();
    void write_access_log(std::chrono::nanoseconds request_time);
    void record_metrics(std::chrono::nanoseconds request_time);

    Downstream* connection_ = nullptr;
    runtime::ByteBuffer arena_block_;
    runtime::Arena arena_;
    proxy::WorkerGenerationRef generation_;
    const config::ListenerRuntime* listener_ = nullptr;
    http::RequestHead* request_ = nullptr;
    const config::Route* route_ = nullptr;
    UpstreamRequest* deferred_upstream_ = nullptr;

    static constexpr size_t kMaxFilters = 2;
    runtime::ArenaPtr<filter::Filter> filters_[kMaxFilters];
    size_t filter_count_ = 0;
    RouterFilter* router_ = nullptr;  // the last filter (owned by filters_), to stop its upstream
    // The head of a response gantry made itself (send_local_reply); destroyed in finish().
    runtime::ArenaPtr<http::ResponseHead> local_reply_head_;
    size_t head_resume_index_ = 0;
    bool is_head_stopped_ = false;

    std::string_view request_id_;
    ProxyError error_;
    int response_status_ = 0;
    uint64_t request_length_ = 0;
    uint64_t body_bytes_sent_ = 0;
    std::string_view request_method_;
    std::string_view upstream_address_;
    int upstream_status_ = 0;
    uint32_t upstream_attempts_ = 0;
    std::string_view upstream_cluster_;
    std::optional<std::chrono::nanoseconds> upstream_time_;
    std::chrono::system_clock::time_point start_wall_;
    std::chrono::steady_clock::time_point start_steady_;

    bool is_active_ = false;
    bool is_logged_ = true;
    bool is_request_complete_ = false;
    bool is_request_body_paused_ = false;
    bool is_response_started_ = false;
    bool is_response_complete_ = false;
    bool is_upstream_active_ = false;
    bool is_aborted_ = false;
    bool is_local_reply_ = false;  // gantry made the response (for metrics)
};

}  // namespace gantry::proxy
