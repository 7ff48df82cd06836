#include "support/http_upstream.h"

#include <algorithm>
#include <cstdio>
#include <sys/socket.h>

namespace gantry::test {

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(120);

std::string_view reason_phrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 101:
            return "Switching Protocols";
        case 103:
            return "Early Hints";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

std::string head_text(int status, const Headers& headers) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += reason_phrase(status);
    out += "\r\n";
    for (const auto& [name, value] : headers) {
        out += name + ": " + value + "\r\n";
    }
    return out;
}

bool is_bodyless(int status) {
    return status < 200 || status == 204 || status == 304;
}

bool has_token(const Headers& headers, std::string_view name, std::string_view token) {
    return to_lower(joined_header(headers, name)).find(token) != std::string::npos;
}

std::string chunk_header(size_t n) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%zx\r\n", n);
    return buf;
}

}  // namespace

HttpUpstream::HttpUpstream(Handler handler) : handler_(std::move(handler)) {
    if (!handler_) {
        handler_ = [](const UpstreamRequest&) {
            return UpstreamResponse::text(200, "ok");
        };
    }
    listener_.start([this](BufferedSocket& socket, size_t index) { serve(socket, index); });
}

HttpUpstream::HttpUpstream(Handler handler, const char* ip, uint16_t port)
    : handler_(std::move(handler))
    , listener_("HttpUpstream", 512, ip, port) {
    listener_.start([this](BufferedSocket& socket, size_t index) { serve(socket, index); });
}

HttpUpstream::~HttpUpstream() {
    stop();
}

void HttpUpstream::set_handler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
}

std::vector<UpstreamRequest> HttpUpstream::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

size_t HttpUpstream::request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}

bool HttpUpstream::wait_for_requests(size_t n, std::chrono::milliseconds timeout) const {
    return wait_until([&] { return request_count() >= n; }, timeout);
}

void HttpUpstream::stop() {
    listener_.stop();
}

void HttpUpstream::serve(BufferedSocket& socket, size_t index) {
    bool keep = true;
    for (bool is_first = true; keep && !listener_.stopping(); is_first = false) {
        keep = serve_one(socket, index, is_first);
    }
}

bool HttpUpstream::serve_one(BufferedSocket& socket, size_t index, bool is_first) {
    std::chrono::milliseconds keep_alive(keep_alive_timeout_ms_.load());
    Deadline deadline = deadline_in(kIoTimeout);
    if (!is_first && keep_alive.count() > 0) {
        if (socket.buffer().empty() &&
            socket.fill(deadline_in(keep_alive)) != BufferedSocket::Read::Ok) {
            return false;  // idle too long (or closed): close like a server's keep-alive timeout
        }
    }
    std::optional<std::string> text = socket.read_until("\r\n\r\n", deadline);
    HttpHead head;
    if (!text || !parse_head(*text, true, &head)) {
        if (text) {
            socket.send_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
                            deadline_in(std::chrono::seconds(5)));
        }
        return false;
    }
    heads_received_.fetch_add(1);
    if (has_token(head.headers, "expect", "100-continue")) {
        socket.send_all("HTTP/1.1 100 Continue\r\n\r\n", deadline_in(kIoTimeout));
    }
    UpstreamRequest request;
    request.method = head.method;
    request.target = head.target;
    request.version = head.version;
    request.headers = head.headers;
    request.connection_index = index;
    if (!read_body(socket, head, &request)) {
        return false;
    }
    Handler handler;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        handler = handler_;
    }
    UpstreamResponse response = handler(request);
    if (!send_response(socket, request, response)) {
        return false;
    }
    return !response.close_after && !has_token(request.headers, "connection", "close") &&
           request.version == "HTTP/1.1";
}

bool HttpUpstream::read_body(BufferedSocket& socket, const HttpHead& head,
                             UpstreamRequest* request) {
    auto sink = [request](const char* p, size_t n) {
        if (request->body_is_pattern &&
            !BodyPattern::instance().matches(request->body_size, p, n)) {
            request->body_is_pattern = false;
        }
        size_t room = kMaxStoredBody - request->body.size();
        request->body.append(p, std::min(n, room));
        request->body_size += n;
    };
    Deadline deadline = deadline_in(kIoTimeout);
    if (has_header(head.headers, "transfer-encoding")) {
        request->chunked = true;
        return read_chunked_body(socket, deadline, sink, &request->trailers);
    }
    if (auto cl = header_value(head.headers, "content-length")) {
        return socket.stream_exact(std::stoull(*cl), deadline, sink);
    }
    return true;
}

bool HttpUpstream::send_response(BufferedSocket& socket, const UpstreamRequest& request,
                                 const UpstreamResponse& response) {
    if (response.delay.count() > 0 && !listener_.sleep_for(response.delay)) {
        return false;
    }
    if (response.reset) {
        linger l{1, 0};
        // The caller closes the socket; with a zero linger that sends RST, not FIN.
        ::setsockopt(socket.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        return false;
    }
    Deadline deadline = deadline_in(kIoTimeout);
    for (const auto& interim : response.interim) {
        if (!socket.send_all(head_text(interim.status, interim.headers) + "\r\n", deadline)) {
            return false;
        }
    }
    std::string head = head_text(response.status, response.headers);
    uint64_t length =
        response.generated_body_size > 0 ? response.generated_body_size : response.body.size();
    if (!response.raw_framing && !is_bodyless(response.status)) {
        head += response.chunked ? "Transfer-Encoding: chunked\r\n"
                                 : "Content-Length: " + std::to_string(length) + "\r\n";
    }
    if (response.close_after) {
        head += "Connection: close\r\n";
    }
    head += "\r\n";
    if (!socket.send_all(head, deadline)) {
        return false;
    }
    if (request.method == "HEAD" || is_bodyless(response.status)) {
        return true;
    }
    if (response.body_delay.count() > 0 && !listener_.sleep_for(response.body_delay)) {
        return false;
    }
    if (!send_body(socket, response, response.close_mid_body)) {
        return false;
    }
    return !response.close_mid_body;
}

bool HttpUpstream::send_body(BufferedSocket& socket, const UpstreamResponse& response, bool half) {
    Deadline deadline = deadline_in(kIoTimeout);
    auto send_piece = [&](std::string_view piece) {
        if (!response.chunked) {
            return socket.send_all(piece, deadline);
        }
        return socket.send_all(chunk_header(piece.size()), deadline) &&
               socket.send_all(piece, deadline) && socket.send_all("\r\n", deadline);
    };
    if (response.generated_body_size > 0) {
        uint64_t total = half ? response.generated_body_size / 2 : response.generated_body_size;
        std::string block(BodyPattern::kMaxSpan, '\0');
        for (uint64_t sent = 0; sent < total;) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), total - sent));
            BodyPattern::instance().fill(sent, block.data(), n);
            if (!send_piece(std::string_view(block).substr(0, n))) {
                return false;
            }
            sent += n;
        }
    } else {
        std::string_view body = response.body;
        if (half) {
            body = body.substr(0, body.size() / 2);
        }
        size_t step = response.chunked ? std::max<size_t>(response.chunk_size, 1) : body.size();
        for (size_t at = 0; at < body.size(); at += step) {
            if (!send_piece(body.substr(at, step))) {
                return false;
            }
        }
    }
    if (half || !response.chunked) {
        return true;
    }
    std::string tail = "0\r\n";
    for (const auto& [name, value] : response.trailers) {
        tail += name + ": " + value + "\r\n";
    }
    return socket.send_all(tail + "\r\n", deadline);
}

}  // namespace gantry::test
