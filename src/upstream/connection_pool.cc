#include <algorithm>
#include <cerrno>
#include <iterator>
#include <sys/socket.h>

#include <gantry/runtime/coarse_clock.h>
#include <gantry/upstream/connection_pool.h>

namespace gantry::upstream {

namespace {

constexpr auto kPeekAfter = std::chrono::milliseconds(500);

// An idle HTTP/1.1 connection has nothing to read: data or EOF means the peer closed it or sent
// something unsolicited; either way it must not carry another request.
bool is_still_open(UpstreamConnection& connection) {
    char byte;
    ssize_t n = ::recv(connection.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::unique_ptr<UpstreamConnection> ConnectionPool::lease() {
    auto now = runtime::coarse_steady_now();
    while (!idle_.empty()) {
        std::unique_ptr<UpstreamConnection> connection = std::move(idle_.back());
        idle_.pop_back();
        // A connection back in the pool for less than kPeekAfter is trusted without a system
        // call: upstreams announce planned closes with "Connection: close", and the rare race
        // with an idle close is covered by the router's one retry on a fresh connection.
        if (now - connection->idle_since < kPeekAfter || is_still_open(*connection)) {
            return connection;
        }
        boost::system::error_code ignored;
        connection->socket.close(ignored);
    }
    return nullptr;
}

void ConnectionPool::release(std::unique_ptr<UpstreamConnection> connection) {
    if (idle_.size() >= max_idle_) {
        boost::system::error_code ignored;
        connection->socket.close(ignored);
        return;
    }
    connection->idle_since = runtime::coarse_steady_now();
    idle_.push_back(std::move(connection));
}

std::shared_ptr<MultiplexedConnection> ConnectionPool::find_multiplexed() {
    std::shared_ptr<MultiplexedConnection> found;
    for (size_t i = 0; i < multiplexed_.size();) {
        std::shared_ptr<MultiplexedConnection> connection = multiplexed_[i].lock();
        if (!connection || !connection->is_open()) {
            multiplexed_[i] = std::move(multiplexed_.back());
            multiplexed_.pop_back();
            continue;
        }
        if (!found && connection->can_open_stream()) {
            found = std::move(connection);
        }
        ++i;
    }
    return found;
}

void ConnectionPool::add_multiplexed(const std::shared_ptr<MultiplexedConnection>& connection) {
    multiplexed_.push_back(connection);
}

void ConnectionPool::sweep(std::chrono::steady_clock::time_point now) {
    // Multiplexed connections close on their own idle timers; drop the references they left.
    std::erase_if(multiplexed_, [](const auto& weak) { return weak.expired(); });
    // idle_ is ordered by idle_since (oldest first), so the expired ones form a prefix.
    size_t expired = 0;
    while (expired < idle_.size() && now - idle_[expired]->idle_since >= idle_timeout_) {
        boost::system::error_code ignored;
        idle_[expired]->socket.close(ignored);
        ++expired;
    }
    idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(expired));
}

void ConnectionPool::take_from(ConnectionPool& other) {
    if (&other == this) {
        return;
    }
    // Both lists are oldest first; merging keeps the order the sweep relies on.
    std::vector<std::unique_ptr<UpstreamConnection>> merged;
    merged.reserve(idle_.size() + other.idle_.size());
    std::merge(std::make_move_iterator(idle_.begin()), std::make_move_iterator(idle_.end()),
               std::make_move_iterator(other.idle_.begin()),
               std::make_move_iterator(other.idle_.end()), std::back_inserter(merged),
               [](const auto& a, const auto& b) { return a->idle_since < b->idle_since; });
    other.idle_.clear();
    idle_ = std::move(merged);
    // Over the limit: the oldest go.
    const size_t excess = idle_.size() > max_idle_ ? idle_.size() - max_idle_ : 0;
    for (size_t i = 0; i < excess; ++i) {
        boost::system::error_code ignored;
        idle_[i]->socket.close(ignored);
    }
    idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(excess));
}

void ConnectionPool::clear() {
    sweep(std::chrono::steady_clock::time_point::max());
}

}  // namespace gantry::upstream
