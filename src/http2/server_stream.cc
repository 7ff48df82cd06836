#include <charconv>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <nghttp2/nghttp2.h>

#include <gantry/http2/request_head_builder.h>
#include <gantry/http2/server_connection.h>
#include <gantry/http2/server_stream.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/stream.h>
#include <gantry/proxy/upstream_request.h>

namespace gantry::http2 {

namespace asio = boost::asio;

namespace {

ssize_t read_body_cb(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                     uint32_t* data_flags, nghttp2_data_source* source, void*) {
    return static_cast<ServerStream*>(source->ptr)->read_body(buffer, length, data_flags);
}

nghttp2_nv make_nv(std::string_view name, std::string_view value,
                   uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
    return nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                      const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                      name.size(), value.size(), flags};
}

// A name with static storage (a literal, a well-known header's canonical spelling): nghttp2 need
// not copy it.
nghttp2_nv make_static_name_nv(std::string_view name, std::string_view value) {
    return make_nv(name, value, NGHTTP2_NV_FLAG_NO_COPY_NAME);
}

// The HTTP/2 spelling of a response field's name: a well-known header's static lower-case name
// (no copy, no case folding), else a lower-cased copy in the stream's arena.
nghttp2_nv response_field_nv(const http::HeaderField& field, std::pmr::memory_resource* arena) {
    if (field.id != http::HeaderId::Other) {
        return make_static_name_nv(http::header_name(field.id), field.value);
    }
    return make_nv(lower_case_name(field.name, arena), field.value);
}

// Scratch space for the name/value list of one HEADERS frame; nghttp2 copies it on submit.
std::vector<nghttp2_nv>& scratch_fields() {
    thread_local std::vector<nghttp2_nv> fields;
    fields.clear();
    return fields;
}

}  // namespace

ServerStream::ServerStream(std::shared_ptr<ServerConnection> connection, int32_t id)
    : proxy::Downstream(connection->worker(), connection->listener_name())
    , connection_(std::move(connection))
    , id_(id)
    , drained_(connection_->worker().io_context()) {
    remote_ip_ = connection_->remote_ip();
    remote_port_ = connection_->remote_port();
    is_tls_ = connection_->is_tls();
    tls_info_ = connection_->tls_info();
}

ServerStream::~ServerStream() {
    if (stream_) {
        finish_proxy_stream();
    }
    worker_.strings().release(body_);
}

bool ServerStream::begin(const RequestLimits& limits) {
    const config::ListenerRuntime* listener = connection_->listener();
    if (listener == nullptr) {
        return false;
    }
    limits_ = limits;
    stream_ = worker_.take_stream();
    stream_->begin(*this, listener);
    std::pmr::memory_resource* arena = stream_->arena();
    void* memory = arena->allocate(sizeof(http::RequestHead), alignof(http::RequestHead));
    head_ = new (memory) http::RequestHead(arena);
    builder_.reset(head_, limits_);
    return true;
}

void ServerStream::begin_trailers() {
    if (!stream_ || !is_head_delivered_) {
        return;
    }
    std::pmr::memory_resource* arena = stream_->arena();
    void* memory = arena->allocate(sizeof(http::HeaderMap), alignof(http::HeaderMap));
    trailers_ = new (memory) http::HeaderMap(arena);
    builder_.reset_trailers(trailers_, limits_);
    in_trailers_ = true;
}

void ServerStream::on_header(std::string_view name, std::string_view value) {
    if (stream_ && (!is_head_delivered_ || in_trailers_)) {
        builder_.add(name, value);
    }
}

void ServerStream::on_headers_end(bool end_stream) {
    if (!stream_) {
        return;
    }
    if (in_trailers_) {
        in_trailers_ = false;
        if (builder_.finish_trailers().is_error()) {
            stream_->on_downstream_error(ProxyError::downstream(ProxyError::Phase::RequestBody,
                                                                ProxyError::Kind::BadRequest));
        } else {
            stream_->on_request_trailers(*trailers_);
        }
        return;
    }
    if (is_head_delivered_) {
        return;
    }
    HeadError error = builder_.finish(end_stream);
    if (error.is_error()) {
        reject_request(error);
        return;
    }
    is_head_delivered_ = true;
    stream_->on_request_head(*head_);
    connection_->mark_stream(this);  // runs a deferred upstream request on the next tick
}

void ServerStream::reject_request(HeadError error) {
    ProxyError proxy_error =
        ProxyError::downstream(ProxyError::Phase::RequestHead, kind_for_status(error.status));
    stream_->send_local_reply(error.status, proxy_error, error.reason, "text/plain");
}

void ServerStream::on_data(std::string_view data) {
    nghttp2_session* session = connection_->session();
    nghttp2_session_consume_connection(session, data.size());
    if (!stream_ || !is_head_delivered_ || stream_->is_done()) {
        nghttp2_session_consume_stream(session, id_, data.size());
        return;
    }
    body_received_ += data.size();
    stream_->add_request_bytes(data.size());
    if (head_->content_length && body_received_ > *head_->content_length) {
        // nghttp2 checks this too; the upstream must never see more than it was promised.
        nghttp2_session_consume_stream(session, id_, data.size());
        stream_->on_downstream_error(
            ProxyError::downstream(ProxyError::Phase::RequestBody, ProxyError::Kind::BadRequest));
        return;
    }
    if (limits_.max_body != 0 && body_received_ > limits_.max_body) {
        nghttp2_session_consume_stream(session, id_, data.size());
        stream_->on_downstream_error(
            ProxyError::downstream(ProxyError::Phase::RequestBody, ProxyError::Kind::BodyTooLarge));
        return;
    }
    stream_->on_request_body(data, false);
    if (stream_ && stream_->is_request_body_paused()) {
        // The router holds enough: the client's window is given back once it takes more.
        unconsumed_ += data.size();
    } else {
        nghttp2_session_consume_stream(session, id_, data.size());
    }
}

void ServerStream::on_end_stream() {
    is_request_ended_ = true;
    if (!stream_ || !is_head_delivered_) {
        return;
    }
    if (head_->content_length && body_received_ != *head_->content_length) {
        stream_->on_downstream_error(
            ProxyError::downstream(ProxyError::Phase::RequestBody, ProxyError::Kind::BadRequest));
        return;
    }
    stream_->on_request_body({}, true);
}

void ServerStream::on_closed(uint32_t error_code) {
    (void)error_code;
    is_closed_ = true;
    drained_.set();
    if (stream_ && !stream_->is_done() && !stream_->is_response_complete()) {
        stream_->on_downstream_error(ProxyError::downstream(
            is_request_ended_ ? ProxyError::Phase::ResponseBody : ProxyError::Phase::RequestBody,
            ProxyError::Kind::DownstreamReset));
    }
}

void ServerStream::on_connection_closed() {
    if (!is_closed_) {
        on_closed(NGHTTP2_INTERNAL_ERROR);
    }
}

bool ServerStream::process() {
    if (stream_) {
        if (proxy::UpstreamRequest* upstream = stream_->take_deferred_upstream()) {
            asio::co_spawn(worker_.io_context(), upstream->run_holding(shared_from_this()),
                           asio::detached);
        }
        if (unconsumed_ > 0 && !stream_->is_request_body_paused() && !is_closed_ &&
            !connection_->is_closed()) {
            nghttp2_session_consume_stream(connection_->session(), id_, unconsumed_);
            unconsumed_ = 0;
            connection_->request_send();
        }
        if (stream_->is_aborted() && !is_response_ended_ && !is_closed_) {
            // The response cannot be completed: a reset, so that the client never takes a
            // truncated body for a whole one.
            reset(NGHTTP2_INTERNAL_ERROR);
        }
        if (stream_->is_done()) {
            finish_proxy_stream();
        }
    }
    return !stream_ && is_closed_;
}

void ServerStream::finish_proxy_stream() {
    if (!is_head_delivered_ && !stream_->is_response_started()) {
        stream_->abandon();  // the client went away in the middle of a header block
    } else {
        stream_->finish();
    }
    worker_.give_stream(std::move(stream_));
    if (!is_response_ended_ && !is_closed_) {
        reset(NGHTTP2_INTERNAL_ERROR);
    }
}

void ServerStream::reset(uint32_t error_code) {
    if (is_reset_sent_ || is_closed_ || connection_->is_closed()) {
        return;
    }
    is_reset_sent_ = true;
    nghttp2_submit_rst_stream(connection_->session(), NGHTTP2_FLAG_NONE, id_, error_code);
    connection_->request_send();
}

// --- Response path ---------------------------------------------------------------------------

http::BodyFraming ServerStream::write_response_head(http::ResponseHead& head,
                                                    std::string_view request_method,
                                                    bool end_stream) {
    if (is_closed_ || connection_->is_closed() || is_response_submitted_ || !stream_) {
        return http::BodyFraming::None;
    }
    int status = head.status;
    if (status == 101 || status < 100 || status > 999) {
        return http::BodyFraming::None;  // no protocol switch over HTTP/2
    }
    std::pmr::memory_resource* arena = stream_->arena();
    auto* status_text = static_cast<char*>(arena->allocate(3, 1));
    std::to_chars(status_text, status_text + 3, status);
    std::vector<nghttp2_nv>& fields = scratch_fields();
    fields.push_back(make_static_name_nv(":status", std::string_view(status_text, 3)));
    for (const http::HeaderField& field : head.headers) {
        if (!is_http1_connection_field(field.id)) {
            fields.push_back(response_field_nv(field, arena));
        }
    }
    nghttp2_session* session = connection_->session();
    if (status < 200) {
        nghttp2_submit_headers(session, NGHTTP2_FLAG_NONE, id_, nullptr, fields.data(),
                               fields.size(), nullptr);
        connection_->request_send();
        return http::BodyFraming::None;
    }
    bool no_body = http::response_has_no_body(status, request_method);
    if (head.content_length && status != 204 && status != 304) {
        auto* length_text = static_cast<char*>(arena->allocate(20, 1));
        auto result = std::to_chars(length_text, length_text + 20, *head.content_length);
        fields.push_back(make_static_name_nv(
            "content-length", std::string_view(length_text, result.ptr - length_text)));
    }
    is_response_submitted_ = true;
    is_body_allowed_ = !no_body;
    if (end_stream || no_body) {
        is_response_ended_ = true;
        nghttp2_submit_response(session, id_, fields.data(), fields.size(), nullptr);
    } else {
        worker_.strings().ensure(body_);
        nghttp2_data_provider provider;
        provider.source.ptr = this;
        provider.read_callback = read_body_cb;
        nghttp2_submit_response(session, id_, fields.data(), fields.size(), &provider);
    }
    connection_->request_send();
    if (no_body) {
        return http::BodyFraming::None;
    }
    return head.content_length ? http::BodyFraming::ContentLength : http::BodyFraming::Chunked;
}

void ServerStream::write_response_body(std::string_view data, bool end_stream) {
    if (!is_body_allowed_ || is_response_ended_ || is_closed_ || connection_->is_closed()) {
        is_response_ended_ = is_response_ended_ || end_stream;
        return;
    }
    body_.append(data);
    is_response_ended_ = end_stream;
    if (is_deferred_ && (!data.empty() || end_stream)) {
        is_deferred_ = false;
        nghttp2_session_resume_data(connection_->session(), id_);
    }
    connection_->request_send();
}

void ServerStream::write_response_trailers(const http::HeaderMap& trailers) {
    if (!is_body_allowed_ || is_response_ended_ || is_closed_ || connection_->is_closed()) {
        is_response_ended_ = true;
        return;
    }
    std::pmr::memory_resource* arena = stream_ ? stream_->arena() : nullptr;
    for (const http::HeaderField& field : trailers) {
        if (is_http1_connection_field(field.id)) {
            continue;
        }
        trailer_fields_.emplace_back(arena ? lower_case_name(field.name, arena) : field.name);
        trailer_fields_.emplace_back(field.value);
    }
    has_trailers_ = !trailer_fields_.empty();
    is_response_ended_ = true;
    if (is_deferred_) {
        is_deferred_ = false;
        nghttp2_session_resume_data(connection_->session(), id_);
    }
    connection_->request_send();
}

void ServerStream::submit_trailers() {
    std::vector<nghttp2_nv>& fields = scratch_fields();
    for (size_t i = 0; i + 1 < trailer_fields_.size(); i += 2) {
        fields.push_back(make_nv(trailer_fields_[i], trailer_fields_[i + 1]));
    }
    nghttp2_submit_trailer(connection_->session(), id_, fields.data(), fields.size());
    std::vector<std::string>().swap(trailer_fields_);
}

ssize_t ServerStream::read_body(uint8_t* buffer, size_t length, uint32_t* data_flags) {
    size_t pending = body_.size() - body_sent_;
    size_t n = std::min(length, pending);
    if (n > 0) {
        std::memcpy(buffer, body_.data() + body_sent_, n);
        body_sent_ += n;
        pending -= n;
        if (pending == 0) {
            body_.clear();
            body_sent_ = 0;
        }
    }
    if (pending <= connection_->settings().stream_output_high_watermark / 2) {
        drained_.set();
    }
    if (pending == 0 && is_response_ended_) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        if (has_trailers_) {
            *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            submit_trailers();
        }
        return static_cast<ssize_t>(n);
    }
    if (n == 0) {
        is_deferred_ = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
}

void ServerStream::write_continue() {
    if (is_closed_ || connection_->is_closed() || is_response_submitted_) {
        return;
    }
    std::vector<nghttp2_nv>& fields = scratch_fields();
    fields.push_back(make_nv(":status", "100"));
    nghttp2_submit_headers(connection_->session(), NGHTTP2_FLAG_NONE, id_, nullptr, fields.data(),
                           fields.size(), nullptr);
    connection_->request_send();
}

void ServerStream::flush_output() {
    connection_->request_send();
}

bool ServerStream::is_output_congested() const {
    return body_.size() - body_sent_ > connection_->settings().stream_output_high_watermark ||
           connection_->is_output_congested();
}

asio::awaitable<void> ServerStream::wait_output_drained() {
    auto self = shared_from_this();
    size_t low = connection_->settings().stream_output_high_watermark / 2;
    while (!is_broken() &&
           (body_.size() - body_sent_ > low || connection_->is_output_congested())) {
        drained_.reset();
        co_await drained_.wait();
    }
}

bool ServerStream::is_broken() const {
    return is_closed_ || connection_->is_closed();
}

void ServerStream::notify_stream() {
    connection_->mark_stream(this);
}

asio::awaitable<std::tuple<boost::system::error_code, size_t>> ServerStream::tunnel_read_some(
    asio::mutable_buffer) {
    co_return std::tuple<boost::system::error_code, size_t>{asio::error::operation_not_supported,
                                                            0};
}

}  // namespace gantry::http2
