#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <gantry/runtime/deadline_queue.h>

using gantry::runtime::DeadlineQueue;
using namespace std::chrono_literals;

namespace {

struct Recorder final : DeadlineQueue::Entry {
    Recorder(std::string name, std::vector<std::string>& fired)
        : name(std::move(name))
        , fired(fired) {}

    void on_deadline() noexcept override { fired.push_back(name); }

    std::string name;
    std::vector<std::string>& fired;
};

}  // namespace

TEST_CASE("deadlines expire in deadline order, whatever the order they were scheduled in",
          "[runtime]") {
    boost::asio::io_context io;
    DeadlineQueue queue(io.get_executor());
    std::vector<std::string> fired;
    Recorder a("a", fired), b("b", fired), c("c", fired);
    auto t0 = DeadlineQueue::Clock::now();
    queue.schedule(b, t0 + 20s);
    queue.schedule(c, t0 + 30s);
    queue.schedule(a, t0 + 10s);
    queue.expire(t0 + 5s);
    CHECK(fired.empty());
    queue.expire(t0 + 25s);
    CHECK(fired == std::vector<std::string>{"a", "b"});
    CHECK(c.is_scheduled());
    CHECK_FALSE(a.is_scheduled());
    queue.expire(t0 + 60s);
    CHECK(fired == std::vector<std::string>{"a", "b", "c"});
    CHECK(queue.empty());
}

TEST_CASE("a cancelled or rescheduled deadline does not fire at its old time", "[runtime]") {
    boost::asio::io_context io;
    DeadlineQueue queue(io.get_executor());
    std::vector<std::string> fired;
    Recorder a("a", fired), b("b", fired);
    auto t0 = DeadlineQueue::Clock::now();
    queue.schedule(a, t0 + 10s);
    queue.schedule(b, t0 + 10s);
    queue.cancel(a);
    queue.schedule(b, t0 + 40s);
    queue.expire(t0 + 20s);
    CHECK(fired.empty());
    queue.expire(t0 + 40s);
    CHECK(fired == std::vector<std::string>{"b"});
}

TEST_CASE("an entry destroyed while scheduled leaves the queue", "[runtime]") {
    boost::asio::io_context io;
    DeadlineQueue queue(io.get_executor());
    std::vector<std::string> fired;
    auto t0 = DeadlineQueue::Clock::now();
    {
        Recorder gone("gone", fired);
        queue.schedule(gone, t0 + 1s);
    }
    CHECK(queue.empty());
    queue.expire(t0 + 2s);
    CHECK(fired.empty());
}

TEST_CASE("the queue's timer expires due entries when the io_context runs", "[runtime]") {
    boost::asio::io_context io;
    DeadlineQueue queue(io.get_executor());
    std::vector<std::string> fired;
    Recorder soon("soon", fired);
    queue.schedule(soon, DeadlineQueue::Clock::now() + 5ms);
    io.run_for(2s);
    CHECK(fired == std::vector<std::string>{"soon"});
}
