#pragma once

// AsyncEvent: a one-waiter signal between coroutines of one worker thread, built on a
// steady_timer that never expires (cancel() is the wake-up, and asio posts the waiter rather than
// running it inline, so set() is safe from any code on the worker thread). The timer is made on
// the first wait that has to suspend: constructing one looks up asio's timer service under a
// mutex, and most events of a request are set before anybody waits. Owned by the object whose
// state it signals; touched only by that object's worker thread.

#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gantry::runtime {

class AsyncEvent {
public:
    explicit AsyncEvent(boost::asio::io_context& io_context) : io_context_(&io_context) {}

    // Waits until set() is called (returns at once when it already was since the last reset()).
    boost::asio::awaitable<void> wait() {
        while (!is_set_) {
            if (!timer_) {
                timer_ = std::make_unique<boost::asio::steady_timer>(*io_context_);
            }
            timer_->expires_at(boost::asio::steady_timer::time_point::max());
            co_await timer_->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
    }

    void set() {
        is_set_ = true;
        if (timer_) {
            timer_->cancel();
        }
    }

    void reset() { is_set_ = false; }

    bool is_set() const { return is_set_; }

private:
    // Small while unused (two pointers), since every connection has a few of these.
    boost::asio::io_context* io_context_;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    bool is_set_ = false;
};

}  // namespace gantry::runtime
