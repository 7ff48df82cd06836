#include <gantry/http2/flood_guard.h>

namespace gantry::http2 {

namespace {

// Frame types and flags of RFC 9113 section 6 (kept here so the guard needs no nghttp2).
constexpr uint8_t kData = 0x0;
constexpr uint8_t kHeaders = 0x1;
constexpr uint8_t kPriority = 0x2;
constexpr uint8_t kSettings = 0x4;
constexpr uint8_t kPushPromise = 0x5;
constexpr uint8_t kPing = 0x6;
constexpr uint8_t kWindowUpdate = 0x8;
constexpr uint8_t kContinuation = 0x9;
constexpr uint8_t kFlagEndStream = 0x1;
constexpr uint8_t kFlagAck = 0x1;
constexpr uint8_t kFlagEndHeaders = 0x4;
// A few WINDOW_UPDATEs are normal before any DATA: one per connection and per stream.
constexpr uint64_t kWindowUpdateAllowance = 100;
constexpr uint64_t kPriorityAllowance = 100;

}  // namespace

void FloodGuard::roll_window(Clock::time_point now) {
    if (now - window_start_ >= limits_.window) {
        window_start_ = now;
        premature_resets_ = 0;
        control_frames_ = 0;
    }
}

const char* FloodGuard::on_frame(uint8_t type, uint8_t flags, uint32_t length,
                                 Clock::time_point now) {
    if (type == kHeaders || type == kContinuation || type == kPushPromise) {
        if (const char* reason = on_header_block_frame(type, flags, length)) {
            return reason;
        }
    } else if (in_header_block_) {
        return nullptr;  // nghttp2 rejects a frame that interrupts a header block itself
    }
    bool is_empty_payload =
        length == 0 && (type == kData || type == kContinuation) && (flags & kFlagEndStream) == 0;
    if (type == kContinuation && (flags & kFlagEndHeaders) != 0) {
        is_empty_payload = false;  // ends the block: not a flood frame by itself
    }
    if (type == kData || type == kHeaders || type == kContinuation) {
        consecutive_empty_ = is_empty_payload ? consecutive_empty_ + 1 : 0;
        if (consecutive_empty_ > limits_.max_consecutive_empty_frames) {
            return "empty-frame-flood";
        }
    }
    switch (type) {
        case kPing:
        case kSettings:
            if ((flags & kFlagAck) != 0) {
                return nullptr;
            }
            roll_window(now);
            if (++control_frames_ > limits_.max_control_frames) {
                return type == kPing ? "ping-flood" : "settings-flood";
            }
            return nullptr;
        case kPriority:
            if (++priority_frames_ >
                kPriorityAllowance + limits_.max_priority_per_stream * streams_opened_) {
                return "priority-flood";
            }
            return nullptr;
        case kWindowUpdate:
            if (++window_update_frames_ >
                kWindowUpdateAllowance +
                    limits_.max_window_update_per_frame * (streams_opened_ + data_frames_sent_)) {
                return "window-update-flood";
            }
            return nullptr;
        default:
            return nullptr;
    }
}

const char* FloodGuard::on_header_block_frame(uint8_t type, uint8_t flags, uint32_t length) {
    if (type != kContinuation) {
        in_header_block_ = true;
        continuations_ = 0;
        header_block_bytes_ = 0;
    } else if (++continuations_ > limits_.max_continuations) {
        return "continuation-flood";
    }
    header_block_bytes_ += length;
    if (header_block_bytes_ > limits_.max_header_block_bytes) {
        return "header-block-too-large";
    }
    if ((flags & kFlagEndHeaders) != 0) {
        in_header_block_ = false;
    }
    return nullptr;
}

bool FloodGuard::on_stream_opened(Clock::time_point now) {
    ++streams_opened_;
    if (now - second_start_ >= std::chrono::seconds(1)) {
        second_start_ = now;
        streams_this_second_ = 0;
    }
    return ++streams_this_second_ > limits_.max_streams_per_second;
}

const char* FloodGuard::on_premature_reset(Clock::time_point now) {
    roll_window(now);
    if (++premature_resets_ > limits_.max_premature_resets) {
        return "rapid-reset";
    }
    return nullptr;
}

}  // namespace gantry::http2
