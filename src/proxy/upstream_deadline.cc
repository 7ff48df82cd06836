// UpstreamRequest's timeouts: connect, whole request, per try and idle. The nearest one is
// scheduled on the worker's DeadlineQueue, which costs no timer system call per request.

#include <algorithm>

#include <boost/asio/steady_timer.hpp>

#include <gantry/config.h>
#include <gantry/proxy/downstream.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/stream.h>
#include <gantry/proxy/upstream_request.h>
#include <gantry/upstream/cluster.h>

namespace gantry::proxy {

using Clock = std::chrono::steady_clock;

void UpstreamRequest::arm_idle() {
    if (action_.idle_timeout.count() > 0) {
        idle_deadline_ = Clock::now() + action_.idle_timeout;
    }
    arm_timer();
}

void UpstreamRequest::arm_timer() {
    Clock::time_point next =
        std::min({overall_deadline_, try_deadline_, idle_deadline_, connect_deadline_});
    runtime::DeadlineQueue& queue = stream_.connection().worker().deadlines();
    if (next == Clock::time_point::max()) {
        queue.cancel(*this);
        return;
    }
    if (!is_scheduled() || next != scheduled_deadline_) {
        scheduled_deadline_ = next;
        queue.schedule(*this, next);
    }
}

void UpstreamRequest::count_timeout(TimeoutKind kind) {
    using observability::UpstreamTimeoutKind;
    uint32_t cluster = cluster_.metric_id();
    switch (kind) {
        case TimeoutKind::Connect:
            metrics().on_upstream_timeout(cluster, UpstreamTimeoutKind::Connect);
            break;
        case TimeoutKind::Request:
            metrics().on_upstream_timeout(cluster, UpstreamTimeoutKind::Request);
            break;
        case TimeoutKind::PerTry:
            metrics().on_upstream_timeout(cluster, UpstreamTimeoutKind::PerTry);
            break;
        case TimeoutKind::Idle:
            metrics().on_upstream_timeout(cluster, UpstreamTimeoutKind::Idle);
            break;
        case TimeoutKind::None:
            break;
    }
}

void UpstreamRequest::on_deadline() noexcept {
    Clock::time_point now = Clock::now();
    TimeoutKind kind = TimeoutKind::None;
    if (now >= connect_deadline_) {
        kind = TimeoutKind::Connect;
    } else if (now >= overall_deadline_) {
        kind = TimeoutKind::Request;
    } else if (now >= try_deadline_) {
        kind = TimeoutKind::PerTry;
    } else if (now >= idle_deadline_) {
        kind = TimeoutKind::Idle;
    }
    if (kind == TimeoutKind::None) {
        arm_timer();
        return;
    }
    timeout_kind_ = kind;
    count_timeout(kind);
    if (connection_) {
        boost::system::error_code ignored;
        connection_->socket.close(ignored);  // every pending upstream operation ends now
    }
    if (backoff_timer_ != nullptr) {
        backoff_timer_->cancel();
    }
    body_event_.set();
}

}  // namespace gantry::proxy
