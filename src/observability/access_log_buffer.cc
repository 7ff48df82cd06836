// AccessLogBuffer: a worker's lines waiting for the log-writer thread. Appending is plain string
// growth on the worker thread; the sink's lock is taken only when a whole buffer is handed over.

#include <gantry/observability/access_log.h>

namespace gantry::observability {

AccessLogBuffer::AccessLogBuffer(std::shared_ptr<AccessLogSink> sink, size_t flush_bytes)
    : sink_(std::move(sink))
    , flush_bytes_(flush_bytes) {
    // A line may push the buffer somewhat past flush_bytes before maybe_flush() runs; reserving a
    // little more avoids a regrowth for the common case.
    buffer_.reserve(flush_bytes_ + flush_bytes_ / 4);
}

AccessLogBuffer::~AccessLogBuffer() {
    flush();
}

void AccessLogBuffer::maybe_flush() {
    if (buffer_.size() >= flush_bytes_) {
        flush();
    }
}

void AccessLogBuffer::flush() {
    if (buffer_.empty()) {
        return;
    }
    if (sink_ == nullptr) {
        buffer_.clear();  // logging is off: keep the capacity, drop the lines
        return;
    }
    sink_->submit(buffer_);
}

}  // namespace gantry::observability
