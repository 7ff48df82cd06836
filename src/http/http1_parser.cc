#include <algorithm>
#include <cassert>
#include <cstring>
#include <llhttp.h>
#include <new>
#include <optional>
#include <string>

#include <gantry/http/http1_parser.h>

#include "ascii.h"
#include "http1_validation.h"
#include "token_list.h"

namespace gantry::http {
namespace {

// llhttp's header_state for a field it parses no further (see llhttp's HEADER_STATE enum).
constexpr uint8_t kLlhttpGeneralHeader = 0;

// Built with LLHTTP_STRICT_MODE (as CMake does), llhttp rejects every non-token byte of a field
// name itself, so only the empty name is left to us. A build against a lenient llhttp (which
// lets SP through) keeps the full check.
constexpr bool kLlhttpStrict = LLHTTP_STRICT_MODE != 0;

// Room for a typical head's fields, reserved once so the field list does not regrow per field.
constexpr size_t kInitialFields = 16;

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

// True when strict llhttp stopped at a space inside a field name (lenient llhttp let it through
// and we rejected the name ourselves once it was complete). `end` bounds the bytes llhttp was
// given, so the byte it stopped at may be looked at.
bool stopped_at_space_in_name(const llhttp_t& parser, const char* end) {
    const char* pos = llhttp_get_error_pos(&parser);
    return pos != nullptr && pos < end && *pos == ' ' &&
           std::strcmp(llhttp_get_error_reason(&parser), "Invalid header token") == 0;
}

const char* reason_for_llhttp_error(const llhttp_t& parser, llhttp_errno_t err, const char* end) {
    switch (err) {
        case HPE_INVALID_METHOD:
            return "invalid-method";
        case HPE_INVALID_URL:
            return "invalid-target";
        case HPE_INVALID_VERSION:
            return "invalid-version";
        case HPE_INVALID_HEADER_TOKEN:
            return stopped_at_space_in_name(parser, end) ? "invalid-header-name"
                                                         : "invalid-header-field";
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
            // Strict mode's CRLF checks: after a chunk (size line or data) or after a head line.
            return std::strstr(llhttp_get_error_reason(&parser), "chunk") != nullptr
                       ? "invalid-chunk-framing"
                       : "bare-cr";
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

// One span llhttp reports (a field name, a value, the target, the reason phrase). While next()
// runs it is a view of the caller's input, so a field that arrives whole is never copied here;
// a span still open when next() returns is copied, since the caller may then drop those bytes.
struct Piece {
    std::string_view view;  // bytes of the current input
    std::string copy;       // bytes from earlier next() calls; reused, never shrunk
    bool copied = false;

    void add(const char* at, size_t len) {
        if (!copied && view.empty()) {
            view = std::string_view(at, len);
            return;
        }
        keep();
        copy.append(at, len);
    }

    // Copies the bytes seen so far; nothing to do while none have arrived.
    void keep() {
        if (!copied && !view.empty()) {
            copy.assign(view.data(), view.size());
            copied = true;
            view = {};
        }
    }

    std::string_view get() const { return copied ? std::string_view(copy) : view; }

    void clear() {
        view = {};
        copy.clear();
        copied = false;
    }
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
        field.copy.reserve(64);
        value.copy.reserve(256);
        url.copy.reserve(256);
        status_text.copy.reserve(32);
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

    // Spans of the current field, the target and the reason phrase.
    Piece field;
    Piece value;
    Piece url;
    Piece status_text;
    HeaderId field_id = HeaderId::Other;  // of `field`, known once its name is complete

    // Head fields from pending_fields on still view the current input; keep_pending_fields()
    // copies them into the head's memory in one block before that input can go away.
    static constexpr size_t kNone = ~size_t{0};
    size_t pending_fields = kNone;
    std::string_view kept_start_text;  // target or reason phrase, copied into the head's memory

    // Facts gathered from the head's fields. Fields are found by index: their views move when
    // pending fields are kept.
    uint32_t field_count = 0;
    uint32_t host_count = 0;
    size_t host_index = kNone;
    size_t upgrade_index = kNone;
    std::optional<uint64_t> content_length;
    bool te_present = false;
    bool te_chunked_final = false;
    bool te_chunked_twice = false;
    bool te_other_coding = false;
    bool connection_close = false;
    bool connection_keep_alive = false;
    bool connection_upgrade = false;
    bool expect_continue = false;
    bool expect_other = false;
    uint64_t chunked_total = 0;
    bool scan_chunked_body = false;  // applied to the scanner once it has seen the whole head

    // Responses whose head took the plain path (try_plain_response_head): their body is framed
    // here, without llhttp, by Content-Length or by the connection's end.
    bool direct_body = false;
    uint64_t direct_remaining = 0;

    // Response parsers: what the request was, and whether the response can carry a body.
    bool request_was_head = false;
    bool request_was_connect = false;
    bool no_body = false;

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
    // Copies the pending fields' bytes (and those from `from` on, when given) into one block of
    // the head's memory; returns the copy of the first byte, or nullptr when none were pending.
    const char* keep_pending_fields(const char* from = nullptr);
    void keep_head_bytes();
    void keep_open_pieces();
    int add_trailer(std::string_view name, std::string_view v);
    std::string_view field_value(size_t index);
    int note_framing_field(const HeaderField& f, size_t index);
    void note_connection_field(std::string_view v);
    int note_transfer_encoding(std::string_view v);
    int finish_head();
    int finish_request_head();
    int finish_response_head(int status, uint8_t version_minor);
    int check_framing();
    void apply_framing_to_llhttp(bool no_body);
    int message_complete();

    Http1Event run(std::string_view& input);
    Http1Event pop_pending();

    bool try_plain_response_head(std::string_view& input);
    static bool add_plain_field(void* context, std::string_view name, std::string_view value);
    Http1Event run_direct_body(std::string_view& input);

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

int on_url(llhttp_t* p, const char* at, size_t len) {
    state_of(p).url.add(at, len);
    return 0;
}

int on_status(llhttp_t* p, const char* at, size_t len) {
    state_of(p).status_text.add(at, len);
    return 0;
}

int on_header_field(llhttp_t* p, const char* at, size_t len) {
    state_of(p).field.add(at, len);
    return 0;
}

int on_header_field_complete(llhttp_t* p) {
    auto& s = state_of(p);
    std::string_view name = s.field.get();
    if constexpr (kLlhttpStrict) {
        assert(name.empty() || detail::is_valid_field_name(name));
        if (name.empty()) {
            return s.fail(400, "invalid-header-name");
        }
    } else if (!detail::is_valid_field_name(name)) {
        return s.fail(400, "invalid-header-name");
    }
    // We frame Content-Length and Transfer-Encoding ourselves (lists, duplicates, codings), so
    // llhttp must treat them as plain fields; finish_head() hands it the result.
    s.field_id = header_id(name);
    if (s.field_id == HeaderId::ContentLength || s.field_id == HeaderId::TransferEncoding) {
        p->header_state = kLlhttpGeneralHeader;
    }
    return 0;
}

int on_header_value(llhttp_t* p, const char* at, size_t len) {
    state_of(p).value.add(at, len);
    return 0;
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
    s.keep_head_bytes();
    int rc = s.finish_head();
    // The target and reason now live in the head; nothing below reads these spans again.
    s.url.clear();
    s.status_text.clear();
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
    // Most heads carry fewer than 16 fields (a browser's request ~12, an origin's answer ~8).
    constexpr size_t kTypicalFieldCount = 16;
    if (is_request()) {
        request.emplace(mr);
        request->headers.reserve(kTypicalFieldCount);
    } else {
        response.emplace(mr);
        response->headers.reserve(kTypicalFieldCount);
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
    field_id = HeaderId::Other;
    pending_fields = kNone;
    kept_start_text = {};
    direct_body = false;
    direct_remaining = 0;
    no_body = false;
    reset_field_facts();
}

void Http1ParserState::reset_field_facts() {
    field_count = 0;
    host_count = 0;
    host_index = kNone;
    upgrade_index = kNone;
    content_length.reset();
    te_present = te_chunked_final = te_chunked_twice = te_other_coding = false;
    connection_close = connection_keep_alive = connection_upgrade = false;
    expect_continue = expect_other = false;
    chunked_total = 0;
}

int Http1ParserState::add_field() {
    if (++field_count > limits.max_headers) {
        return fail(431, "too-many-headers");
    }
    std::string_view name = field.get();
    std::string_view v = value.get();
    if (!v.empty() &&
        (v.back() == ' ' || v.back() == '\t' || v.front() == ' ' || v.front() == '\t')) {
        v = detail::trim_ows(v);
    }
    if (phase == Phase::Body) {
        return add_trailer(name, v);
    }
    HeaderMap& headers = head_headers();
    auto& fields = headers.fields_;
    if (!field.copied && !value.copied) [[likely]] {
        if (fields.capacity() == 0) {
            fields.reserve(kInitialFields);
        }
        if (pending_fields == kNone) {
            pending_fields = fields.size();
        }
        fields.push_back(HeaderField{name, v, field_id});
    } else {
        keep_pending_fields();  // pending fields stay one run of input bytes
        headers.add(name, v);
    }
    return field_id == HeaderId::Other ? 0 : note_framing_field(fields.back(), fields.size() - 1);
}

int Http1ParserState::add_trailer(std::string_view name, std::string_view v) {
    // Trailers may not carry framing, routing or hop-by-hop fields: drop them silently.
    switch (field_id) {
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
            trailers->add(name, v);
            return 0;
        default:
            return 0;
    }
}

const char* Http1ParserState::keep_pending_fields(const char* from) {
    if (pending_fields == kNone) {
        return nullptr;
    }
    HeaderMap& headers = head_headers();
    auto& fields = headers.fields_;
    // Pending fields arrived in input order within one input: copy the span they cover once.
    const char* begin = from != nullptr ? from : fields[pending_fields].name.data();
    const char* end = begin;
    for (size_t i = pending_fields; i < fields.size(); ++i) {
        const HeaderField& f = fields[i];
        end = std::max(end, f.name.data() + f.name.size());
        if (!f.value.empty()) {
            end = std::max(end, f.value.data() + f.value.size());
        }
    }
    std::string_view kept =
        headers.store(std::string_view(begin, static_cast<size_t>(end - begin)));
    for (size_t i = pending_fields; i < fields.size(); ++i) {
        HeaderField& f = fields[i];
        f.name = std::string_view(kept.data() + (f.name.data() - begin), f.name.size());
        f.value = f.value.empty()
                      ? std::string_view{}
                      : std::string_view(kept.data() + (f.value.data() - begin), f.value.size());
    }
    pending_fields = kNone;
    return kept.data();
}

void Http1ParserState::keep_head_bytes() {
    Piece& start = is_request() ? url : status_text;
    std::string_view text = start.get();
    if (start.copied || text.empty() || pending_fields == kNone) {
        keep_pending_fields();
        kept_start_text = head_headers().store(text);
        return;
    }
    // The start-line span and the pending fields view the same input, the start line first, so
    // one block holds them all.
    kept_start_text = std::string_view(keep_pending_fields(text.data()), text.size());
}

void Http1ParserState::keep_open_pieces() {
    field.keep();
    value.keep();
    url.keep();
    status_text.keep();
}

std::string_view Http1ParserState::field_value(size_t index) {
    return index == kNone ? std::string_view{} : head_headers().fields()[index].value;
}

int Http1ParserState::note_framing_field(const HeaderField& f, size_t index) {
    switch (f.id) {
        case HeaderId::Host:
            ++host_count;
            host_index = index;
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
            upgrade_index = index;
            return 0;
        case HeaderId::Expect:
            if (detail::iequals_literal<"100-continue">(f.value)) {
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
    detail::for_each_token(v, [this](std::string_view token) {
        using detail::equals_at;
        switch (token.size()) {
            case 5:
                connection_close = connection_close || equals_at<"close">(token.data());
                break;
            case 7:
                connection_upgrade = connection_upgrade || equals_at<"upgrade">(token.data());
                break;
            case 10:
                connection_keep_alive =
                    connection_keep_alive || equals_at<"keep-alive">(token.data());
                break;
            default:
                break;
        }
    });
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
        if (detail::iequals_literal<"chunked">(coding)) {
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
        rc = is_request() ? finish_request_head()
                          : finish_response_head(parser.status_code, parser.http_minor);
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
    head.target = kept_start_text;
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
    std::string_view host = field_value(host_index);
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
    std::string_view upgrade = field_value(upgrade_index);
    head.wants_upgrade = connection_upgrade && !upgrade.empty();
    head.upgrade = head.wants_upgrade ? upgrade : std::string_view{};
    apply_framing_to_llhttp(false);
    return 0;
}

int Http1ParserState::finish_response_head(int status, uint8_t version_minor) {
    ResponseHead& head = *response;
    if (status < 100 || status > 599) {
        return fail(502, "invalid-status-line");
    }
    head.status = status;
    head.reason = kept_start_text;
    head.version_major = 1;  // finish_head() refused every other major version
    head.version_minor = version_minor;
    bool tunnel = status == 101 || (request_was_connect && status >= 200 && status < 300);
    no_body = tunnel || (status >= 100 && status < 200) || status == 204 || status == 304 ||
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

// Most upstream answers arrive whole in one read, in the plainest form and framed by
// Content-Length: they are read here in one pass, about a third of what llhttp and its callbacks
// cost. Anything else (an incomplete head, chunked, 1xx, a CONNECT answer, any byte or form the
// plain scan does not take) leaves no trace and goes to llhttp, which then also names any error;
// the response fuzzer checks that both ways give the same result.
bool Http1ParserState::try_plain_response_head(std::string_view& input) {
    if (request_was_connect) {
        return false;  // a 2xx starts a tunnel
    }
    detail::PlainStatusLine line;
    size_t length = detail::scan_plain_response_head(input.substr(0, limits.max_header_bytes), line,
                                                     &add_plain_field, this);
    if (length == 0 || line.status < 200 || line.status > 599) {
        response->headers.fields_.clear();
        reset_field_facts();
        error_set = false;
        error = {};
        return false;
    }
    HeaderMap& headers = response->headers;
    const char* begin = input.data();
    pending_fields = headers.fields_.empty() ? kNone : 0;
    const char* kept = keep_pending_fields(begin);
    if (line.reason.empty()) {
        kept_start_text = {};
    } else if (kept != nullptr) {
        kept_start_text = std::string_view(kept + (line.reason.data() - begin), line.reason.size());
    } else {
        kept_start_text = headers.store(line.reason);
    }
    finish_response_head(line.status, line.version_minor);
    phase = Phase::Body;
    field_count = 0;
    head_bytes = length;
    scanner.stop();
    direct_body = true;
    direct_remaining = no_body ? 0 : response->content_length.value_or(0);
    input.remove_prefix(length);
    return true;
}

bool Http1ParserState::add_plain_field(void* context, std::string_view name,
                                       std::string_view value) {
    auto& s = *static_cast<Http1ParserState*>(context);
    if (++s.field_count > s.limits.max_headers) {
        return false;
    }
    HeaderId id = header_id(name);
    if (id == HeaderId::TransferEncoding) {
        return false;  // llhttp decodes chunked bodies
    }
    auto& fields = s.response->headers.fields_;
    fields.push_back(HeaderField{name, value, id});
    return id == HeaderId::Other || s.note_framing_field(fields.back(), fields.size() - 1) == 0;
}

Http1Event Http1ParserState::run_direct_body(std::string_view& input) {
    if (response->is_close_delimited || direct_remaining != 0) {
        if (input.empty()) {
            return Http1Event{};
        }
        size_t n = response->is_close_delimited
                       ? input.size()
                       : static_cast<size_t>(std::min<uint64_t>(direct_remaining, input.size()));
        if (!response->is_close_delimited) {
            direct_remaining -= n;
        }
        Http1Event ev{Http1EventKind::Body, input.substr(0, n), 0, ""};
        input.remove_prefix(n);
        return ev;
    }
    phase = Phase::Done;
    return Http1Event{Http1EventKind::MessageComplete, {}, 0, ""};
}

Http1Event Http1ParserState::run(std::string_view& input) {
    if (direct_body) {
        return run_direct_body(input);
    }
    if (!is_request() && phase == Phase::Head && head_bytes == 0 &&
        try_plain_response_head(input)) {
        return Http1Event{Http1EventKind::HeadComplete, {}, 0, ""};
    }
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
    detail::ScanError scan;
    if (scanner.active()) {
        scan = scanner.scan(std::string_view(data, consumed));
    }
    // The caller may drop or overwrite the input once next() returns.
    keep_open_pieces();
    keep_pending_fields();
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
            return fail_event(400, reason_for_llhttp_error(parser, err, data + feed.size()));
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
