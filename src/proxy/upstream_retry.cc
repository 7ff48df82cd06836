// UpstreamRequest's tries and retries: the loop over tries, the retry decision (route policy,
// retry budget, the cluster's max_retries breaker), the back-off between tries, the choice of an
// endpoint not tried yet and the replay of a bounded request body.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gantry/config.h>
#include <gantry/proxy/downstream_connection.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/stream.h>
#include <gantry/proxy/upstream_request.h>
#include <gantry/router/retry_policy.h>
#include <gantry/upstream/cluster.h>
#include <gantry/upstream/cluster_shared.h>

namespace gantry::proxy {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using router::TryOutcome;
using Resource = upstream::CircuitBreaker::Resource;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

}  // namespace

// The whole loop lives in run() (upstream_request.cc) so that an HTTP/1.1 request costs no
// coroutine frame beyond run() and read_response(); this decides what a try that ended without
// a response means.
ProxyError UpstreamRequest::after_failed_try(TryEnd end) {
    if (is_overflow_) {
        metrics().on_circuit_breaker_overflow(cluster_.metric_id());
        return ProxyError::upstream(ProxyError::Phase::Connect, ProxyError::Kind::Overloaded);
    }
    TryOutcome outcome = TryOutcome::Reset;
    ProxyError error;
    if (end == TryEnd::NoConnection) {
        bool is_timeout =
            timeout_kind_ == TimeoutKind::Request || timeout_kind_ == TimeoutKind::PerTry;
        outcome =
            timeout_kind_ == TimeoutKind::PerTry ? TryOutcome::Timeout : TryOutcome::ConnectFailure;
        error = ProxyError::upstream(
            ProxyError::Phase::Connect,
            is_timeout ? ProxyError::Kind::UpstreamTimeout : ProxyError::Kind::ConnectFailure);
    } else {
        outcome = timeout_kind_ == TimeoutKind::PerTry ? TryOutcome::Timeout : TryOutcome::Reset;
        error = upstream_failure(ProxyError::Phase::ResponseHead);
    }
    // Neither the overall nor the idle timeout is retried: the request's time is up.
    bool is_final = timeout_kind_ == TimeoutKind::Request || timeout_kind_ == TimeoutKind::Idle;
    if (!is_final && claim_retry(outcome, 0)) {
        is_retry_pending_ = true;
        return ProxyError{};
    }
    return error;
}

void UpstreamRequest::begin_try() {
    ++attempts_;
    is_retry_pending_ = false;
    cluster_.on_request_start(static_cast<size_t>(endpoint_));
    try_deadline_ = action_.per_try_timeout.count() > 0 ? Clock::now() + action_.per_try_timeout
                                                        : Clock::time_point::max();
    arm_timer();
}

int UpstreamRequest::pick_endpoint() {
    // A retry prefers an endpoint not tried yet; the cluster avoids them while another is usable.
    uint32_t tried[64];
    size_t tried_count = 0;
    for (uint32_t i = 0; i < 64 && (tried_endpoints_ >> i) != 0; ++i) {
        if ((tried_endpoints_ & (uint64_t{1} << i)) != 0) {
            tried[tried_count++] = i;
        }
    }
    int picked = cluster_.pick({&stream_.request(), stream_.connection().remote_ip(),
                                std::span<const uint32_t>(tried, tried_count)});
    if (picked >= 0 && picked < 64) {
        tried_endpoints_ |= uint64_t{1} << picked;
    }
    return picked;
}

bool UpstreamRequest::claim_retry(TryOutcome outcome, int status) {
    if (retry_policy_ == nullptr || retries_done_ >= retry_policy_->attempts || is_aborted_) {
        return false;
    }
    // Never once a response byte could have reached the client.
    if (is_response_started_ || is_interim_relayed_ || stream_.is_response_started()) {
        return false;
    }
    if (stream_.request().has_body() && !is_replayable_) {
        return false;
    }
    if (!router::is_retriable(*retry_policy_, outcome, status)) {
        return false;
    }
    // This request's own slot (held since its last retry) goes back before asking again.
    release_retry_slot();
    upstream::CircuitBreaker& limits = breaker();
    if (retry_policy_->budget &&
        !router::budget_allows(*retry_policy_->budget, limits.in_use(Resource::Requests),
                               limits.in_use(Resource::Retries))) {
        metrics().on_retry_refused(cluster_.metric_id());
        return false;
    }
    if (!limits.try_acquire(Resource::Retries, cluster_.config().circuit_breakers.max_retries)) {
        metrics().on_retry_refused(cluster_.metric_id());
        return false;
    }
    holds_retry_slot_ = true;
    ++retries_done_;
    metrics().on_upstream_retry(cluster_.metric_id());
    return true;
}

void UpstreamRequest::release_retry_slot() {
    if (holds_retry_slot_) {
        holds_retry_slot_ = false;
        breaker().release(Resource::Retries);
    }
}

asio::awaitable<bool> UpstreamRequest::back_off() {
    try_deadline_ = Clock::time_point::max();
    // The try's own timeouts are over with the try; the route's timeout still stands.
    if (timeout_kind_ == TimeoutKind::PerTry || timeout_kind_ == TimeoutKind::Connect) {
        timeout_kind_ = TimeoutKind::None;
    }
    arm_timer();
    std::chrono::milliseconds delay = router::backoff_delay(*retry_policy_, retries_done_,
                                                            stream_.connection().worker().random());
    if (delay.count() > 0 && !is_aborted_ && timeout_kind_ == TimeoutKind::None) {
        asio::steady_timer timer(executor_);
        timer.expires_after(delay);
        backoff_timer_ = &timer;
        co_await timer.async_wait(kAwait);
        backoff_timer_ = nullptr;
    }
    if (is_aborted_) {
        co_return false;
    }
    if (timeout_kind_ != TimeoutKind::None || Clock::now() >= overall_deadline_) {
        fail(ProxyError::upstream(ProxyError::Phase::Connect, ProxyError::Kind::UpstreamTimeout));
        co_return false;
    }
    co_return true;
}

void UpstreamRequest::prepare_retry() {
    response_status_ = 0;
    is_interim_ = false;
    is_response_ended_ = false;
    is_response_keep_alive_ = false;
    is_tunnel_ = false;
    read_buffer_.consume(read_buffer_.size());
    if (stream_.request().has_body()) {
        // Everything the client sent so far goes again; what it sends later follows.
        body_queue_.assign(replay_.data(), replay_.size());
        is_body_sent_ = false;
    }
}

void UpstreamRequest::keep_for_replay(std::string_view data) {
    if (!is_replayable_) {
        return;
    }
    if (replay_.size() + data.size() > retry_policy_->body_buffer) {
        is_replayable_ = false;  // too big to replay: this request is not retried any more
        return;
    }
    replay_.append(data);
}

}  // namespace gantry::proxy
