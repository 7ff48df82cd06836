#pragma once

// DownstreamConnectionState: the life-cycle phase of one HTTP/1.1 client connection
// (proxy::DownstreamConnection), one byte. The phases exclude each other; the connection changes
// phase only through DownstreamConnection::enter(), which asserts in debug builds that
// is_allowed_transition() holds. What is not a phase (a write in flight, keep-alive wanted, drain
// requested, the socket broken, a timeout passed, the read hints) stays in flags of the
// connection, as each can be true in several phases.
//
// Transitions (from -> to: what causes it [where]):
//
//   New -> AwaitingFirstRequest  run() waits for the first request [begin_idle]
//   New -> ReadingHead           handed over with the first bytes read [start_with_input]
//   New -> Closing               handed over after the wait for the first bytes failed
//                                [start_close]; draining before that wait [run]
//   AwaitingFirstRequest -> ReadingHead   the first bytes are readable [end_idle]
//   AwaitingFirstRequest -> Closing       header_timeout, read error [run]
//   ReadingHead -> Serving       the head is complete [serve_one_request]
//   ReadingHead -> Closing       bad head (4xx), 408, reset, listener removed by a reload [run]
//   Serving -> ReadingHead       the next request is already buffered (pipelined) [run]
//   Serving -> Idle              kept alive, nothing buffered [begin_idle]
//   Serving -> Closing           no keep-alive, stream aborted, socket broken, draining [run]
//   Idle -> ReadingHead          the next request's bytes are readable [end_idle]
//   Idle -> IdleParking          plain TCP, idle for two 500 ms ticks: cancel the wait
//                                [on_deadline]
//   Idle -> Closing              idle_timeout, read error [run]
//   IdleParking -> Parked        the cancelled wait ended: leave run() [park]
//   IdleParking -> Idle          bytes or a timeout came before the cancel: stay in run()
//                                [park]
//   Parked -> ReadingHead        the socket is readable [on_parked_readable]
//   Parked -> Closing            idle_timeout (worker's idle queue), wait error
//                                [on_parked_readable]
//   Closing -> Closed            the output drained, the lingering close is over [run]
//   any but Closed -> Closed     abort(); begin_drain() while waiting for a request; the
//                                listener gone at accept [close_socket]
//
// Closed is final. Code that resumes after a close (a coroutine woken after abort()) checks for
// Closed before it enters another phase.

#include <cstdint>

namespace gantry::proxy {

enum class DownstreamConnectionState : uint8_t {
    New,                   // constructed; run() has not waited or read yet
    AwaitingFirstRequest,  // waiting for the first request's bytes (header_timeout), no buffer
    ReadingHead,           // reading a request head (header_timeout)
    Serving,               // the head is in: the body is read and the stream answers
    Idle,                  // kept alive between requests, waiting in run() (idle_timeout)
    IdleParking,           // idle, its wait cancelled so that run() can leave and park
    Parked,                // idle outside run(): a plain callback waits for readability
    Closing,               // no more requests: the output drains, then the lingering close
    Closed,                // the socket is closed
};

// Whether the connection may go from `from` to `to` (the table above).
constexpr bool is_allowed_transition(DownstreamConnectionState from, DownstreamConnectionState to) {
    using S = DownstreamConnectionState;
    if (to == S::Closed) {
        return from != S::Closed;
    }
    switch (from) {
        case S::New:
            return to == S::AwaitingFirstRequest || to == S::ReadingHead || to == S::Closing;
        case S::AwaitingFirstRequest:
            return to == S::ReadingHead || to == S::Closing;
        case S::ReadingHead:
            return to == S::Serving || to == S::Closing;
        case S::Serving:
            return to == S::ReadingHead || to == S::Idle || to == S::Closing;
        case S::Idle:
            return to == S::ReadingHead || to == S::IdleParking || to == S::Closing;
        case S::IdleParking:
            return to == S::Parked || to == S::Idle;
        case S::Parked:
            return to == S::ReadingHead || to == S::Closing;
        case S::Closing:
        case S::Closed:
            return false;
    }
    return false;
}

// Waiting for a request's first bytes, in run() or parked: a drain closes the connection at
// once, as nothing is in flight.
constexpr bool is_waiting_for_request(DownstreamConnectionState state) {
    using S = DownstreamConnectionState;
    return state == S::AwaitingFirstRequest || state == S::Idle || state == S::IdleParking ||
           state == S::Parked;
}

}  // namespace gantry::proxy
