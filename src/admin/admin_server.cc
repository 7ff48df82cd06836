#include <memory_resource>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gantry/admin/admin_server.h>
#include <gantry/http/http1_parser.h>
#include <gantry/http/http1_serializer.h>
#include <gantry/runtime/log.h>

namespace gantry::admin {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunk = 4096;
constexpr size_t kMaxDrainBytes = 64 * 1024;

http::Http1Limits admin_limits() {
    http::Http1Limits limits;
    limits.max_header_bytes = AdminServer::kMaxRequestHead;
    limits.max_headers = 64;
    limits.max_body = 0;  // never read: the answer comes right after the head
    return limits;
}

std::string serialize(const AdminResponse& response, bool is_head_only) {
    std::pmr::monotonic_buffer_resource arena;
    http::ResponseHead head(&arena);
    head.status = response.status;
    if (!response.body.empty()) {
        head.headers.add("Content-Type", response.content_type);
    }
    if (!response.error.empty()) {
        head.headers.add("x-gantry-error", response.error);
    }
    if (!response.allow.empty()) {
        head.headers.add("Allow", response.allow);
    }
    head.headers.add("Cache-Control", "no-store");
    head.headers.add("Connection", "close");
    std::string out;
    http::serialize_response_head(head, http::BodyFraming::ContentLength, response.body.size(),
                                  out);
    if (!is_head_only) {
        out += response.body;
    }
    return out;
}

AdminResponse bad_request(int status, const char* reason) {
    AdminResponse response;
    response.status = status;
    response.body = std::string(reason) + "\n";
    response.error = reason;
    return response;
}

}  // namespace

struct AdminServerState {
    AdminServerState(asio::io_context& context, AdminHandler h)
        : io_context(context)
        , acceptor(context)
        , handler(std::move(h)) {}

    asio::io_context& io_context;
    tcp::acceptor acceptor;
    AdminHandler handler;
    size_t connections = 0;
};

namespace {

asio::awaitable<AdminResponse> read_and_answer(AdminServerState& shared, tcp::socket& socket,
                                               bool* is_head_only);

asio::awaitable<void> serve(std::shared_ptr<AdminServerState> shared,
                            std::shared_ptr<tcp::socket> socket) {
    // The deadline closes the socket, which ends any read or write in progress.
    asio::steady_timer deadline(socket->get_executor());
    deadline.expires_after(AdminServer::kTimeout);
    deadline.async_wait([socket](boost::system::error_code ec) {
        if (!ec) {
            socket->close(ec);
        }
    });
    bool is_head_only = false;
    AdminResponse response = co_await read_and_answer(*shared, *socket, &is_head_only);
    std::string bytes = serialize(response, is_head_only);
    auto [write_ec, written] = co_await asio::async_write(*socket, asio::buffer(bytes), kAwait);
    boost::system::error_code ec;
    if (!write_ec) {
        // Read what the client still sends (a body we did not want) before closing, so that
        // the kernel does not answer it with a reset that could destroy the response.
        socket->shutdown(tcp::socket::shutdown_send, ec);
        char sink[kReadChunk];
        size_t drained = 0;
        while (drained < kMaxDrainBytes) {
            auto [read_ec, n] = co_await socket->async_read_some(asio::buffer(sink), kAwait);
            if (read_ec) {
                break;
            }
            drained += n;
        }
    }
    deadline.cancel();
    socket->close(ec);
    --shared->connections;
}

asio::awaitable<AdminResponse> read_and_answer(AdminServerState& shared, tcp::socket& socket,
                                               bool* is_head_only) {
    std::pmr::monotonic_buffer_resource arena;
    http::Http1Parser parser(http::Http1Parser::Kind::Request, admin_limits());
    parser.reset(&arena);
    std::string input;
    size_t consumed = 0;
    for (;;) {
        std::string_view view(input.data() + consumed, input.size() - consumed);
        http::Http1Event event = parser.next(view);
        consumed = input.size() - view.size();
        if (event.kind == http::Http1EventKind::HeadComplete) {
            break;
        }
        if (event.kind == http::Http1EventKind::Error) {
            co_return bad_request(event.status, event.reason);
        }
        if (event.kind != http::Http1EventKind::NeedMore) {
            co_return bad_request(400, "bad-request");
        }
        // The parser keeps what it needs; only the unconsumed tail stays in `input`.
        input.erase(0, consumed);
        consumed = 0;
        char chunk[kReadChunk];
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kAwait);
        if (ec) {
            co_return bad_request(parser.is_message_started() ? 400 : 408, "incomplete-request");
        }
        input.append(chunk, n);
    }
    const http::RequestHead& head = parser.request();
    *is_head_only = head.method == "HEAD";
    co_return shared.handler(head.method, head.path);
}

}  // namespace

AdminServer::AdminServer(asio::io_context& io_context, AdminHandler handler)
    : shared_(std::make_shared<AdminServerState>(io_context, std::move(handler))) {}

AdminServer::~AdminServer() {
    stop();
}

bool AdminServer::listen(const tcp::endpoint& endpoint, std::string* error) {
    boost::system::error_code ec;
    tcp::acceptor& acceptor = shared_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        *error = "admin: cannot listen on " + endpoint.address().to_string() + ":" +
                 std::to_string(endpoint.port()) + ": " + ec.message();
        boost::system::error_code ignored;
        acceptor.close(ignored);
        return false;
    }
    return true;
}

void AdminServer::start() {
    asio::co_spawn(
        shared_->io_context,
        [shared = shared_]() -> asio::awaitable<void> {
            while (shared->acceptor.is_open()) {
                auto [ec, socket] = co_await shared->acceptor.async_accept(kAwait);
                if (ec) {
                    if (ec == asio::error::operation_aborted || !shared->acceptor.is_open()) {
                        break;
                    }
                    // EMFILE and friends: pause instead of spinning on the error.
                    asio::steady_timer pause(shared->io_context, std::chrono::milliseconds(100));
                    co_await pause.async_wait(kAwait);
                    continue;
                }
                if (shared->connections >= kMaxConnections) {
                    continue;  // `socket` closes here
                }
                ++shared->connections;
                asio::co_spawn(shared->io_context,
                               serve(shared, std::make_shared<tcp::socket>(std::move(socket))),
                               asio::detached);
            }
        },
        asio::detached);
}

void AdminServer::stop() {
    boost::system::error_code ignored;
    shared_->acceptor.close(ignored);
}

}  // namespace gantry::admin
