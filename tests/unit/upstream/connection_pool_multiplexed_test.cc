// The multiplexed (HTTP/2) side of an endpoint's ConnectionPool: weak references, handed out while
// open and under the stream limit, dropped once closed or destroyed.
#include <memory>

#include <catch2/catch.hpp>

#include <gantry/upstream/connection_pool.h>

using gantry::upstream::ConnectionPool;
using gantry::upstream::MultiplexedConnection;

namespace {

struct FakeConnection final : MultiplexedConnection {
    bool open = true;
    bool has_room = true;

    bool is_open() const override { return open; }

    bool can_open_stream() const override { return open && has_room; }
};

ConnectionPool make_pool() {
    return ConnectionPool(4, std::chrono::milliseconds(1000));
}

}  // namespace

TEST_CASE("An empty pool has no multiplexed connection to offer") {
    ConnectionPool pool = make_pool();
    CHECK(pool.find_multiplexed() == nullptr);
}

TEST_CASE("A multiplexed connection is shared, not leased: it stays in the pool") {
    ConnectionPool pool = make_pool();
    auto connection = std::make_shared<FakeConnection>();
    pool.add_multiplexed(connection);
    CHECK(pool.find_multiplexed() == connection);
    CHECK(pool.find_multiplexed() == connection);
    CHECK(pool.multiplexed_count() == 1);
}

TEST_CASE("A full multiplexed connection is skipped for one with room, and kept") {
    ConnectionPool pool = make_pool();
    auto full = std::make_shared<FakeConnection>();
    full->has_room = false;
    auto roomy = std::make_shared<FakeConnection>();
    pool.add_multiplexed(full);
    pool.add_multiplexed(roomy);
    CHECK(pool.find_multiplexed() == roomy);
    CHECK(pool.multiplexed_count() == 2);
    roomy->has_room = false;
    CHECK(pool.find_multiplexed() == nullptr);
    full->has_room = true;
    CHECK(pool.find_multiplexed() == full);
}

TEST_CASE("Closed and destroyed multiplexed connections are dropped from the pool") {
    ConnectionPool pool = make_pool();
    auto closed = std::make_shared<FakeConnection>();
    auto live = std::make_shared<FakeConnection>();
    pool.add_multiplexed(closed);
    pool.add_multiplexed(live);
    {
        auto gone = std::make_shared<FakeConnection>();
        pool.add_multiplexed(gone);
    }
    closed->open = false;
    CHECK(pool.find_multiplexed() == live);
    CHECK(pool.multiplexed_count() == 1);

    live.reset();
    pool.sweep(std::chrono::steady_clock::now());
    CHECK(pool.multiplexed_count() == 0);
}
