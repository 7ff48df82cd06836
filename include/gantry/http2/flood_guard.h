#pragma once

// FloodGuard: the per-connection accounting that tells an abusive HTTP/2 client from a busy one.
// Each frame header the client sends is shown to it (nghttp2's on_begin_frame, which also sees
// CONTINUATION frames), together with stream openings, premature resets and the DATA frames
// gantry sends. It answers with a static reason once a budget is exceeded; the connection then
// sends GOAWAY(ENHANCE_YOUR_CALM) and closes. Budgets (see docs/config.md, "HTTP/2"):
//   * rapid reset (CVE-2023-44487): streams the client resets before their response ended,
//     per 10 s window;
//   * CONTINUATION flood (CVE-2024-27316): frames and bytes of one header block;
//   * PING and SETTINGS floods: per 10 s window;
//   * PRIORITY frames: 100 per stream opened (plus 100), as Envoy;
//   * WINDOW_UPDATE frames: bounded by the streams opened and DATA frames sent, as Envoy;
//   * empty frames: more than one DATA/CONTINUATION frame in a row without payload (and without
//     END_STREAM), as Envoy's max_consecutive_inbound_frames_with_empty_payload.
// New streams over a rate are throttled (reading pauses) rather than refused.
// Pure: the caller passes the time. One per HTTP/2 connection, touched by its worker thread only.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace gantry::http2 {

struct FloodLimits {
    std::chrono::steady_clock::duration window = std::chrono::seconds(10);
    uint32_t max_premature_resets = 200;           // per window
    uint32_t max_control_frames = 1000;            // PING + SETTINGS per window
    uint32_t max_priority_per_stream = 100;        // PRIORITY frames per stream opened
    uint32_t max_window_update_per_frame = 10;     // WINDOW_UPDATE per stream or DATA frame sent
    uint32_t max_consecutive_empty_frames = 1;     // DATA/CONTINUATION without payload
    uint32_t max_continuations = 16;               // CONTINUATION frames per header block
    uint64_t max_header_block_bytes = 256 * 1024;  // HEADERS + CONTINUATION payload per block
    uint32_t max_streams_per_second = 20000;       // above it, reading pauses until the next second
};

class FloodGuard {
public:
    using Clock = std::chrono::steady_clock;

    explicit FloodGuard(const FloodLimits& limits = {}) : limits_(limits) {}

    // A frame header from the client. Returns nullptr, or the reason the client is cut off.
    const char* on_frame(uint8_t type, uint8_t flags, uint32_t length, Clock::time_point now);

    // The client opened a stream. Returns true when the client is over the stream rate and
    // reading should pause until throttle_until().
    bool on_stream_opened(Clock::time_point now);

    // The client reset a stream whose response had not ended.
    const char* on_premature_reset(Clock::time_point now);

    void on_data_frame_sent() { ++data_frames_sent_; }

    Clock::time_point throttle_until() const { return second_start_ + std::chrono::seconds(1); }

    uint64_t streams_opened() const { return streams_opened_; }

private:
    void roll_window(Clock::time_point now);
    const char* on_header_block_frame(uint8_t type, uint8_t flags, uint32_t length);

    FloodLimits limits_;
    Clock::time_point window_start_{};
    uint32_t premature_resets_ = 0;
    uint32_t control_frames_ = 0;
    uint64_t streams_opened_ = 0;
    uint64_t priority_frames_ = 0;
    uint64_t window_update_frames_ = 0;
    uint64_t data_frames_sent_ = 0;
    uint32_t consecutive_empty_ = 0;
    bool in_header_block_ = false;
    uint32_t continuations_ = 0;
    uint64_t header_block_bytes_ = 0;
    Clock::time_point second_start_{};
    uint32_t streams_this_second_ = 0;
};

}  // namespace gantry::http2
