#pragma once

// DeadlineQueue: one worker's deadlines (upstream request timeouts) on one asio timer. Entries
// sit in a list sorted by deadline; since most requests of a worker share a timeout, a new
// deadline usually goes at the tail in O(1), and removing one is O(1). The timer is re-armed only
// when the earliest deadline moves earlier; otherwise it fires at the old time, expires what is
// due and re-arms for the new head. A request therefore costs no timer system call. Owned by the
// Worker; touched only by its thread. An Entry unlinks itself when destroyed.

#include <chrono>
#include <cstdint>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gantry::runtime {

class DeadlineQueue {
public:
    using Clock = std::chrono::steady_clock;

    class Entry {
    public:
        Entry() = default;
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;

        // Runs on the worker thread when the deadline passes; the entry is already unlinked.
        virtual void on_deadline() noexcept = 0;

        bool is_scheduled() const { return queue_ != nullptr; }

    protected:
        ~Entry() {
            if (queue_ != nullptr) {
                queue_->cancel(*this);
            }
        }

    private:
        friend class DeadlineQueue;
        DeadlineQueue* queue_ = nullptr;
        Entry* prev_ = nullptr;
        Entry* next_ = nullptr;
        Clock::time_point deadline_;
    };

    explicit DeadlineQueue(const boost::asio::any_io_executor& executor) : timer_(executor) {}

    ~DeadlineQueue();

    // (Re)schedules `entry` for `deadline`.
    void schedule(Entry& entry, Clock::time_point deadline);
    void cancel(Entry& entry);

    // Expires every entry due at `now` (exposed for tests; the timer calls it).
    void expire(Clock::time_point now);

    bool empty() const { return head_ == nullptr; }

private:
    void link_sorted(Entry& entry);
    void arm();

    boost::asio::steady_timer timer_;
    Clock::time_point armed_for_ = Clock::time_point::max();
    uint64_t wait_sequence_ = 0;
    bool is_waiting_ = false;
    Entry* head_ = nullptr;
    Entry* tail_ = nullptr;
};

}  // namespace gantry::runtime
