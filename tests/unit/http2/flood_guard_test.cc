#include <catch2/catch.hpp>

#include <gantry/http2/flood_guard.h>

namespace gantry::http2 {
namespace {

using Clock = FloodGuard::Clock;
using namespace std::chrono_literals;

constexpr uint8_t kData = 0, kHeaders = 1, kPriority = 2, kSettings = 4, kPing = 6,
                  kWindowUpdate = 8, kContinuation = 9;
constexpr uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4;

const Clock::time_point kStart = Clock::time_point() + 1000s;

}  // namespace

TEST_CASE("premature resets over the window budget are a rapid-reset attack", "[http2]") {
    FloodLimits limits;
    limits.max_premature_resets = 5;
    FloodGuard guard(limits);
    for (int i = 0; i < 5; ++i) {
        CHECK(guard.on_premature_reset(kStart) == nullptr);
    }
    CHECK(std::string(guard.on_premature_reset(kStart)) == "rapid-reset");

    FloodGuard slow(limits);
    for (int i = 0; i < 20; ++i) {
        // One reset every 3 s: a new 10 s window before the budget runs out.
        CHECK(slow.on_premature_reset(kStart + i * 3s) == nullptr);
    }
}

TEST_CASE("PING and SETTINGS floods are counted per window, acks are not", "[http2]") {
    FloodLimits limits;
    limits.max_control_frames = 3;
    FloodGuard guard(limits);
    for (int i = 0; i < 100; ++i) {
        CHECK(guard.on_frame(kPing, kAck, 8, kStart) == nullptr);
    }
    CHECK(guard.on_frame(kPing, 0, 8, kStart) == nullptr);
    CHECK(guard.on_frame(kSettings, 0, 6, kStart) == nullptr);
    CHECK(guard.on_frame(kPing, 0, 8, kStart) == nullptr);
    CHECK(std::string(guard.on_frame(kSettings, 0, 6, kStart)) == "settings-flood");
    FloodGuard later(limits);
    for (int i = 0; i < 12; ++i) {
        CHECK(later.on_frame(kPing, 0, 8, kStart + i * 4s) == nullptr);
    }
}

TEST_CASE("a header block with too many CONTINUATION frames or bytes is a flood", "[http2]") {
    FloodLimits limits;
    limits.max_continuations = 3;
    limits.max_header_block_bytes = 1000;
    FloodGuard guard(limits);
    CHECK(guard.on_frame(kHeaders, 0, 10, kStart) == nullptr);
    for (int i = 0; i < 3; ++i) {
        CHECK(guard.on_frame(kContinuation, 0, 10, kStart) == nullptr);
    }
    CHECK(std::string(guard.on_frame(kContinuation, 0, 10, kStart)) == "continuation-flood");

    FloodGuard bytes(limits);
    CHECK(bytes.on_frame(kHeaders, 0, 600, kStart) == nullptr);
    CHECK(std::string(bytes.on_frame(kContinuation, 0, 600, kStart)) == "header-block-too-large");

    FloodGuard fine(limits);
    for (int block = 0; block < 10; ++block) {  // the count is per block
        CHECK(fine.on_frame(kHeaders, 0, 10, kStart) == nullptr);
        CHECK(fine.on_frame(kContinuation, 0, 10, kStart) == nullptr);
        CHECK(fine.on_frame(kContinuation, kEndHeaders, 10, kStart) == nullptr);
    }
}

TEST_CASE("consecutive empty DATA frames are a flood, END_STREAM ones are not", "[http2]") {
    FloodGuard guard;
    CHECK(guard.on_frame(kData, 0, 0, kStart) == nullptr);
    CHECK(guard.on_frame(kData, 0, 100, kStart) == nullptr);  // resets the run
    CHECK(guard.on_frame(kData, 0, 0, kStart) == nullptr);
    CHECK(std::string(guard.on_frame(kData, 0, 0, kStart)) == "empty-frame-flood");

    FloodGuard ends;
    for (int i = 0; i < 10; ++i) {
        CHECK(ends.on_frame(kData, kEndStream, 0, kStart) == nullptr);
    }
}

TEST_CASE("PRIORITY and WINDOW_UPDATE budgets grow with real work", "[http2]") {
    FloodGuard guard;
    for (int i = 0; i < 100; ++i) {
        CHECK(guard.on_frame(kPriority, 0, 5, kStart) == nullptr);
    }
    CHECK(std::string(guard.on_frame(kPriority, 0, 5, kStart)) == "priority-flood");

    FloodGuard busy;
    busy.on_stream_opened(kStart);
    for (int i = 0; i < 150; ++i) {
        CHECK(busy.on_frame(kPriority, 0, 5, kStart) == nullptr);
    }
    for (int i = 0; i < 110; ++i) {
        CHECK(busy.on_frame(kWindowUpdate, 0, 4, kStart) == nullptr);
    }
    CHECK(std::string(busy.on_frame(kWindowUpdate, 0, 4, kStart)) == "window-update-flood");
    for (int i = 0; i < 10; ++i) {
        busy.on_data_frame_sent();
    }
    CHECK(busy.on_frame(kWindowUpdate, 0, 4, kStart) == nullptr);
}

TEST_CASE("streams over the per-second rate throttle reading until the next second", "[http2]") {
    FloodLimits limits;
    limits.max_streams_per_second = 3;
    FloodGuard guard(limits);
    CHECK_FALSE(guard.on_stream_opened(kStart));
    CHECK_FALSE(guard.on_stream_opened(kStart + 100ms));
    CHECK_FALSE(guard.on_stream_opened(kStart + 200ms));
    CHECK(guard.on_stream_opened(kStart + 300ms));
    CHECK(guard.throttle_until() == kStart + 1s);
    CHECK_FALSE(guard.on_stream_opened(kStart + 1s));
    CHECK(guard.streams_opened() == 5);
}

}  // namespace gantry::http2
