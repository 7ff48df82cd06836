#include <llhttp.h>
#include <new>
#include <optional>
#include <string>

#include <gantry/http/hop_by_hop.h>
#include <gantry/http/http1_parser.h>

#include "http1_validation.h"

namespace gantry::http {
namespace {

// llhttp's header_state for a field it parses no further (see llhttp's HEADER_STATE enum).
constexpr uint8_t kLlhttpGeneralHeader = 0;

int on_url(llhttp_t* p, const char* at, size_t len);
int on_status(llhttp_t* p, const char* at, size_t len);
int on_header_field(llhttp_t* p, const char* at, size_t len);
int on_header_field_complete(llhttp_t* p);
int on_header_value(llhttp_t* p, const char* at, size_t len);
int on_header_value_complete(llhttp_t* p);
int on_headers_complete(llhttp_t* p);
int on_chunk_header(llhttp_t* p);
int on_body(llhttp_t* p, const char* at, size_t len);
int on_message_complete(llhttp_t* p);

llhttp_settings_t make_settings() {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_url = on_url;
    s.on_status = on_status;
    s.on_header_field = on_header_field;
    s.on_header_field_complete = on_header_field_complete;
    s.on_header_value = on_header_value;
    s.on_header_value_complete = on_header_value_complete;
    s.on_headers_complete = on_headers_complete;
    s.on_chunk_header = on_chunk_header;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    return s;
}

// Shared by every parser: llhttp only reads it.
const llhttp_settings_t kSettings = make_settings();

const char* reason_for_llhttp_error(llhttp_errno_t err) {
    switch (err) {
        case HPE_INVALID_METHOD:
            return "invalid-method";
        case HPE_INVALID_URL:
            return "invalid-target";
        case HPE_INVALID_VERSION:
            return "invalid-version";
        case HPE_INVALID_HEADER_TOKEN:
            return "invalid-header-field";
        case HPE_INVALID_CONTENT_LENGTH:
        case HPE_UNEXPECTED_CONTENT_LENGTH:
            return "invalid-content-length";
        case HPE_INVALID_CHUNK_SIZE:
            return "invalid-chunk-size";
        case HPE_INVALID_TRANSFER_ENCODING:
            return "invalid-transfer-encoding";
        case HPE_INVALID_STATUS:
            return "invalid-status-line";
        case HPE_CR_EXPECTED:
        case HPE_LF_EXPECTED:
            return "invalid-line-ending";
        case HPE_INVALID_CONSTANT:
        case HPE_UNEXPECTED_SPACE:
            return "invalid-start-line";
        case HPE_STRICT:
            return "invalid-chunk-framing";
        default:
            return "malformed-message";
    }
}

// Holds a head built in a caller's memory resource. Replacing or dropping it does not run the
// head's destructor unless the resource is the global heap: an arena reclaims the bytes itself and
// may already be gone by the time the next message starts.
template <typename T>
class ArenaSlot {
public:
    ArenaSlot() = default;

    ~ArenaSlot() { drop(); }

    ArenaSlot(const ArenaSlot&) = delete;
    ArenaSlot& operator=(const ArenaSlot&) = delete;

    T& emplace(std::pmr::memory_resource* mr) {
        drop();
        ::new (static_cast<void*>(storage_)) T(mr);
        mr_ = mr;
        return **this;
    }

    T& operator*() { return *std::launder(reinterpret_cast<T*>(storage_)); }

    T* operator->() { return &**this; }

private:
    void drop() {
        if (mr_ == std::pmr::new_delete_resource()) {
            (**this).~T();
        }
        mr_ = nullptr;
    }

    alignas(T) unsigned char storage_[sizeof(T)];
    std::pmr::memory_resource* mr_ = nullptr;
};

}  // namespace

namespace detail {

// Everything one parser owns. A namespace-level type so llhttp's C callbacks can name it.
struct Http1ParserState {
    using Kind = Http1Parser::Kind;

    enum class Phase : uint8_t { Head, Body, Done, Failed };

    Http1ParserState(Kind k, const Http1Limits& l) : kind(k), limits(l) {
        llhttp_init(&parser, kind == Kind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &kSettings);
        parser.data = this;
        field.reserve(64);
        value.reserve(256);
        url.reserve(256);
        status_text.reserve(32);
    }

    Kind kind;
    Http1Limits limits;
    llhttp_t parser{};
    std::pmr::memory_resource* mr = std::pmr::get_default_resource();
    ArenaSlot<RequestHead> request;
    ArenaSlot<ResponseHead> response;
    ArenaSlot<HeaderMap> trailers;
    detail::FramingScanner scanner;

    Phase phase = Phase::Head;
    Http1Event event;                   // set by a callback before it pauses llhttp
    std::optional<Http1Event> pending;  // an event to return before feeding llhttp again
    Http1Event error;
    bool error_set = false;
    uint64_t head_bytes = 0;

    // Pieces of the current field, accumulated across next() calls; reused, never shrunk.
    std::string field;
    std::string value;
    std::string url;
    std::string status_text;

    // Facts gathered from the head's fields.
    uint32_t field_count = 0;
    uint32_t host_count = 0;
    std::string_view host;
    std::optional<uint64_t> content_length;
    bool te_present = false;
    bool te_chunked_final = false;
    bool te_chunked_twice = false;
    bool te_other_coding = false;
    bool connection_close = false;
    bool connection_keep_alive = false;
    bool connection_upgrade = false;
    std::string_view upgrade;
    bool expect_continue = false;
    bool expect_other = false;
    uint64_t chunked_total = 0;
    bool scan_chunked_body = false;  // applied to the scanner once it has seen the whole head

    // Response parsers: what the request was.
    bool request_was_head = false;
    bool request_was_connect = false;

    bool is_request() const { return kind == Kind::Request; }

    HeaderMap& head_headers() { return is_request() ? request->headers : response->headers; }

    // Records an error for next() to return; the value is what llhttp callbacks return.
    int fail(int request_status, const char* reason) {
        if (!error_set) {
            error_set = true;
            error.kind = Http1EventKind::Error;
            error.status = is_request() ? request_status : 502;
            error.reason = reason;
        }
        return -1;
    }

    void begin_message(std::pmr::memory_resource* resource);
    void reset_field_facts();
    int add_field();
    int note_framing_field(const HeaderField& f);
    void note_connection_field(std::string_view v);
    int note_transfer_encoding(std::string_view v);
    int finish_head();
    int finish_request_head();
    int finish_response_head();
    int check_framing();
    void apply_framing_to_llhttp(bool no_body);
    int message_complete();

    Http1Event run(std::string_view& input);
    Http1Event pop_pending();

    Http1Event fail_event(int request_status, const char* reason) {
        fail(request_status, reason);
        phase = Phase::Failed;
        return error;
    }
};

}  // namespace detail

using detail::Http1ParserState;

namespace {

Http1ParserState& state_of(llhttp_t* p) {
    return *static_cast<Http1ParserState*>(p->data);
}

// Head pieces are bounded by the head limit already; trailers are only bounded by the scanner
// after llhttp returns, so cap every accumulator here to keep a huge trailer from growing them.
int append_piece(Http1ParserState& s, std::string& to, const char* at, size_t len) {
    if (to.size() + len > s.limits.max_header_bytes) {
        return s.fail(431, "header-too-large");
    }
    to.append(at, len);
    return 0;
}

int on_url(llhttp_t* p, const char* at, size_t len) {
    auto& s = state_of(p);
    return append_piece(s, s.url, at, len);
}

int on_status(llhttp_t* p, const char* at, size_t len) {
    auto& s = state_of(p);
    return append_piece(s, s.status_text, at, len);
}

int on_header_field(llhttp_t* p, const char* at, size_t len) {
    auto& s = state_of(p);
    return append_piece(s, s.field, at, len);
}

int on_header_field_complete(llhttp_t* p) {
    auto& s = state_of(p);
    if (!detail::is_valid_field_name(s.field)) {
        return s.fail(400, "invalid-header-name");
    }
    // We frame Content-Length and Transfer-Encoding ourselves (lists, duplicates, codings), so
    // llhttp must treat them as plain fields; finish_head() hands it the result.
    HeaderId id = header_id(s.field);
    if (id == HeaderId::ContentLength || id == HeaderId::TransferEncoding) {
        p->header_state = kLlhttpGeneralHeader;
    }
    return 0;
}

int on_header_value(llhttp_t* p, const char* at, size_t len) {
    auto& s = state_of(p);
    return append_piece(s, s.value, at, len);
}

int on_header_value_complete(llhttp_t* p) {
    auto& s = state_of(p);
    int rc = s.add_field();
    s.field.clear();
    s.value.clear();
    return rc;
}

int on_headers_complete(llhttp_t* p) {
    auto& s = state_of(p);
    int rc = s.finish_head();
    if (rc != 0) {
        return rc;
    }
    s.event = Http1Event{Http1EventKind::HeadComplete, {}, 0, ""};
    return HPE_PAUSED;
}

int on_chunk_header(llhttp_t* p) {
    auto& s = state_of(p);
    s.chunked_total += p->content_length;
    if (s.is_request() && s.limits.max_body != 0 && s.chunked_total > s.limits.max_body) {
        return s.fail(413, "body-too-large");
    }
    return 0;
}

int on_body(llhttp_t* p, const char* at, size_t len) {
    if (len == 0) {
        return 0;  // llhttp flushes an empty span when a call ends where a body piece would start
    }
    auto& s = state_of(p);
    s.event = Http1Event{Http1EventKind::Body, std::string_view(at, len), 0, ""};
    return HPE_PAUSED;
}

int on_message_complete(llhttp_t* p) {
    return state_of(p).message_complete();
}

}  // namespace

void Http1ParserState::begin_message(std::pmr::memory_resource* resource) {
    mr = resource;
    if (is_request()) {
        request.emplace(mr);
    } else {
        response.emplace(mr);
    }
    trailers.emplace(mr);
    llhttp_reset(&parser);
    scanner.reset(is_request(), limits.max_header_bytes);
    phase = Phase::Head;
    event = {};
    pending.reset();
    error = {};
    error_set = false;
    head_bytes = 0;
    field.clear();
    value.clear();
    url.clear();
    status_text.clear();
    reset_field_facts();
}

void Http1ParserState::reset_field_facts() {
    field_count = 0;
    host_count = 0;
    host = {};
    content_length.reset();
    te_present = te_chunked_final = te_chunked_twice = te_other_coding = false;
    connection_close = connection_keep_alive = connection_upgrade = false;
    upgrade = {};
    expect_continue = expect_other = false;
    chunked_total = 0;
}

int Http1ParserState::add_field() {
    if (!detail::is_valid_field_name(field)) {
        return fail(400, "invalid-header-name");
    }
    if (++field_count > limits.max_headers) {
        return fail(431, "too-many-headers");
    }
    std::string_view v = detail::trim_ows(value);
    if (phase == Phase::Body) {
        // Trailers may not carry framing, routing or hop-by-hop fields: drop them silently.
        switch (header_id(field)) {
            case HeaderId::Other:
            case HeaderId::XForwardedFor:
            case HeaderId::XForwardedProto:
            case HeaderId::XRequestId:
            case HeaderId::UserAgent:
            case HeaderId::Referer:
            case HeaderId::ContentType:
            case HeaderId::Location:
            case HeaderId::Server:
            case HeaderId::Date:
                trailers->add(field, v);
                return 0;
            default:
                return 0;
        }
    }
    HeaderMap& headers = head_headers();
    headers.add(field, v);
    return note_framing_field(headers.fields().back());
}

int Http1ParserState::note_framing_field(const HeaderField& f) {
    switch (f.id) {
        case HeaderId::Host:
            ++host_count;
            host = f.value;
            return 0;
        case HeaderId::ContentLength: {
            uint64_t cl = 0;
            auto result = detail::parse_content_length(f.value, cl);
            if (result == detail::ContentLengthResult::Invalid) {
                return fail(400, "invalid-content-length");
            }
            if (result == detail::ContentLengthResult::Conflicting ||
                (content_length && *content_length != cl)) {
                return fail(400, "conflicting-content-length");
            }
            content_length = cl;
            return 0;
        }
        case HeaderId::TransferEncoding:
            return note_transfer_encoding(f.value);
        case HeaderId::Connection:
            note_connection_field(f.value);
            return 0;
        case HeaderId::Upgrade:
            upgrade = f.value;
            return 0;
        case HeaderId::Expect:
            if (iequals(f.value, "100-continue")) {
                expect_continue = true;
            } else {
                expect_other = true;
            }
            return 0;
        default:
            return 0;
    }
}

void Http1ParserState::note_connection_field(std::string_view v) {
    connection_close = connection_close || header_has_token(v, "close");
    connection_keep_alive = connection_keep_alive || header_has_token(v, "keep-alive");
    connection_upgrade = connection_upgrade || header_has_token(v, "upgrade");
}

int Http1ParserState::note_transfer_encoding(std::string_view v) {
    te_present = true;
    // Codings across every Transfer-Encoding field form one list; only a final "chunked" frames.
    while (true) {
        size_t comma = v.find(',');
        std::string_view coding = detail::trim_ows(v.substr(0, comma));
        if (coding.empty()) {
            return fail(400, "invalid-transfer-encoding");
        }
        if (iequals(coding, "chunked")) {
            te_chunked_twice = te_chunked_twice || te_chunked_final;
            te_chunked_final = true;
        } else {
            te_other_coding = true;
            te_chunked_final = false;
        }
        if (comma == std::string_view::npos) {
            return 0;
        }
        v.remove_prefix(comma + 1);
    }
}

int Http1ParserState::check_framing() {
    if (!te_present) {
        return 0;
    }
    if (parser.http_minor == 0) {
        // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing cannot be trusted.
        return fail(400, "transfer-encoding-in-http10");
    }
    if (content_length) {
        return fail(400, "content-length-with-transfer-encoding");
    }
    if (!te_chunked_final || te_chunked_twice) {
        return fail(400, "invalid-transfer-encoding");
    }
    if (te_other_coding) {
        // RFC 9112 6.1: a coding we do not implement; we cannot decode or forward it.
        return fail(501, "unsupported-transfer-coding");
    }
    return 0;
}

void Http1ParserState::apply_framing_to_llhttp(bool no_body) {
    scan_chunked_body = false;
    if (no_body) {
        parser.flags |= F_SKIPBODY;
        return;
    }
    if (te_present) {
        parser.flags |= F_TRANSFER_ENCODING | F_CHUNKED;
        scan_chunked_body = true;
        return;
    }
    if (content_length) {
        parser.flags |= F_CONTENT_LENGTH;
        parser.content_length = *content_length;
    }
}

int Http1ParserState::finish_head() {
    if (parser.http_major != 1 || parser.http_minor > 1) {
        return fail(parser.http_major >= 2 ? 505 : 400, "unsupported-version");
    }
    int rc = check_framing();
    if (rc == 0) {
        rc = is_request() ? finish_request_head() : finish_response_head();
    }
    if (rc == 0) {
        phase = Phase::Body;
        field_count = 0;  // trailers get their own max_headers budget
    }
    return rc;
}

int Http1ParserState::finish_request_head() {
    RequestHead& head = *request;
    head.method = llhttp_method_name(static_cast<llhttp_method_t>(parser.method));
    if (parser.method == HTTP_CONNECT) {
        return fail(405, "connect-not-supported");
    }
    head.version_major = parser.http_major;
    head.version_minor = parser.http_minor;
    head.target = head.headers.store(url);
    detail::TargetParts parts = detail::parse_target(head.method, head.target);
    if (parts.error != nullptr) {
        return fail(400, parts.error);
    }
    head.path = parts.path;
    head.query = parts.query;
    bool http11 = head.version_minor == 1;
    if (host_count > 1) {
        return fail(400, "duplicate-host");
    }
    if (host_count == 0 && http11) {
        return fail(400, "missing-host");
    }
    if (host_count == 1 && !detail::is_valid_authority(host)) {
        return fail(400, "invalid-host");
    }
    head.authority = parts.authority.empty() ? host : parts.authority;
    if (limits.max_body != 0 && content_length && *content_length > limits.max_body) {
        return fail(413, "body-too-large");
    }
    // RFC 9110 10.1.1: an HTTP/1.0 expectation is ignored.
    if (http11 && expect_other) {
        return fail(417, "unsupported-expectation");
    }
    head.expects_continue = http11 && expect_continue;
    head.content_length = te_present ? std::nullopt : content_length;
    head.is_chunked = te_present;
    head.keep_alive = http11 ? !connection_close : (connection_keep_alive && !connection_close);
    head.wants_upgrade = connection_upgrade && !upgrade.empty();
    head.upgrade = head.wants_upgrade ? upgrade : std::string_view{};
    apply_framing_to_llhttp(false);
    return 0;
}

int Http1ParserState::finish_response_head() {
    ResponseHead& head = *response;
    int status = parser.status_code;
    if (status < 100 || status > 599) {
        return fail(502, "invalid-status-line");
    }
    head.status = status;
    head.reason = head.headers.store(status_text);
    head.version_major = parser.http_major;
    head.version_minor = parser.http_minor;
    bool tunnel = status == 101 || (request_was_connect && status >= 200 && status < 300);
    bool no_body = tunnel || (status >= 100 && status < 200) || status == 204 || status == 304 ||
                   request_was_head;
    head.content_length = te_present ? std::nullopt : content_length;
    head.is_chunked = te_present && !no_body;
    head.is_close_delimited = !no_body && !te_present && !content_length;
    bool http11 = head.version_minor == 1;
    head.keep_alive = !head.is_close_delimited &&
                      (http11 ? !connection_close : (connection_keep_alive && !connection_close));
    apply_framing_to_llhttp(no_body);
    if (tunnel) {
        // The HTTP message ends with the head; what follows belongs to the tunnel.
        pending = Http1Event{Http1EventKind::MessageComplete, {}, 0, ""};
    }
    return 0;
}

int Http1ParserState::message_complete() {
    phase = Phase::Done;
    if (!trailers->empty()) {
        event = Http1Event{Http1EventKind::TrailersComplete, {}, 0, ""};
        pending = Http1Event{Http1EventKind::MessageComplete, {}, 0, ""};
    } else {
        event = Http1Event{Http1EventKind::MessageComplete, {}, 0, ""};
    }
    return HPE_PAUSED;
}

Http1Event Http1ParserState::run(std::string_view& input) {
    std::string_view feed = input;
    if (phase == Phase::Head) {
        if (head_bytes >= limits.max_header_bytes) {
            return fail_event(431, "header-too-large");
        }
        // Never let llhttp see more head bytes than the limit allows.
        feed = feed.substr(0, static_cast<size_t>(limits.max_header_bytes - head_bytes));
    }
    static constexpr char kEmpty[1] = {0};
    const char* data = feed.empty() ? kEmpty : feed.data();
    Phase phase_before = phase;
    llhttp_errno_t err = llhttp_execute(&parser, data, feed.size());
    size_t consumed =
        err == HPE_OK ? feed.size() : static_cast<size_t>(llhttp_get_error_pos(&parser) - data);
    consumed = std::min(consumed, feed.size());
    // The scanner sees bytes in order; an error it finds came before anything llhttp reported.
    detail::ScanError scan = scanner.scan(std::string_view(data, consumed));
    if (scan.status != 0) {
        error_set = false;
        return fail_event(scan.status, scan.reason);
    }
    if (phase_before == Phase::Head) {
        head_bytes += consumed;
        if (phase != Phase::Head) {
            // llhttp paused exactly at the end of the head, so the scanner has seen all of it.
            if (scan_chunked_body) {
                scanner.start_chunked_body();
            } else {
                scanner.stop();
            }
        }
    }
    input.remove_prefix(consumed);
    switch (err) {
        case HPE_OK:
            if (phase == Phase::Head && head_bytes >= limits.max_header_bytes) {
                return fail_event(431, "header-too-large");
            }
            return Http1Event{};
        case HPE_PAUSED:
            llhttp_resume(&parser);
            return event;
        case HPE_PAUSED_UPGRADE:
            phase = Phase::Done;
            return Http1Event{Http1EventKind::MessageComplete, {}, 0, ""};
        default:
            if (error_set) {
                phase = Phase::Failed;
                return error;
            }
            return fail_event(400, reason_for_llhttp_error(err));
    }
}

struct Http1Parser::State : Http1ParserState {
    using Http1ParserState::Http1ParserState;
};

Http1Parser::Http1Parser(Kind kind, const Http1Limits& limits)
    : state_(std::make_unique<State>(kind, limits)) {
    state_->begin_message(std::pmr::get_default_resource());
}

Http1Parser::~Http1Parser() = default;

void Http1Parser::reset(std::pmr::memory_resource* mr) {
    state_->begin_message(mr);
}

void Http1Parser::set_request_method(std::string_view method) {
    state_->request_was_head = method == "HEAD";
    state_->request_was_connect = method == "CONNECT";
}

Http1Event Http1ParserState::pop_pending() {
    Http1Event ev = *pending;
    pending.reset();
    if (ev.kind == Http1EventKind::MessageComplete) {
        phase = Phase::Done;
    }
    return ev;
}

Http1Event Http1Parser::next(std::string_view& input) {
    State& s = *state_;
    if (s.phase == State::Phase::Failed) {
        return s.error;
    }
    if (s.pending) {
        return s.pop_pending();
    }
    if (s.phase == State::Phase::Done) {
        return Http1Event{};
    }
    if (input.empty() && s.phase == State::Phase::Head) {
        return Http1Event{};
    }
    return s.run(input);
}

Http1Event Http1Parser::finish() {
    State& s = *state_;
    if (s.phase == State::Phase::Failed) {
        return s.error;
    }
    if (s.pending) {
        return s.pop_pending();
    }
    if (s.phase == State::Phase::Done || (s.phase == State::Phase::Head && s.head_bytes == 0)) {
        return Http1Event{};
    }
    if (s.phase == State::Phase::Body) {
        // A message without a body (204, HEAD, ...) may still owe its MessageComplete.
        std::string_view none;
        Http1Event ev = s.run(none);
        if (ev.kind != Http1EventKind::NeedMore) {
            return ev;
        }
        if (!s.is_request() && s.response->is_close_delimited) {
            s.phase = State::Phase::Done;
            return Http1Event{Http1EventKind::MessageComplete, {}, 0, ""};
        }
    }
    return s.fail_event(400, s.is_request() ? "truncated-request" : "upstream-truncated");
}

bool Http1Parser::is_message_started() const {
    return state_->head_bytes > 0 || state_->phase != State::Phase::Head;
}

RequestHead& Http1Parser::request() {
    return *state_->request;
}

ResponseHead& Http1Parser::response() {
    return *state_->response;
}

HeaderMap& Http1Parser::trailers() {
    return *state_->trailers;
}

}  // namespace gantry::http
