#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nghttp2/nghttp2.h>

#include <gantry/config.h>
#include <gantry/http2/server_connection.h>
#include <gantry/http2/server_stream.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/runtime/coarse_clock.h>
#include <gantry/runtime/log.h>

namespace gantry::http2 {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr Clock::time_point kNever = Clock::time_point::max();
constexpr auto kLingerTimeout = std::chrono::seconds(1);
constexpr size_t kLingerMaxBytes = 1024 * 1024;

ServerConnection& self_of(void* user_data) {
    return *static_cast<ServerConnection*>(user_data);
}

int on_begin_frame_cb(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
    return self_of(user_data).on_begin_frame(hd->type, hd->flags,
                                             static_cast<uint32_t>(hd->length));
}

int on_begin_headers_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }
    return self_of(user_data).on_begin_headers(frame->hd.stream_id,
                                               frame->headers.cat == NGHTTP2_HCAT_HEADERS);
}

int on_header_cb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                 size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                 void* user_data) {
    return self_of(user_data).on_header(
        frame->hd.stream_id, std::string_view(reinterpret_cast<const char*>(name), name_length),
        std::string_view(reinterpret_cast<const char*>(value), value_length));
}

int on_frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    uint32_t error_code = frame->hd.type == NGHTTP2_RST_STREAM ? frame->rst_stream.error_code : 0;
    return self_of(user_data).on_frame_recv(frame->hd.stream_id, frame->hd.type, frame->hd.flags,
                                            error_code);
}

int on_data_chunk_cb(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                     size_t length, void* user_data) {
    return self_of(user_data).on_data_chunk(
        stream_id, std::string_view(reinterpret_cast<const char*>(data), length));
}

int on_stream_close_cb(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
    return self_of(user_data).on_stream_close(stream_id, error_code);
}

int on_frame_send_cb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return self_of(user_data).on_frame_send(frame->hd.stream_id, frame->hd.type, frame->hd.flags);
}

// Made once per process and only read afterwards (nghttp2 copies them into each session).
struct SessionTemplate {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_option* option = nullptr;

    explicit SessionTemplate(const ServerSettings& settings) {
        nghttp2_session_callbacks_new(&callbacks);
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, on_begin_frame_cb);
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers_cb);
        nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header_cb);
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv_cb);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk_cb);
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close_cb);
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_send_cb);
        nghttp2_option_new(&option);
        // Window updates follow what the router takes, not what arrived (see ServerStream).
        nghttp2_option_set_no_auto_window_update(option, 1);
        nghttp2_option_set_max_deflate_dynamic_table_size(option, settings.max_deflate_table_size);
        nghttp2_option_set_max_outbound_ack(option, 1000);
        nghttp2_option_set_max_settings(option, 32);
        // nghttp2's own limits sit above the FloodGuard's, which says why it closes.
        nghttp2_option_set_max_continuations(option, 2 * settings.flood.max_continuations);
        nghttp2_option_set_stream_reset_rate_limit(option, 1000, 33);
        nghttp2_option_set_no_closed_streams(option, 1);
    }
};

const SessionTemplate& session_template() {
    static const SessionTemplate instance{ServerSettings{}};
    return instance;
}

}  // namespace

ServerConnection::ServerConnection(proxy::ProxyWorker& worker, std::string listener_name,
                                   net::Transport transport,
                                   std::unique_ptr<tls::ServerSession> tls,
                                   std::string_view already_read,
                                   const config::ListenerRuntime& listener, std::string remote_ip,
                                   uint16_t remote_port)
    : worker_(worker)
    , listener_name_(std::move(listener_name))
    , transport_(std::move(transport))
    , tls_(std::move(tls))
    , remote_ip_(std::move(remote_ip))
    , remote_port_(remote_port)
    , flood_(settings_.flood)
    , initial_input_(already_read)
    , output_drained_(worker.io_context())
    , streams_gone_(worker.io_context())
    , timer_(worker.io_context())
    , wake_reader_(worker.io_context()) {
    listener_ = &listener;
    listener_generation_ = worker_.current()->generation->number();
    const config::Limits& limits = listener.config->limits;
    request_limits_.max_header_bytes = limits.max_request_headers;
    request_limits_.max_headers = limits.max_headers;
    request_limits_.max_body = limits.max_request_body;
    deadline_ = runtime::coarse_steady_now() + limits.header_timeout;

    const SessionTemplate& tmpl = session_template();
    nghttp2_session_server_new2(&session_, tmpl.callbacks, this, tmpl.option);
    nghttp2_settings_entry entries[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.initial_window_size},
        {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, settings_.max_frame_size},
        {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, settings_.header_table_size},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         static_cast<uint32_t>(std::min<uint64_t>(limits.max_request_headers, UINT32_MAX))},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries,
                            sizeof entries / sizeof entries[0]);
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(settings_.connection_window_size));
}

ServerConnection::~ServerConnection() {
    nghttp2_session_del(session_);
    input_.consume(input_.size());
    worker_.buffers().release(input_);
    worker_.remove_connection(this);
}

void ServerConnection::start() {
    asio::co_spawn(
        worker_.io_context(),
        [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->run(); },
        asio::detached);
}

const config::ListenerRuntime* ServerConnection::listener() {
    const config::Generation& current = *worker_.current()->generation;
    if (current.number() != listener_generation_) {
        listener_generation_ = current.number();
        listener_ = current.find_listener(listener_name_);
    }
    return listener_;
}

asio::awaitable<void> ServerConnection::run() {
    auto self = shared_from_this();
    asio::co_spawn(
        worker_.io_context(), [self]() -> asio::awaitable<void> { co_await self->timer_loop(); },
        asio::detached);
    co_await read_loop();
    if (abuse_reason_ != nullptr && !is_closed_) {
        co_await linger();
    }
    close_transport();
    while (!streams_.empty()) {
        streams_gone_.reset();
        tick();
        if (streams_.empty()) {
            break;
        }
        co_await streams_gone_.wait();
    }
    timer_.cancel();
}

// --- Reading ---------------------------------------------------------------------------------

asio::awaitable<void> ServerConnection::read_loop() {
    if (!initial_input_.empty()) {
        bool ok = feed(initial_input_);
        std::string().swap(initial_input_);
        tick();
        if (!ok) {
            co_return;
        }
    }
    while (!is_closed_ && abuse_reason_ == nullptr) {
        if (throttle_until_ > Clock::now()) {
            // Over the stream-opening rate: stop reading for the rest of this second.
            asio::steady_timer pause(worker_.io_context(), throttle_until_);
            co_await pause.async_wait(kAwait);
            continue;
        }
        if (!nghttp2_session_want_read(session_) ||
            (is_writing_ && output_.size() - output_sent_ >= settings_.output_high_watermark)) {
            // Nothing more to read (GOAWAY both ways), or the client is not reading what we
            // send: reading on would only queue more answers (PING, SETTINGS acks, responses).
            wake_reader_.reset();
            output_drained_.reset();
            if (!is_writing_) {
                co_await wake_reader_.wait();
            } else {
                co_await output_drained_.wait();
            }
            continue;
        }
        boost::system::error_code ec = co_await wait_readable();
        if (ec || is_closed_) {
            co_return;
        }
        worker_.buffers().acquire(input_);
        size_t n = read_some(input_.write_pointer(), input_.writable_size(), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            continue;
        }
        if (ec || n == 0) {
            co_return;  // the client closed (or broke) the connection
        }
        input_.commit(n);
        bool ok = feed(input_.readable());
        input_.consume(input_.size());
        worker_.buffers().release(input_);
        tick();
        if (!ok) {
            co_return;
        }
    }
}

asio::awaitable<void> ServerConnection::linger() {
    // Closing on unread input makes the kernel reset the connection, and the client would
    // never see why. So: the GOAWAY out, our side shut, and what the client still sends read
    // and dropped, bounded in time (the timer closes) and in bytes.
    is_lingering_ = true;
    deadline_ = runtime::coarse_steady_now() + kLingerTimeout;
    timer_.expires_at(deadline_);
    send();
    while (is_writing_ && !is_closed_) {
        output_drained_.reset();
        co_await output_drained_.wait();
    }
    boost::system::error_code ec;
    transport_.shutdown_send(ec);
    size_t drained = 0;
    worker_.buffers().acquire(input_);
    while (!ec && !is_closed_ && drained < kLingerMaxBytes) {
        ec = co_await wait_readable();
        if (ec || is_closed_) {
            break;
        }
        size_t n = read_some(input_.write_pointer(), input_.writable_size(), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            ec = {};
            continue;
        }
        if (n == 0) {
            break;
        }
        drained += n;
    }
    worker_.buffers().release(input_);
}

bool ServerConnection::feed(std::string_view bytes) {
    in_session_ = true;
    ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                          bytes.size());
    in_session_ = false;
    if (abuse_reason_ != nullptr) {
        cut_off(abuse_reason_);
        return false;
    }
    if (rv < 0) {
        if (rv == NGHTTP2_ERR_FLOODED) {
            cut_off("control-frame-flood");
        } else if (rv != NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
            log::debug("http2: ", remote_ip_, ": ", nghttp2_strerror(static_cast<int>(rv)));
        }
        return false;
    }
    return true;
}

void ServerConnection::cut_off(const char* reason) {
    abuse_reason_ = reason;
    log::warn("http2: ", remote_ip_, ": closing an abusive connection (", reason, ")");
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
}

// --- Writing ---------------------------------------------------------------------------------

void ServerConnection::fill_output() {
    if (output_sent_ == output_.size()) {
        output_.clear();
        output_sent_ = 0;
    }
    bool was_in_session = in_session_;
    in_session_ = true;
    while (output_.size() - output_sent_ < settings_.output_high_watermark) {
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) {
            in_session_ = was_in_session;
            close_transport();
            return;
        }
        if (n == 0) {
            break;
        }
        if (output_.capacity() == 0) {
            worker_.strings().ensure(output_);
        }
        output_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    in_session_ = was_in_session;
    if (!marked_.empty()) {
        schedule_tick();  // streams closed while their last frames went out
    }
}

void ServerConnection::send() {
    if (is_closed_ || in_session_) {
        return;
    }
    if (!is_writing_) {
        fill_output();
        if (is_closed_) {
            return;
        }
        if (output_sent_ < output_.size()) {
            boost::system::error_code ec;
            size_t n = write_some(std::string_view(output_).substr(output_sent_), ec);
            if (ec) {
                close_transport();
                return;
            }
            output_sent_ += n;
            if (output_sent_ < output_.size()) {
                is_writing_ = true;
                last_write_progress_ = runtime::coarse_steady_now();
                asio::co_spawn(
                    worker_.io_context(),
                    [self = shared_from_this()]() -> asio::awaitable<void> {
                        co_await self->write_loop();
                    },
                    asio::detached);
                return;
            }
        }
        output_.clear();
        output_sent_ = 0;
        if (output_.capacity() != 0 && streams_.empty()) {
            worker_.strings().release(output_);
        }
    }
    // After a cut-off, linger() closes: closing here, on unread input, would reset the
    // connection and could destroy the GOAWAY before the client read it.
    if (!is_writing_ && !is_lingering_ && abuse_reason_ == nullptr &&
        !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
        close_transport();  // GOAWAY went out and no stream is left
    }
}

asio::awaitable<void> ServerConnection::write_loop() {
    while (!is_closed_ && output_sent_ < output_.size()) {
        update_deadline();
        boost::system::error_code ec = co_await wait_writable();
        if (ec || is_closed_) {
            break;
        }
        size_t n = write_some(std::string_view(output_).substr(output_sent_), ec);
        if (ec) {
            close_transport();
            break;
        }
        output_sent_ += n;
        last_write_progress_ = runtime::coarse_steady_now();
        if (output_sent_ == output_.size()) {
            fill_output();  // pull more frames only as fast as the socket takes them
        }
    }
    is_writing_ = false;
    output_drained_.set();
    for (auto& [id, stream] : streams_) {
        stream->on_connection_drained();
    }
    send();
    update_deadline();
}

bool ServerConnection::is_output_congested() const {
    return is_writing_ && output_.size() - output_sent_ >= settings_.output_high_watermark;
}

void ServerConnection::request_send() {
    schedule_tick();
}

void ServerConnection::mark_stream(ServerStream* stream) {
    if (!stream->is_marked()) {
        stream->set_marked(true);
        marked_.push_back(stream);
    }
    schedule_tick();
}

void ServerConnection::schedule_tick() {
    if (is_tick_posted_ || in_session_) {
        return;  // feed() runs a tick after nghttp2 returns
    }
    is_tick_posted_ = true;
    asio::post(worker_.io_context(), [self = shared_from_this()] { self->tick(); });
}

void ServerConnection::tick() {
    is_tick_posted_ = false;
    while (!marked_.empty()) {
        processing_.swap(marked_);
        for (ServerStream* stream : processing_) {
            stream->set_marked(false);
            if (stream->process() && !stream->is_marked()) {
                streams_.erase(stream->id());
            }
        }
        processing_.clear();
    }
    send();
    update_deadline();
    if (is_closed_ && streams_.empty()) {
        streams_gone_.set();
    }
}

// --- Deadlines -------------------------------------------------------------------------------

void ServerConnection::update_deadline() {
    const config::ListenerRuntime* current = listener();
    config::Limits limits = current ? current->config->limits : config::Limits{};
    Clock::time_point next = kNever;
    if (!has_received_preface_ || is_lingering_) {
        return;  // the header_timeout (or the linger time) set before stays
    }
    if (is_writing_) {
        next = last_write_progress_ + limits.idle_timeout;  // nginx's send_timeout
    } else if (streams_.empty()) {
        next = last_activity_ + limits.idle_timeout;
    }
    if (is_in_header_block_) {
        next = std::min(next, header_block_since_ + limits.header_timeout);
    }
    deadline_ = next;
    if (next < timer_.expiry()) {
        timer_.expires_at(next);  // wakes timer_loop, which re-arms for deadline_
    }
}

asio::awaitable<void> ServerConnection::timer_loop() {
    while (!is_closed_) {
        timer_.expires_at(deadline_);
        co_await timer_.async_wait(kAwait);
        if (is_closed_) {
            break;
        }
        if (Clock::now() < deadline_) {
            continue;
        }
        if (!has_received_preface_ || is_writing_ || is_lingering_ || is_in_header_block_) {
            // No preface in header_timeout, a client that stopped reading, or the end of a
            // lingering close.
            close_transport();
            break;
        }
        // Idle: say goodbye properly; send() closes once the GOAWAY is out.
        nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
        deadline_ = runtime::coarse_steady_now() + std::chrono::seconds(1);
        send();
    }
}

// --- Drain and close -------------------------------------------------------------------------

void ServerConnection::begin_drain() {
    if (is_closed_ || is_draining_) {
        return;
    }
    is_draining_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                          nullptr, 0);
    schedule_tick();
}

void ServerConnection::abort() {
    close_transport();
}

void ServerConnection::close_transport() {
    if (is_closed_) {
        return;
    }
    is_closed_ = true;
    boost::system::error_code ignored;
    transport_.close(ignored);
    timer_.cancel();
    wake_reader_.set();
    output_drained_.set();
    for (auto& [id, stream] : streams_) {
        stream->on_connection_closed();
        mark_stream(stream.get());
    }
}

// --- The transport seam ----------------------------------------------------------------------

size_t ServerConnection::read_some(char* destination, size_t space, boost::system::error_code& ec) {
    return transport_.read_some(asio::buffer(destination, space), ec);
}

size_t ServerConnection::write_some(std::string_view bytes, boost::system::error_code& ec) {
    // Over TLS, bytes not taken stay at output_[output_sent_] and are offered again first.
    return transport_.write_now(asio::buffer(bytes), ec);
}

asio::awaitable<boost::system::error_code> ServerConnection::wait_readable() {
    // Over TLS this returns at once while decrypted (or read-ahead) bytes wait in OpenSSL.
    auto [ec] = co_await transport_.async_wait_readable();
    if (!ec) {
        last_activity_ = runtime::coarse_steady_now();
    }
    co_return ec;
}

asio::awaitable<boost::system::error_code> ServerConnection::wait_writable() {
    auto [ec] = co_await transport_.async_wait_writable();
    co_return ec;
}

// --- nghttp2 callbacks -----------------------------------------------------------------------

int ServerConnection::on_begin_frame(uint8_t type, uint8_t flags, uint32_t length) {
    // A header block split over CONTINUATION frames must end within header_timeout (nothing
    // else may come in between, so one clock per connection is enough).
    if (type == NGHTTP2_HEADERS && (flags & NGHTTP2_FLAG_END_HEADERS) == 0) {
        is_in_header_block_ = true;
        header_block_since_ = runtime::coarse_steady_now();
    } else if (type == NGHTTP2_CONTINUATION && (flags & NGHTTP2_FLAG_END_HEADERS) != 0) {
        is_in_header_block_ = false;
    }
    if (const char* reason = flood_.on_frame(type, flags, length, runtime::coarse_steady_now())) {
        abuse_reason_ = reason;
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
}

int ServerConnection::on_begin_headers(int32_t stream_id, bool is_trailers) {
    if (is_trailers) {
        if (auto* stream = static_cast<ServerStream*>(
                nghttp2_session_get_stream_user_data(session_, stream_id))) {
            stream->begin_trailers();
        }
        return 0;
    }
    // Reset streams whose upstream work is still winding down count too: a client cannot get
    // more than twice the advertised concurrency of work out of gantry by resetting.
    if (is_draining_ ||
        streams_.size() >= 2 * static_cast<size_t>(settings_.max_concurrent_streams)) {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    if (flood_.on_stream_opened(runtime::coarse_steady_now())) {
        throttle_until_ = flood_.throttle_until();
    }
    auto stream = std::make_shared<ServerStream>(shared_from_this(), stream_id);
    if (!stream->begin(request_limits_)) {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    nghttp2_session_set_stream_user_data(session_, stream_id, stream.get());
    streams_.emplace(stream_id, std::move(stream));
    return 0;
}

int ServerConnection::on_header(int32_t stream_id, std::string_view name, std::string_view value) {
    if (auto* stream =
            static_cast<ServerStream*>(nghttp2_session_get_stream_user_data(session_, stream_id))) {
        stream->on_header(name, value);
    }
    return 0;
}

int ServerConnection::on_frame_recv(int32_t stream_id, uint8_t type, uint8_t flags,
                                    uint32_t error_code) {
    (void)error_code;
    if (type == NGHTTP2_SETTINGS) {
        if (!has_received_preface_) {
            has_received_preface_ = true;
            last_activity_ = runtime::coarse_steady_now();
        }
        return 0;
    }
    auto* stream =
        stream_id != 0
            ? static_cast<ServerStream*>(nghttp2_session_get_stream_user_data(session_, stream_id))
            : nullptr;
    if (type == NGHTTP2_RST_STREAM && (stream == nullptr || !stream->is_response_ended())) {
        // Premature: before its response ended (or a stream we had refused). Counted so that
        // opening and cancelling streams in a loop cannot keep gantry busy (CVE-2023-44487).
        if (const char* reason = flood_.on_premature_reset(runtime::coarse_steady_now())) {
            abuse_reason_ = reason;
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
    }
    if (stream == nullptr) {
        return 0;
    }
    bool end_stream = (flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (type) {
        case NGHTTP2_HEADERS:
            stream->on_headers_end(end_stream);
            if (end_stream) {
                stream->on_end_stream();
            }
            break;
        case NGHTTP2_DATA:
            if (end_stream) {
                stream->on_end_stream();
            }
            break;
        default:
            break;
    }
    return 0;
}

int ServerConnection::on_data_chunk(int32_t stream_id, std::string_view data) {
    auto* stream =
        static_cast<ServerStream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
    if (stream == nullptr) {
        nghttp2_session_consume(session_, stream_id, data.size());
        return 0;
    }
    stream->on_data(data);
    return 0;
}

int ServerConnection::on_stream_close(int32_t stream_id, uint32_t error_code) {
    auto it = streams_.find(stream_id);
    if (it != streams_.end()) {
        it->second->on_closed(error_code);
        mark_stream(it->second.get());
    }
    return 0;
}

int ServerConnection::on_frame_send(int32_t stream_id, uint8_t type, uint8_t flags) {
    if (type == NGHTTP2_DATA) {
        flood_.on_data_frame_sent();
    }
    if ((type == NGHTTP2_DATA || type == NGHTTP2_HEADERS) &&
        (flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        auto* stream =
            static_cast<ServerStream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
        if (stream != nullptr && !stream->is_request_ended()) {
            // Answered before the request ended (a local reply, an early upstream answer): tell
            // the client to stop sending rather than reading a body nobody wants.
            nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR);
        }
    }
    return 0;
}

}  // namespace gantry::http2
