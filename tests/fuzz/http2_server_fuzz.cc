// Fuzzes gantry's HTTP/2 request side the way ServerConnection drives it: client bytes go
// through an nghttp2 server session configured like gantry's, each header block into a
// RequestHeadBuilder and each frame header into a FloodGuard; finished requests are answered so
// that the send path (HEADERS, DATA through a data source, trailers, RST_STREAM) runs as well.
// Invariants beyond "no crash": an accepted head has a method, a target starting with '/' (or
// "*"), an authority and a Host field, and no field name or value that could break HTTP/1.1
// framing (upper case, ':' or control bytes in names; CR, LF or NUL in values); no
// connection-specific field survives. The first input byte chooses limits and a split point.

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>

#include <nghttp2/nghttp2.h>

#include <gantry/http2/flood_guard.h>
#include <gantry/http2/request_head_builder.h>

namespace {

using gantry::http2::FloodGuard;
using gantry::http2::HeadError;
using gantry::http2::RequestHeadBuilder;
using gantry::http2::RequestLimits;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

struct Request {
    std::pmr::monotonic_buffer_resource arena;
    gantry::http::RequestHead head{&arena};
    gantry::http::HeaderMap trailers{&arena};
    RequestHeadBuilder builder;
    bool head_done = false;
    bool answered = false;
    size_t body_left = 0;
};

struct Harness {
    nghttp2_session* session = nullptr;
    RequestLimits limits;
    FloodGuard guard;
    std::map<int32_t, std::unique_ptr<Request>> requests;
    FloodGuard::Clock::time_point now{};

    void check_head(const gantry::http::RequestHead& head) {
        check(!head.method.empty());
        check(!head.target.empty() && (head.target.front() == '/' || head.target == "*"));
        check(!head.authority.empty());
        check(head.headers.get(gantry::http::HeaderId::Host) != nullptr);
        for (const auto& field : head.headers) {
            check(!field.name.empty());
            for (char c : field.name) {
                check(c > 0x20 && c < 0x7f && c != ':' && !(c >= 'A' && c <= 'Z'));
            }
            for (char c : field.value) {
                check(c != '\r' && c != '\n' && c != '\0');
            }
            check(!gantry::http2::is_connection_specific(field.name, field.value) ||
                  field.name == "te");
            check(field.name != "transfer-encoding" && field.name != "connection");
        }
    }

    void answer(int32_t id, Request& request) {
        if (request.answered) {
            return;
        }
        request.answered = true;
        nghttp2_nv fields[] = {{(uint8_t*)":status", (uint8_t*)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
                               {(uint8_t*)"x-echo", (uint8_t*)request.head.path.data(), 6,
                                request.head.path.size(), NGHTTP2_NV_FLAG_NONE}};
        request.body_left = request.head.target.size() * 100;
        nghttp2_data_provider provider;
        provider.source.ptr = &request;
        provider.read_callback = [](nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                                    size_t length, uint32_t* flags, nghttp2_data_source* source,
                                    void*) -> ssize_t {
            auto* r = static_cast<Request*>(source->ptr);
            size_t n = std::min(length, r->body_left);
            std::fill(buf, buf + n, 'x');
            r->body_left -= n;
            if (r->body_left == 0) {
                *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
                nghttp2_nv trailer = {(uint8_t*)"grpc-status", (uint8_t*)"0", 11, 1,
                                      NGHTTP2_NV_FLAG_NONE};
                nghttp2_submit_trailer(session, stream_id, &trailer, 1);
            }
            return static_cast<ssize_t>(n);
        };
        nghttp2_submit_response(session, id, fields, 2, &provider);
    }
};

Harness& harness(void* user_data) {
    return *static_cast<Harness*>(user_data);
}

Request* find(Harness& h, int32_t id) {
    auto it = h.requests.find(id);
    return it == h.requests.end() ? nullptr : it->second.get();
}

nghttp2_session_callbacks* make_callbacks() {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_frame_callback(
        cb, [](nghttp2_session*, const nghttp2_frame_hd* hd, void* user) {
            Harness& h = harness(user);
            h.now += std::chrono::milliseconds(1);
            return h.guard.on_frame(hd->type, hd->flags, static_cast<uint32_t>(hd->length),
                                    h.now) == nullptr
                       ? 0
                       : NGHTTP2_ERR_CALLBACK_FAILURE;
        });
    nghttp2_session_callbacks_set_on_begin_headers_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
            Harness& h = harness(user);
            int32_t id = frame->hd.stream_id;
            if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
                if (h.requests.size() > 64) {
                    return static_cast<int>(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
                }
                h.guard.on_stream_opened(h.now);
                auto request = std::make_unique<Request>();
                request->builder.reset(&request->head, h.limits);
                h.requests[id] = std::move(request);
            } else if (Request* r = find(h, id)) {
                r->builder.reset_trailers(&r->trailers, h.limits);
            }
            return 0;
        });
    nghttp2_session_callbacks_set_on_header_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_len,
               const uint8_t* value, size_t value_len, uint8_t, void* user) {
            if (Request* r = find(harness(user), frame->hd.stream_id)) {
                r->builder.add({reinterpret_cast<const char*>(name), name_len},
                               {reinterpret_cast<const char*>(value), value_len});
            }
            return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cb, [](nghttp2_session* session, const nghttp2_frame* frame, void* user) {
            Harness& h = harness(user);
            Request* r = find(h, frame->hd.stream_id);
            if (r == nullptr) {
                return 0;
            }
            bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
            if (frame->hd.type == NGHTTP2_HEADERS && !r->head_done) {
                r->head_done = true;
                HeadError error = r->builder.finish(end_stream);
                if (!error.is_error()) {
                    h.check_head(r->head);
                    if (end_stream) {
                        h.answer(frame->hd.stream_id, *r);
                    }
                } else {
                    check(error.status >= 400 && error.status < 600);
                    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                              NGHTTP2_PROTOCOL_ERROR);
                }
            } else if (frame->hd.type == NGHTTP2_HEADERS) {
                r->builder.finish_trailers();
            }
            if (frame->hd.type == NGHTTP2_DATA && end_stream && r->head_done) {
                h.answer(frame->hd.stream_id, *r);
            }
            return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cb, [](nghttp2_session* session, uint8_t, int32_t id, const uint8_t*, size_t len, void*) {
            nghttp2_session_consume(session, id, len);
            return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cb, [](nghttp2_session*, int32_t id, uint32_t, void* user) {
            harness(user).requests.erase(id);
            return 0;
        });
    return cb;
}

void drain_output(nghttp2_session* session) {
    for (int i = 0; i < 1000; ++i) {
        const uint8_t* data = nullptr;
        if (nghttp2_session_mem_send(session, &data) <= 0) {
            return;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static nghttp2_session_callbacks* callbacks = make_callbacks();
    static nghttp2_option* option = [] {
        nghttp2_option* o = nullptr;
        nghttp2_option_new(&o);
        nghttp2_option_set_no_auto_window_update(o, 1);
        nghttp2_option_set_no_closed_streams(o, 1);
        nghttp2_option_set_max_continuations(o, 32);
        // Fuzz inputs start right at the frames: the 24-byte preface is taken as read.
        nghttp2_option_set_no_recv_client_magic(o, 1);
        return o;
    }();
    if (size < 1) {
        return 0;
    }
    Harness h;
    h.limits.max_header_bytes = 256 + data[0] * 64;
    h.limits.max_headers = 4 + data[0] % 64;
    h.limits.max_body = data[0] % 2 == 0 ? 0 : 1000;
    nghttp2_session_server_new2(&h.session, callbacks, &h, option);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                         {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1}};
    nghttp2_submit_settings(h.session, NGHTTP2_FLAG_NONE, settings, 2);
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    size_t cut = input.empty() ? 0 : data[0] % (input.size() + 1);
    for (std::string_view piece : {input.substr(0, cut), input.substr(cut)}) {
        ssize_t rv = nghttp2_session_mem_recv(
            h.session, reinterpret_cast<const uint8_t*>(piece.data()), piece.size());
        drain_output(h.session);
        if (rv < 0) {
            break;
        }
    }
    nghttp2_session_del(h.session);
    return 0;
}
