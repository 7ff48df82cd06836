#include <gantry/runtime/deadline_queue.h>

namespace gantry::runtime {

DeadlineQueue::~DeadlineQueue() {
    while (head_ != nullptr) {
        cancel(*head_);
    }
}

void DeadlineQueue::schedule(Entry& entry, Clock::time_point deadline) {
    if (entry.queue_ != nullptr) {
        cancel(entry);
    }
    entry.deadline_ = deadline;
    entry.queue_ = this;
    link_sorted(entry);
    if (head_ == &entry) {
        arm();
    }
}

void DeadlineQueue::link_sorted(Entry& entry) {
    // Walk back from the tail: deadlines of one worker mostly arrive in increasing order.
    Entry* after = tail_;
    while (after != nullptr && after->deadline_ > entry.deadline_) {
        after = after->prev_;
    }
    entry.prev_ = after;
    entry.next_ = after != nullptr ? after->next_ : head_;
    if (entry.next_ != nullptr) {
        entry.next_->prev_ = &entry;
    } else {
        tail_ = &entry;
    }
    if (after != nullptr) {
        after->next_ = &entry;
    } else {
        head_ = &entry;
    }
}

void DeadlineQueue::cancel(Entry& entry) {
    if (entry.queue_ != this) {
        return;
    }
    if (entry.prev_ != nullptr) {
        entry.prev_->next_ = entry.next_;
    } else {
        head_ = entry.next_;
    }
    if (entry.next_ != nullptr) {
        entry.next_->prev_ = entry.prev_;
    } else {
        tail_ = entry.prev_;
    }
    entry.prev_ = entry.next_ = nullptr;
    entry.queue_ = nullptr;
    // The timer is left running: when it fires it finds nothing due and re-arms for the head.
}

void DeadlineQueue::expire(Clock::time_point now) {
    while (head_ != nullptr && head_->deadline_ <= now) {
        Entry& due = *head_;
        cancel(due);
        due.on_deadline();
    }
}

void DeadlineQueue::arm() {
    if (head_ == nullptr) {
        return;
    }
    if (is_waiting_ && armed_for_ <= head_->deadline_) {
        return;
    }
    armed_for_ = head_->deadline_;
    is_waiting_ = true;
    uint64_t sequence = ++wait_sequence_;
    timer_.expires_at(armed_for_);  // a superseded wait completes with operation_aborted
    // The queue belongs to the worker and outlives its io_context's handlers.
    timer_.async_wait([this, sequence](boost::system::error_code ec) {
        if (sequence != wait_sequence_) {
            return;
        }
        is_waiting_ = false;
        if (ec) {
            return;
        }
        expire(Clock::now());
        arm();
    });
}

}  // namespace gantry::runtime
