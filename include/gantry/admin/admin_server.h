#pragma once

// AdminServer: the admin HTTP listener (`admin.listen`). It runs on the main thread's io_context
// (never on a worker), reads one request per connection with the project's Http1Parser, asks its
// handler for the response and closes. Every connection is bounded in time (kTimeout for reading
// the request and writing the response), in request size (8 KiB of head, no body is read) and in
// number (kMaxConnections at once; more are closed at accept). Bad input gets a 400/431 with the
// reason in x-gantry-error. Owned by server::Server; main thread only.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace gantry::admin {

struct AdminServerState;  // what the connection coroutines share (admin_server.cc)

struct AdminResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::string error;  // x-gantry-error value; empty for none
    std::string allow;  // Allow header (405); empty for none
};

// Answers one request (method, path without the query). Main thread.
using AdminHandler = std::function<AdminResponse(std::string_view method, std::string_view path)>;

class AdminServer {
public:
    static constexpr std::chrono::seconds kTimeout{10};
    static constexpr size_t kMaxConnections = 32;
    static constexpr size_t kMaxRequestHead = 8 * 1024;

    AdminServer(boost::asio::io_context& io_context, AdminHandler handler);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    // Binds the listening socket; false with `error` filled when it cannot.
    bool listen(const boost::asio::ip::tcp::endpoint& endpoint, std::string* error);

    // Starts accepting (served when the io_context runs).
    void start();

    // Closes the listening socket; connections in progress finish on their own (bounded).
    void stop();

private:
    std::shared_ptr<AdminServerState> shared_;  // outlives this object while connections run
};

}  // namespace gantry::admin
