#pragma once

// HTTP filters: the per-request processing chain. A FilterFactory is built once per config
// generation (read-only, shared by every worker); it makes one Filter per stream, placed in the
// stream's arena. Filters run on the stream's worker thread only.
//
// Contract of the hooks (all noexcept: the data plane never throws):
//  * Request hooks run in chain order, response hooks in reverse order.
//  * Continue: the next filter's hook runs now.
//  * StopIteration: the filters after this one do not see this event now. On the request head
//    the filter must later call callbacks().continue_request() (resumes iteration at the next
//    filter) or callbacks().send_local_reply(); body and trailer events are never stopped by the
//    filters of this issue (a body filter that stops takes ownership of re-injecting the data).
//  * send_local_reply() answers the client from any hook; the chain stops on the request side and
//    the reply runs through the response hooks of the filters before the caller.
//  * on_stream_end() runs once when the stream finishes, whatever happened; the filter is then
//    destroyed with the arena.

#include <cstdint>
#include <memory>
#include <memory_resource>
#include <string_view>

#include <gantry/error.h>
#include <gantry/http/message.h>
#include <gantry/runtime/arena.h>

namespace gantry::config {
struct Route;
}

namespace gantry::filter {

enum class FilterStatus : uint8_t { Continue, StopIteration };

// What a filter may ask of its stream. Implemented by the stream.
class FilterCallbacks {
public:
    virtual ~FilterCallbacks() = default;

    // The route matched for this request (null when none matched).
    virtual const config::Route* route() const = 0;

    // The stream's arena: memory that lives until the stream ends.
    virtual std::pmr::memory_resource* arena() = 0;

    // Resumes request-side iteration after a StopIteration on the request head.
    virtual void continue_request() = 0;

    // Answers the client with a short text body and x-gantry-error (when error is set).
    virtual void send_local_reply(int status, ProxyError error, std::string_view body,
                                  std::string_view content_type = "text/plain") = 0;

    // The terminal (router) filter feeds the upstream response into the response path with
    // these; they run the response hooks of every filter in reverse order.
    virtual void encode_response_head(http::ResponseHead& head, bool end_stream) = 0;
    virtual void encode_response_body(std::string_view data, bool end_stream) = 0;
    virtual void encode_response_trailers(http::HeaderMap& trailers) = 0;

    // Who asked: the client's IP address (no port), this request's id (the X-Request-Id sent
    // upstream) and the scheme it came in with. Valid while the stream lives.
    virtual std::string_view downstream_address() const = 0;
    virtual std::string_view request_id() const = 0;
    virtual std::string_view scheme() const = 0;

    // Flow control of the request body: stop and resume reading from the client.
    virtual void pause_request_body() = 0;
    virtual void resume_request_body() = 0;
};

class Filter {
public:
    virtual ~Filter() = default;

    void set_callbacks(FilterCallbacks& callbacks) { callbacks_ = &callbacks; }

    virtual FilterStatus on_request_head(http::RequestHead&, bool /*end_stream*/) noexcept {
        return FilterStatus::Continue;
    }

    virtual FilterStatus on_request_body(std::string_view /*data*/, bool /*end_stream*/) noexcept {
        return FilterStatus::Continue;
    }

    virtual FilterStatus on_request_trailers(http::HeaderMap&) noexcept {
        return FilterStatus::Continue;
    }

    virtual FilterStatus on_response_head(http::ResponseHead&, bool /*end_stream*/) noexcept {
        return FilterStatus::Continue;
    }

    virtual FilterStatus on_response_body(std::string_view /*data*/, bool /*end_stream*/) noexcept {
        return FilterStatus::Continue;
    }

    virtual FilterStatus on_response_trailers(http::HeaderMap&) noexcept {
        return FilterStatus::Continue;
    }

    virtual void on_stream_end() noexcept {}

protected:
    FilterCallbacks& callbacks() { return *callbacks_; }

private:
    FilterCallbacks* callbacks_ = nullptr;
};

// Built once per config generation; create() makes the per-stream filter in `arena`, owned by
// the handle (the stream destroys it before the arena is released).
class FilterFactory {
public:
    virtual ~FilterFactory() = default;
    virtual runtime::ArenaPtr<Filter> create(std::pmr::memory_resource* arena) const = 0;
};

}  // namespace gantry::filter
