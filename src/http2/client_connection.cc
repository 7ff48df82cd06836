#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gantry/http2/client_connection.h>
#include <gantry/runtime/log.h>

namespace gantry::http2 {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadSize = 16 * 1024;
constexpr size_t kOutputHighWatermark = 256 * 1024;
constexpr int32_t kStreamWindow = 256 * 1024;
constexpr int32_t kConnectionWindow = 16 * 1024 * 1024;

ClientConnection& self_of(void* user_data) {
    return *static_cast<ClientConnection*>(user_data);
}

struct ClientTemplate {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_option* option = nullptr;

    ClientTemplate() {
        nghttp2_session_callbacks_new(&callbacks);
        nghttp2_session_callbacks_set_on_header_callback(
            callbacks,
            [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
               size_t name_length, const uint8_t* value, size_t value_length, uint8_t, void* user) {
                return self_of(user).on_header(
                    frame->hd.stream_id,
                    std::string_view(reinterpret_cast<const char*>(name), name_length),
                    std::string_view(reinterpret_cast<const char*>(value), value_length));
            });
        nghttp2_session_callbacks_set_on_frame_recv_callback(
            callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
                int32_t last = frame->hd.type == NGHTTP2_GOAWAY ? frame->goaway.last_stream_id : 0;
                return self_of(user).on_frame_recv(frame->hd.stream_id, frame->hd.type,
                                                   frame->hd.flags, last);
            });
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
            callbacks, [](nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                          size_t length, void* user) {
                return self_of(user).on_data_chunk(
                    stream_id, std::string_view(reinterpret_cast<const char*>(data), length));
            });
        nghttp2_session_callbacks_set_on_stream_close_callback(
            callbacks, [](nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
                return self_of(user).on_stream_close(stream_id, error_code);
            });
        nghttp2_option_new(&option);
        nghttp2_option_set_no_auto_window_update(option, 1);
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096);
        nghttp2_option_set_no_closed_streams(option, 1);
        nghttp2_option_set_peer_max_concurrent_streams(option, 100);
    }
};

const ClientTemplate& client_template() {
    static const ClientTemplate instance;
    return instance;
}

long read_body_cb(nghttp2_session*, int32_t stream_id, uint8_t* buffer, size_t length,
                  uint32_t* data_flags, nghttp2_data_source*, void* user) {
    return self_of(user).read_body(stream_id, buffer, length, data_flags);
}

}  // namespace

ClientConnection::ClientConnection(asio::io_context& io_context, tcp::endpoint endpoint,
                                   std::chrono::milliseconds idle_timeout,
                                   const tls::ClientContext* tls, std::string host,
                                   std::shared_ptr<tls::SessionSlot> session)
    : io_context_(io_context)
    , endpoint_(std::move(endpoint))
    , idle_timeout_(idle_timeout)
    , tls_(tls)
    , host_(std::move(host))
    , session_slot_(std::move(session))
    , transport_(tcp::socket(io_context))
    , idle_timer_(io_context) {
    const ClientTemplate& tmpl = client_template();
    nghttp2_session_client_new2(&session_, tmpl.callbacks, this, tmpl.option);
}

ClientConnection::~ClientConnection() {
    nghttp2_session_del(session_);
}

asio::awaitable<boost::system::error_code> ClientConnection::connect(
    std::chrono::milliseconds timeout) {
    // The request's connect deadline closes nothing of ours, so the TCP connect and the TLS
    // handshake are bounded here (an endpoint that accepts and never answers the handshake);
    // without a connect timeout, a handshake still ends after the pool's idle timeout.
    if (timeout.count() <= 0 && tls_ != nullptr) {
        timeout = idle_timeout_;
    }
    if (timeout.count() > 0) {
        idle_timer_.expires_after(timeout);
        idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code timer_ec) {
            auto self = weak.lock();
            if (!timer_ec && self && !self->is_connected_) {
                boost::system::error_code cancel_ignored;
                self->transport_.cancel(cancel_ignored);
            }
        });
    }
    boost::system::error_code ec = co_await connect_and_handshake();
    idle_timer_.cancel();
    tls_ = nullptr;  // the cluster (and its context) may go with a reload from here on
    if (ec || is_closed_) {
        is_closed_ = true;
        boost::system::error_code ignored;
        transport_.close(ignored);
        co_return ec ? ec : asio::error::operation_aborted;
    }
    nghttp2_settings_entry entries[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 64 * 1024},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries,
                            sizeof entries / sizeof entries[0]);
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    is_connected_ = true;
    asio::co_spawn(
        io_context_,
        [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->read_loop(); },
        asio::detached);
    send();
    co_return boost::system::error_code{};
}

asio::awaitable<boost::system::error_code> ClientConnection::connect_and_handshake() {
    auto [ec] = co_await transport_.socket().async_connect(endpoint_, kAwait);
    if (ec || is_closed_) {
        co_return ec ? ec : asio::error::operation_aborted;
    }
    boost::system::error_code ignored;
    transport_.socket().set_option(tcp::no_delay(true), ignored);
    transport_.socket().non_blocking(true, ignored);
    if (tls_ != nullptr) {
        co_return co_await handshake();
    }
    co_return boost::system::error_code{};
}

asio::awaitable<boost::system::error_code> ClientConnection::handshake() {
    SSL* ssl = tls_->new_ssl(host_, session_slot_);
    if (ssl == nullptr) {
        co_return asio::error::no_memory;
    }
    // The context offers http/1.1; this connection offers only h2.
    static constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
    SSL_set_alpn_protos(ssl, kAlpnH2, sizeof kAlpnH2);
    transport_.attach_tls(ssl);
    boost::system::error_code ec = co_await transport_.async_handshake();
    if (ec) {
        if (!is_closed_) {
            long verify = SSL_get_verify_result(ssl);
            log::warn("upstream h2 TLS to ", endpoint_.address().to_string(), ":", endpoint_.port(),
                      " failed: ",
                      verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ec.message());
        }
        co_return ec;
    }
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
    if (std::string_view(reinterpret_cast<const char*>(alpn), alpn_length) != "h2") {
        log::warn("upstream h2 TLS to ", endpoint_.address().to_string(), ":", endpoint_.port(),
                  ": the endpoint did not choose h2 by ALPN");
        co_return asio::error::no_protocol_option;
    }
    co_return boost::system::error_code{};
}

bool ClientConnection::can_open_stream() const {
    if (!is_open() || is_going_away_) {
        return false;
    }
    uint32_t limit =
        nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    return sinks_.size() < limit && nghttp2_session_get_next_stream_id(session_) < (1u << 30);
}

int32_t ClientConnection::submit_request(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields, bool has_body,
    ClientStreamSink* sink) {
    std::vector<nghttp2_nv> nva;
    nva.reserve(fields.size());
    for (const auto& [name, value] : fields) {
        nva.push_back({const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                       const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                       name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider{};
    provider.read_callback = read_body_cb;
    int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                        has_body ? &provider : nullptr, nullptr);
    if (id > 0) {
        sinks_[id] = sink;
        idle_timer_.cancel();
        schedule_send();
    }
    return id;
}

void ClientConnection::resume_body(int32_t stream_id) {
    if (is_open()) {
        nghttp2_session_resume_data(session_, stream_id);
        schedule_send();
    }
}

void ClientConnection::consume(int32_t stream_id, size_t bytes) {
    if (is_open()) {
        nghttp2_session_consume(session_, stream_id, bytes);
        schedule_send();
    }
}

void ClientConnection::reset_stream(int32_t stream_id, uint32_t error_code) {
    if (is_open()) {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, error_code);
        schedule_send();
    }
}

void ClientConnection::submit_trailers(
    int32_t stream_id, const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : fields) {
        nva.push_back({const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                       const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                       name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_submit_trailer(session_, stream_id, nva.data(), nva.size());
}

void ClientConnection::detach(int32_t stream_id) {
    sinks_.erase(stream_id);
    if (sinks_.empty() && is_open()) {
        // Idle: closed after the cluster's pool idle_timeout unless a request comes first.
        idle_timer_.expires_after(idle_timeout_);
        idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!ec && self && self->sinks_.empty()) {
                self->close();
            }
        });
    }
}

void ClientConnection::close() {
    if (is_closed_) {
        return;
    }
    is_closed_ = true;
    boost::system::error_code ignored;
    transport_.close(ignored);
    idle_timer_.cancel();
    auto sinks = std::move(sinks_);
    sinks_.clear();
    for (auto& [id, sink] : sinks) {
        sink->on_stream_closed(NGHTTP2_INTERNAL_ERROR, false, true);
    }
}

ClientStreamSink* ClientConnection::sink(int32_t stream_id) {
    auto it = sinks_.find(stream_id);
    return it == sinks_.end() ? nullptr : it->second;
}

asio::awaitable<void> ClientConnection::read_loop() {
    auto self = shared_from_this();
    input_.resize(kReadSize);
    while (!is_closed_) {
        auto [ec, n] = co_await transport_.async_read_some(asio::buffer(input_));
        if (ec || is_closed_) {
            break;
        }
        in_session_ = true;
        auto rv =
            nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(input_.data()), n);
        in_session_ = false;
        if (rv < 0) {
            break;
        }
        send();
        if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
            break;
        }
    }
    close();
}

void ClientConnection::schedule_send() {
    if (is_send_posted_ || in_session_) {
        return;
    }
    is_send_posted_ = true;
    asio::post(io_context_, [self = shared_from_this()] {
        self->is_send_posted_ = false;
        self->send();
    });
}

void ClientConnection::send() {
    if (!is_open() || is_writing_) {
        return;
    }
    if (output_sent_ == output_.size()) {
        output_.clear();
        output_sent_ = 0;
    }
    in_session_ = true;
    while (output_.size() - output_sent_ < kOutputHighWatermark) {
        const uint8_t* data = nullptr;
        auto n = nghttp2_session_mem_send(session_, &data);
        if (n <= 0) {
            break;
        }
        output_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    in_session_ = false;
    if (output_sent_ == output_.size()) {
        return;
    }
    boost::system::error_code ec;
    // Over TLS, bytes not taken stay at output_[output_sent_] and are offered again first.
    output_sent_ += transport_.write_now(
        asio::buffer(output_.data() + output_sent_, output_.size() - output_sent_), ec);
    if (ec) {
        close();
        return;
    }
    if (output_sent_ < output_.size()) {
        is_writing_ = true;
        asio::co_spawn(
            io_context_,
            [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->write_loop(); },
            asio::detached);
    }
}

asio::awaitable<void> ClientConnection::write_loop() {
    while (!is_closed_ && output_sent_ < output_.size()) {
        auto [ec, n] = co_await transport_.async_write(
            asio::buffer(output_.data() + output_sent_, output_.size() - output_sent_));
        if (ec) {
            close();
            break;
        }
        output_sent_ += n;
    }
    is_writing_ = false;
    send();
}

int ClientConnection::on_header(int32_t stream_id, std::string_view name, std::string_view value) {
    if (ClientStreamSink* s = sink(stream_id)) {
        s->on_response_field(name, value);
    }
    return 0;
}

int ClientConnection::on_frame_recv(int32_t stream_id, uint8_t type, uint8_t flags,
                                    int32_t last_stream_id) {
    if (type == NGHTTP2_GOAWAY) {
        // No new streams here; nghttp2 closes those above last_stream_id as REFUSED_STREAM.
        is_going_away_ = true;
        goaway_last_stream_id_ = last_stream_id;
        return 0;
    }
    ClientStreamSink* s = sink(stream_id);
    if (s == nullptr) {
        return 0;
    }
    bool end_stream = (flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (type == NGHTTP2_HEADERS) {
        s->on_response_headers_end(end_stream);
    }
    if (end_stream && (type == NGHTTP2_HEADERS || type == NGHTTP2_DATA)) {
        s->on_response_end();
    }
    return 0;
}

int ClientConnection::on_data_chunk(int32_t stream_id, std::string_view data) {
    if (ClientStreamSink* s = sink(stream_id)) {
        s->on_response_data(data);  // consumed (window given back) as the sink passes it on
    } else {
        nghttp2_session_consume(session_, stream_id, data.size());
    }
    return 0;
}

int ClientConnection::on_stream_close(int32_t stream_id, uint32_t error_code) {
    ClientStreamSink* s = sink(stream_id);
    sinks_.erase(stream_id);
    if (s != nullptr) {
        bool refused = error_code == NGHTTP2_REFUSED_STREAM ||
                       (is_going_away_ && stream_id > goaway_last_stream_id_);
        s->on_stream_closed(error_code, refused, false);
    }
    return 0;
}

long ClientConnection::read_body(int32_t stream_id, uint8_t* buffer, size_t length,
                                 uint32_t* data_flags) {
    if (ClientStreamSink* s = sink(stream_id)) {
        return s->read_request_body(buffer, length, data_flags);
    }
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
}

}  // namespace gantry::http2
