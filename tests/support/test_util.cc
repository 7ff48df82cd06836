#include "support/test_util.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace gantry::test {

namespace {

sockaddr_in loopback(uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

int remaining_ms(Deadline deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool is_token_char(char c) {
    static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
    return std::isalnum(static_cast<unsigned char>(c)) || kExtra.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

// Waits for `pid` until `deadline`; returns the wait status, or nullopt when still running.
std::optional<int> wait_child(pid_t pid, Deadline deadline) {
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        if (Clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
}

bool parse_field_line(std::string_view line, Headers* out) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return false;
    }
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) {
        return false;
    }
    out->emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
    return true;
}

bool parse_start_line(std::string_view line, bool is_request, HttpHead* out) {
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) {
        return false;
    }
    if (is_request) {
        auto sp2 = line.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos) {
            return false;
        }
        out->method = std::string(line.substr(0, sp1));
        out->target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
        out->version = std::string(line.substr(sp2 + 1));
        return is_token(out->method) && !out->target.empty() && out->version.starts_with("HTTP/");
    }
    out->version = std::string(line.substr(0, sp1));
    std::string_view rest = line.substr(sp1 + 1);
    if (rest.size() < 3 || !std::all_of(rest.begin(), rest.begin() + 3, ::isdigit)) {
        return false;
    }
    out->status = std::stoi(std::string(rest.substr(0, 3)));
    out->reason = rest.size() > 4 ? std::string(rest.substr(4)) : "";
    return out->version.starts_with("HTTP/");
}

// True when the response to `head` can have no body by its status.
bool is_bodyless_status(int status) {
    return status < 200 || status == 204 || status == 304;
}

bool is_chunked(const Headers& headers) {
    std::string te = to_lower(joined_header(headers, "transfer-encoding"));
    return te.size() >= 7 && te.substr(te.size() - 7) == "chunked";
}

}  // namespace

uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error("socket failed");
    }
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("bind :0 failed");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool port_accepts(uint16_t port) {
    return try_connect(port, 1s) == ConnectOutcome::Connected;
}

ConnectOutcome try_connect(uint16_t port, std::chrono::milliseconds timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return ConnectOutcome::Error;
    }
    sockaddr_in addr = loopback(port);
    int r = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ConnectOutcome outcome = ConnectOutcome::Connected;
    if (r != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            outcome = ConnectOutcome::Timeout;
        } else {
            int err = 0;
            socklen_t len = sizeof(err);
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            outcome = err == 0              ? ConnectOutcome::Connected
                      : err == ECONNREFUSED ? ConnectOutcome::Refused
                                            : ConnectOutcome::Error;
        }
    } else if (r != 0) {
        outcome = errno == ECONNREFUSED ? ConnectOutcome::Refused : ConnectOutcome::Error;
    }
    ::close(fd);
    return outcome;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    Deadline deadline = deadline_in(timeout);
    for (;;) {
        if (pred()) {
            return true;
        }
        if (Clock::now() >= deadline) {
            return pred();
        }
        std::this_thread::sleep_for(10ms);
    }
}

std::string substitute(std::string text, const std::map<std::string, std::string>& vars) {
    for (const auto& [key, value] : vars) {
        std::string token = "@" + key + "@";
        for (size_t pos = text.find(token); pos != std::string::npos;
             pos = text.find(token, pos + value.size())) {
            text.replace(pos, token.size(), value);
        }
    }
    return text;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, std::string_view content) {
    // Write then rename, so that a reader (gantry on SIGHUP) never sees half a file.
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    std::filesystem::rename(tmp, path);
}

bool file_exists(const std::string& path) {
    return std::filesystem::exists(path);
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.emplace_back(line);
        if (nl == std::string_view::npos) {
            break;
        }
        text.remove_prefix(nl + 1);
    }
    return lines;
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/gantry-it-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    TempDir dir;
    std::string out_path = dir.file("out");
    std::string err_path = dir.file("err");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ProcessResult result;
    if (rc != 0) {
        result.err = "posix_spawnp failed: " + std::string(std::strerror(rc));
        return result;
    }
    std::optional<int> status = wait_child(pid, deadline_in(timeout));
    if (!status) {
        ::kill(pid, SIGKILL);
        status = wait_child(pid, deadline_in(5s));
        result.timed_out = true;
    }
    if (status && WIFEXITED(*status)) {
        result.exit_code = WEXITSTATUS(*status);
    }
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

std::optional<std::string> header_value(const Headers& headers, std::string_view name) {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) {
            return v;
        }
    }
    return std::nullopt;
}

std::vector<std::string> header_values(const Headers& headers, std::string_view name) {
    std::vector<std::string> values;
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) {
            values.push_back(v);
        }
    }
    return values;
}

std::string joined_header(const Headers& headers, std::string_view name) {
    std::string out;
    for (const auto& v : header_values(headers, name)) {
        if (!out.empty()) {
            out += ", ";
        }
        out += v;
    }
    return out;
}

bool has_header(const Headers& headers, std::string_view name) {
    return header_value(headers, name).has_value();
}

namespace {

// Parses curl's -D dump: one block per response head (interim ones first), then maybe trailers.
void parse_curl_dump(std::string_view dump, CurlResult* result) {
    bool in_head = false;
    for (const std::string& line : split_lines(dump)) {
        if (line.starts_with("HTTP/")) {
            HttpHead head;
            if (parse_start_line(line, false, &head)) {
                result->statuses.push_back(head.status);
            }
            result->headers.clear();
            in_head = true;
        } else if (line.empty()) {
            in_head = false;
        } else if (in_head) {
            parse_field_line(line, &result->headers);
        }
    }
}

}  // namespace

CurlResult run_curl(const std::vector<std::string>& args) {
    TempDir dir;
    std::vector<std::string> argv = {"curl",           "-q", "-sS",         "--max-time",     "10",
                                     "--noproxy",      "*",  "-D",          dir.file("head"), "-o",
                                     dir.file("body"), "-w", "%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult p = run_process(argv, 15s);
    CurlResult result;
    result.exit_code = p.exit_code;
    result.err = p.err;
    result.status = std::atoi(p.out.c_str());
    result.body = read_file(dir.file("body"));
    parse_curl_dump(read_file(dir.file("head")), &result);
    return result;
}

BufferedSocket::~BufferedSocket() {
    close();
}

BufferedSocket::BufferedSocket(BufferedSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1))
    , buffer_(std::move(other.buffer_)) {}

BufferedSocket& BufferedSocket::operator=(BufferedSocket&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        buffer_ = std::move(other.buffer_);
    }
    return *this;
}

bool BufferedSocket::send_all(std::string_view data, Deadline deadline) {
    while (!data.empty()) {
        if (fd_ < 0) {
            return false;
        }
        pollfd p{fd_, POLLOUT, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            return false;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

BufferedSocket::Read BufferedSocket::fill(Deadline deadline) {
    if (fd_ < 0) {
        return last_read_ = Read::Eof;
    }
    char chunk[64 * 1024];
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r == 0) {
            return last_read_ = Read::Timeout;
        }
        ssize_t n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
        if (n > 0) {
            buffer_.append(chunk, static_cast<size_t>(n));
            return last_read_ = Read::Ok;
        }
        if (n == 0) {
            return last_read_ = Read::Eof;
        }
        if (errno == EAGAIN || errno == EINTR) {
            if (Clock::now() >= deadline) {
                return last_read_ = Read::Timeout;
            }
            continue;
        }
        return last_read_ = Read::Reset;
    }
}

std::optional<std::string> BufferedSocket::read_until(std::string_view delim, Deadline deadline,
                                                      size_t max) {
    size_t searched = 0;
    for (;;) {
        size_t from = searched >= delim.size() ? searched - delim.size() + 1 : 0;
        auto pos = buffer_.find(delim, from);
        if (pos != std::string::npos) {
            std::string out = buffer_.substr(0, pos + delim.size());
            buffer_.erase(0, pos + delim.size());
            return out;
        }
        searched = buffer_.size();
        if (buffer_.size() > max || fill(deadline) != Read::Ok) {
            return std::nullopt;
        }
    }
}

std::optional<std::string> BufferedSocket::read_exact(size_t n, Deadline deadline) {
    while (buffer_.size() < n) {
        if (fill(deadline) != Read::Ok) {
            return std::nullopt;
        }
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
}

bool BufferedSocket::stream_exact(uint64_t n, Deadline deadline,
                                  const std::function<void(const char*, size_t)>& sink) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, buffer_.size()));
    if (take > 0) {
        sink(buffer_.data(), take);
        buffer_.erase(0, take);
        n -= take;
    }
    std::vector<char> chunk(256 * 1024);
    while (n > 0) {
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r == 0) {
            last_read_ = Read::Timeout;
            return false;
        }
        size_t want = static_cast<size_t>(std::min<uint64_t>(n, chunk.size()));
        ssize_t got = ::recv(fd_, chunk.data(), want, MSG_DONTWAIT);
        if (got > 0) {
            sink(chunk.data(), static_cast<size_t>(got));
            n -= static_cast<uint64_t>(got);
        } else if (got == 0) {
            last_read_ = Read::Eof;
            return false;
        } else if (errno != EAGAIN && errno != EINTR) {
            last_read_ = Read::Reset;
            return false;
        }
    }
    return true;
}

bool BufferedSocket::wait_closed(Deadline deadline, std::string* data) {
    for (;;) {
        if (data != nullptr) {
            data->append(buffer_);
        }
        buffer_.clear();
        Read r = fill(deadline);
        if (r == Read::Eof || r == Read::Reset) {
            return true;
        }
        if (r == Read::Timeout) {
            return false;
        }
    }
}

void BufferedSocket::shutdown_write() {
    if (fd_ >= 0) {
        ::shutdown(fd_, SHUT_WR);
    }
}

void BufferedSocket::reset() {
    if (fd_ >= 0) {
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        close();
    }
}

void BufferedSocket::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

BufferedSocket connect_to(uint16_t port, std::chrono::milliseconds timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return BufferedSocket();
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr = loopback(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        if (errno != EINPROGRESS) {
            ::close(fd);
            return BufferedSocket();
        }
        pollfd p{fd, POLLOUT, 0};
        int err = 0;
        socklen_t len = sizeof(err);
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0 ||
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            ::close(fd);
            return BufferedSocket();
        }
    }
    return BufferedSocket(fd);
}

bool parse_head(std::string_view text, bool is_request, HttpHead* out) {
    if (!text.ends_with("\r\n\r\n")) {
        return false;
    }
    text.remove_suffix(4);
    auto eol = text.find("\r\n");
    if (!parse_start_line(text.substr(0, eol), is_request, out)) {
        return false;
    }
    while (eol != std::string_view::npos) {
        text.remove_prefix(eol + 2);
        eol = text.find("\r\n");
        std::string_view line = text.substr(0, eol);
        if (line.find('\r') != std::string_view::npos || !parse_field_line(line, &out->headers)) {
            return false;
        }
    }
    return true;
}

bool read_chunked_body(BufferedSocket& socket, Deadline deadline,
                       const std::function<void(const char*, size_t)>& sink, Headers* trailers) {
    for (;;) {
        std::optional<std::string> line = socket.read_until("\r\n", deadline, 4096);
        if (!line) {
            return false;
        }
        char* end = nullptr;
        uint64_t size = std::strtoull(line->c_str(), &end, 16);
        if (end == line->c_str()) {
            return false;
        }
        if (size == 0) {
            break;
        }
        if (!socket.stream_exact(size, deadline, sink) ||
            socket.read_exact(2, deadline) != "\r\n") {
            return false;
        }
    }
    for (;;) {
        std::optional<std::string> line = socket.read_until("\r\n", deadline, 64 * 1024);
        if (!line) {
            return false;
        }
        if (*line == "\r\n") {
            return true;
        }
        if (!parse_field_line(std::string_view(*line).substr(0, line->size() - 2), trailers)) {
            return false;
        }
    }
}

std::optional<HttpResponse> read_response(BufferedSocket& socket, Deadline deadline,
                                          bool is_head_request) {
    HttpResponse response;
    for (;;) {
        std::optional<std::string> text = socket.read_until("\r\n\r\n", deadline);
        if (!text) {
            return std::nullopt;
        }
        HttpHead head;
        if (!parse_head(*text, false, &head)) {
            return std::nullopt;
        }
        if (head.status >= 100 && head.status < 200 && head.status != 101) {
            response.interim.push_back(std::move(head));
            continue;
        }
        response.head = std::move(head);
        break;
    }
    auto append = [&](const char* p, size_t n) {
        response.body.append(p, n);
    };
    const Headers& headers = response.head.headers;
    if (is_head_request || is_bodyless_status(response.head.status)) {
        response.complete = true;
    } else if (is_chunked(headers)) {
        response.chunked = true;
        response.complete = read_chunked_body(socket, deadline, append, &response.trailers);
    } else if (auto cl = header_value(headers, "content-length")) {
        response.complete = socket.stream_exact(std::stoull(*cl), deadline, append);
    } else {
        response.complete = socket.wait_closed(deadline, &response.body);
    }
    return response;
}

BodyPattern::BodyPattern() : table_(kMaxSpan + 251, '\0') {
    for (size_t i = 0; i < table_.size(); ++i) {
        table_[i] = static_cast<char>(i % 251);
    }
}

void BodyPattern::fill(uint64_t offset, char* out, size_t n) const {
    std::memcpy(out, table_.data() + offset % 251, std::min(n, kMaxSpan));
}

bool BodyPattern::matches(uint64_t offset, const char* data, size_t n) const {
    while (n > 0) {
        size_t span = std::min(n, kMaxSpan);
        if (std::memcmp(data, table_.data() + offset % 251, span) != 0) {
            return false;
        }
        data += span;
        offset += span;
        n -= span;
    }
    return true;
}

const BodyPattern& BodyPattern::instance() {
    static const BodyPattern pattern;
    return pattern;
}

uint64_t proc_status_kib(int pid, std::string_view field) {
    std::string text = read_file("/proc/" + std::to_string(pid) + "/status");
    for (const std::string& line : split_lines(text)) {
        if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
            return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
        }
    }
    return 0;
}

}  // namespace gantry::test
