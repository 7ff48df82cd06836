#include <array>
#include <cstring>
#include <new>

#include <gantry/config.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/router_filter.h>
#include <gantry/proxy/stream.h>
#include <gantry/runtime/coarse_clock.h>

namespace gantry::proxy {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Each byte's two hex digits, so a request id takes 16 lookups rather than 32 shifts and masks.
constexpr std::array<std::array<char, 2>, 256> kHexPairs = [] {
    std::array<std::array<char, 2>, 256> pairs{};
    for (size_t byte = 0; byte < 256; ++byte) {
        pairs[byte] = {kHexDigits[byte >> 4], kHexDigits[byte & 0xf]};
    }
    return pairs;
}();

}  // namespace

Stream::~Stream() {
    if (is_active_) {
        finish();
    }
}

void Stream::begin(Downstream& connection, const config::ListenerRuntime* listener) {
    connection_ = &connection;
    proxy::ProxyWorker& worker = connection_->worker();
    worker.arena_blocks().acquire(arena_block_);
    char* block = arena_block_.write_pointer();
    arena_.reset(block, arena_block_.writable_size());
    generation_ = worker.current();
    listener_ = listener;
    request_ = nullptr;
    route_ = nullptr;
    deferred_upstream_ = nullptr;
    filter_count_ = 0;
    router_ = nullptr;
    head_resume_index_ = 0;
    is_head_stopped_ = false;
    request_id_ = {};
    error_ = {};
    response_status_ = 0;
    request_length_ = 0;
    body_bytes_sent_ = 0;
    request_method_ = {};
    upstream_address_ = {};
    upstream_status_ = 0;
    upstream_attempts_ = 0;
    upstream_cluster_ = {};
    upstream_time_.reset();
    start_wall_ = runtime::coarse_system_now();
    start_steady_ = std::chrono::steady_clock::now();
    is_active_ = true;
    is_request_complete_ = false;
    is_request_body_paused_ = false;
    is_response_started_ = false;
    is_response_complete_ = false;
    is_upstream_active_ = false;
    is_aborted_ = false;
    is_local_reply_ = false;
}

void Stream::finish() {
    if (!is_active_) {
        return;
    }
    for (size_t i = 0; i < filter_count_; ++i) {
        filters_[i]->on_stream_end();
    }
    if (is_logged_) {
        auto request_time = std::chrono::steady_clock::now() - start_steady_;
        record_metrics(request_time);
        write_access_log(request_time);
    }
    is_logged_ = true;
    // Everything built in the arena is destroyed before the arena is released.
    for (size_t i = 0; i < filter_count_; ++i) {
        filters_[i].reset();
    }
    local_reply_head_.reset();
    filter_count_ = 0;
    router_ = nullptr;
    request_ = nullptr;
    route_ = nullptr;
    is_active_ = false;
    generation_.reset();
    arena_.release();
    connection_->worker().arena_blocks().release(arena_block_);
}

void Stream::abandon() {
    is_logged_ = false;
    finish();
}

bool Stream::is_done() const {
    return (is_response_complete_ || is_aborted_) && !is_upstream_active_;
}

void Stream::assign_request_id() {
    if (const http::HeaderField* given = request_->headers.get(http::HeaderId::XRequestId)) {
        if (!given->value.empty()) {
            request_id_ = given->value;
            return;
        }
    }
    // 128 random bits as 32 hex digits, like nginx's $request_id.
    auto* text = static_cast<char*>(arena_.allocate(32, 1));
    runtime::Random& random = connection_->worker().random();
    for (int half = 0; half < 2; ++half) {
        uint64_t bits = random.next();
        for (int i = 0; i < 8; ++i) {
            std::memcpy(text + half * 16 + i * 2, kHexPairs[(bits >> (i * 8)) & 0xff].data(), 2);
        }
    }
    request_id_ = std::string_view(text, 32);
    request_->headers.add_unowned("X-Request-Id", request_id_, http::HeaderId::XRequestId);
}

void Stream::on_request_head(http::RequestHead& head) {
    request_ = &head;
    request_method_ = head.method;
    if (head.wants_upgrade) {
        // Whether or not the upgrade is tunnelled, the connection is not reused after it.
        connection_->set_keep_alive(false);
    }
    route_ = listener_->routes.match(head);
    assign_request_id();
    filters_[0] = generation_->generation->header_mutation().create(&arena_);
    runtime::ArenaPtr<RouterFilter> router = arena_.make<RouterFilter>(*this);
    router_ = router.get();
    filters_[1] = std::move(router);
    filter_count_ = 2;
    for (size_t i = 0; i < filter_count_; ++i) {
        filters_[i]->set_callbacks(*this);
    }
    run_request_head_filters(0);
}

void Stream::run_request_head_filters(size_t from) {
    bool end_stream = !request_->has_body();
    for (size_t i = from; i < filter_count_; ++i) {
        filter::FilterStatus status = filters_[i]->on_request_head(*request_, end_stream);
        if (is_response_started_ || is_aborted_) {
            return;  // a filter answered; the rest of the chain does not see the request
        }
        if (status == filter::FilterStatus::StopIteration) {
            if (i + 1 < filter_count_) {
                is_head_stopped_ = true;
                head_resume_index_ = i + 1;
            }
            return;
        }
    }
}

void Stream::continue_request() {
    if (!is_head_stopped_) {
        return;
    }
    is_head_stopped_ = false;
    run_request_head_filters(head_resume_index_);
    connection_->notify_stream();
}

void Stream::on_request_body(std::string_view data, bool end_stream) {
    if (end_stream) {
        is_request_complete_ = true;
    }
    if (is_aborted_ || filter_count_ == 0) {
        return;
    }
    for (size_t i = 0; i < filter_count_; ++i) {
        if (filters_[i]->on_request_body(data, end_stream) == filter::FilterStatus::StopIteration) {
            break;
        }
    }
}

void Stream::on_request_trailers(http::HeaderMap& trailers) {
    if (is_aborted_) {
        return;
    }
    for (size_t i = 0; i < filter_count_; ++i) {
        if (filters_[i]->on_request_trailers(trailers) == filter::FilterStatus::StopIteration) {
            break;
        }
    }
}

void Stream::on_downstream_error(ProxyError error) {
    if (!is_active_ || is_done()) {
        return;
    }
    if (!error_.is_error()) {
        error_ = error;
    }
    // Stop the upstream side first, so that it neither writes nor answers any more.
    if (router_ != nullptr) {
        router_->abort();
    }
    int status = error.to_status();
    bool client_can_hear = error.kind == ProxyError::Kind::BadRequest ||
                           error.kind == ProxyError::Kind::BodyTooLarge ||
                           error.kind == ProxyError::Kind::DownstreamTimeout;
    if (!is_response_started_ && client_can_hear && !connection_->is_broken()) {
        send_local_reply(status, error, error.name(), "text/plain");
        return;
    }
    is_aborted_ = true;
    connection_->notify_stream();
}

void Stream::send_local_reply(int status, ProxyError error, std::string_view body,
                              std::string_view content_type) {
    if (is_response_started_) {
        // Too late to answer: the client already has part of another response.
        if (error.is_error() && !error_.is_error()) {
            error_ = error;
        }
        is_aborted_ = true;
        connection_->notify_stream();
        return;
    }
    if (error.is_error()) {
        error_ = error;
    }
    is_local_reply_ = true;
    local_reply_head_ = arena_.make<http::ResponseHead>(&arena_);
    http::ResponseHead* head = local_reply_head_.get();
    head->status = status;
    head->content_length = body.size();
    if (!body.empty()) {
        head->headers.add_unowned("Content-Type", content_type, http::HeaderId::ContentType);
    }
    if (error.is_error()) {
        head->headers.add_unowned("x-gantry-error", error.name(), http::HeaderId::Other);
    }
    if (error.kind == ProxyError::Kind::Overloaded) {
        head->headers.add_unowned("x-gantry-overloaded", "true", http::HeaderId::Other);
    }
    if (status >= 400 && !is_request_complete_) {
        connection_->set_keep_alive(false);  // the rest of the request body is not read
    }
    encode_response_head(*head, body.empty());
    if (!body.empty()) {
        encode_response_body(body, true);
    }
}

void Stream::encode_response_head(http::ResponseHead& head, bool end_stream) {
    if (head.status < 200 && head.status != 101) {
        connection_->write_response_head(head, request_method_, false);  // interim: no filters
        return;
    }
    is_response_started_ = true;
    response_status_ = head.status;
    for (size_t i = filter_count_; i-- > 0;) {
        filters_[i]->on_response_head(head, end_stream);
    }
    connection_->write_response_head(head, request_method_, end_stream);
    if (end_stream) {
        mark_response_complete();
    }
}

void Stream::encode_response_body(std::string_view data, bool end_stream) {
    for (size_t i = filter_count_; i-- > 0;) {
        filters_[i]->on_response_body(data, end_stream);
    }
    body_bytes_sent_ += data.size();
    connection_->write_response_body(data, end_stream);
    if (end_stream) {
        mark_response_complete();
    }
}

void Stream::encode_response_trailers(http::HeaderMap& trailers) {
    for (size_t i = filter_count_; i-- > 0;) {
        filters_[i]->on_response_trailers(trailers);
    }
    connection_->write_response_trailers(trailers);
    mark_response_complete();
}

void Stream::mark_response_complete() {
    is_response_complete_ = true;
    connection_->notify_stream();
}

void Stream::pause_request_body() {
    is_request_body_paused_ = true;
}

void Stream::resume_request_body() {
    is_request_body_paused_ = false;
    connection_->notify_stream();
}

std::string_view Stream::scheme() const {
    return connection_->scheme();
}

std::string_view Stream::downstream_address() const {
    return connection_->remote_ip();
}

void Stream::set_upstream_active(bool active) {
    is_upstream_active_ = active;
    if (!active) {
        connection_->notify_stream();
    }
}

void Stream::record_upstream(std::string_view address, int status,
                             std::optional<std::chrono::nanoseconds> time) {
    upstream_address_ = address;
    upstream_status_ = status;
    upstream_time_ = time;
}

}  // namespace gantry::proxy
