#pragma once

// WorkerContext: what one worker thread lends to everything that runs on it: its io_context, its
// pools of read buffers, arena blocks, strings and request parsers, its deadline queues, its
// counters, its access-log buffer and its random generator. Every layer may use it; only the
// worker's own thread touches it (the admin scrape reads the counters, see metrics.h). The
// worker's life cycle (threads, listeners, reloads, drain) is server::Worker, built on top.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <gantry/http/http1_parser.h>
#include <gantry/observability/access_log.h>
#include <gantry/observability/metrics.h>
#include <gantry/runtime/byte_buffer.h>
#include <gantry/runtime/deadline_queue.h>
#include <gantry/runtime/random.h>

namespace gantry::runtime {

class WorkerContext {
public:
    explicit WorkerContext(size_t index);
    ~WorkerContext();

    WorkerContext(const WorkerContext&) = delete;
    WorkerContext& operator=(const WorkerContext&) = delete;

    size_t index() const { return index_; }

    boost::asio::io_context& io_context() { return io_context_; }

    boost::asio::any_io_executor executor() { return io_context_.get_executor(); }

    BufferPool& buffers() { return buffers_; }

    // Larger read blocks for relaying long bodies: a quarter of the reads and writes per byte.
    BufferPool& large_buffers() { return large_buffers_; }

    // Gives a read buffer's block back to the pool it came from.
    void release_buffer(ByteBuffer& buffer) {
        (buffer.capacity() == large_buffers_.block_size() ? large_buffers_ : buffers_)
            .release(buffer);
    }

    BufferPool& arena_blocks() { return arena_blocks_; }

    StringPool& strings() { return strings_; }

    DeadlineQueue& deadlines() { return deadlines_; }

    // Idle timeouts of parked client connections: one timeout per listener, so new entries go
    // at the tail, apart from the upstream deadlines that would otherwise walk past them.
    DeadlineQueue& idle_deadlines() { return idle_deadlines_; }

    // Null when access logging is off.
    observability::AccessLogBuffer* access_log() { return access_log_buffer_.get(); }

    Random& random() { return random_; }

    // This worker's counters: written by its thread, read by the admin scrape (main thread).
    observability::WorkerMetrics& metrics() { return metrics_; }

    const observability::WorkerMetrics& metrics() const { return metrics_; }

    bool is_draining() const { return draining_; }

    // Request parsers that connections give back while they idle, so an idle keep-alive
    // connection holds none.
    std::unique_ptr<http::Http1Parser> take_parser(const http::Http1Limits& limits);
    void give_parser(std::unique_ptr<http::Http1Parser> parser, const http::Http1Limits& limits);

    // Free lists hold at most this many entries of each kind.
    static constexpr size_t kMaxFreeBlocks = 256;

protected:
    // Trims every free list to `kept` entries; returns how many entries were freed.
    size_t trim_free_lists(size_t kept);

    size_t index_;
    boost::asio::io_context io_context_;
    BufferPool buffers_;
    BufferPool large_buffers_;
    BufferPool arena_blocks_;
    StringPool strings_;
    DeadlineQueue deadlines_;
    DeadlineQueue idle_deadlines_;
    std::unique_ptr<observability::AccessLogBuffer> access_log_buffer_;
    Random random_;
    observability::WorkerMetrics metrics_;
    bool draining_ = false;

private:
    struct IdleParser {
        http::Http1Limits limits;
        std::unique_ptr<http::Http1Parser> parser;
    };

    std::vector<IdleParser> idle_parsers_;
};

}  // namespace gantry::runtime
