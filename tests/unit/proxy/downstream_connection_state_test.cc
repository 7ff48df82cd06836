#include <set>
#include <utility>

#include <catch2/catch.hpp>

#include <gantry/proxy/downstream_connection_state.h>

using gantry::proxy::DownstreamConnectionState;
using gantry::proxy::is_allowed_transition;
using gantry::proxy::is_waiting_for_request;
using S = DownstreamConnectionState;

namespace {

constexpr S kAll[] = {S::New,   S::AwaitingFirstRequest, S::ReadingHead, S::Serving,
                      S::Idle,  S::IdleParking,          S::Parked,      S::Closing,
                      S::Closed};

// The table in downstream_connection_state.h, written out again.
const std::set<std::pair<S, S>>& documented_transitions() {
    static const std::set<std::pair<S, S>> table = [] {
        std::set<std::pair<S, S>> t = {
            {S::New, S::AwaitingFirstRequest},
            {S::New, S::ReadingHead},
            {S::New, S::Closing},
            {S::AwaitingFirstRequest, S::ReadingHead},
            {S::AwaitingFirstRequest, S::Closing},
            {S::ReadingHead, S::Serving},
            {S::ReadingHead, S::Closing},
            {S::Serving, S::ReadingHead},
            {S::Serving, S::Idle},
            {S::Serving, S::Closing},
            {S::Idle, S::ReadingHead},
            {S::Idle, S::IdleParking},
            {S::Idle, S::Closing},
            {S::IdleParking, S::Parked},
            {S::IdleParking, S::Idle},
            {S::Parked, S::ReadingHead},
            {S::Parked, S::Closing},
        };
        for (S from : kAll) {
            if (from != S::Closed) {
                t.insert({from, S::Closed});
            }
        }
        return t;
    }();
    return table;
}

}  // namespace

TEST_CASE("the transition check allows exactly the documented table", "[downstream]") {
    for (S from : kAll) {
        for (S to : kAll) {
            INFO("from " << int(from) << " to " << int(to));
            CHECK(is_allowed_transition(from, to) ==
                  (documented_transitions().count({from, to}) == 1));
        }
    }
    CHECK(documented_transitions().size() == 25);
}

TEST_CASE("a keep-alive connection's request loop is allowed", "[downstream]") {
    const S path[] = {S::New,         S::AwaitingFirstRequest,
                      S::ReadingHead, S::Serving,
                      S::Idle,        S::IdleParking,
                      S::Parked,      S::ReadingHead,
                      S::Serving,     S::ReadingHead,  // pipelined
                      S::Serving,     S::Idle,
                      S::IdleParking, S::Idle,
                      S::ReadingHead, S::Serving,
                      S::Closing,     S::Closed};
    for (size_t i = 1; i < std::size(path); ++i) {
        INFO("step " << i);
        CHECK(is_allowed_transition(path[i - 1], path[i]));
    }
}

TEST_CASE("Closed is final and no phase re-enters itself", "[downstream]") {
    for (S to : kAll) {
        CHECK_FALSE(is_allowed_transition(S::Closed, to));
    }
    for (S state : kAll) {
        CHECK_FALSE(is_allowed_transition(state, state));
    }
    // Closing only ends; the first wait is never parked.
    CHECK_FALSE(is_allowed_transition(S::Closing, S::ReadingHead));
    CHECK_FALSE(is_allowed_transition(S::AwaitingFirstRequest, S::IdleParking));
    CHECK_FALSE(is_allowed_transition(S::ReadingHead, S::Idle));
}

TEST_CASE("a drain closes at once only the phases that wait for a request", "[downstream]") {
    static_assert(is_waiting_for_request(S::Parked));
    for (S state : kAll) {
        bool waiting = state == S::AwaitingFirstRequest || state == S::Idle ||
                       state == S::IdleParking || state == S::Parked;
        INFO("state " << int(state));
        CHECK(is_waiting_for_request(state) == waiting);
    }
}
