#pragma once

// Worker: one thread running one io_context, and everything a request touches: its listeners'
// acceptors, its client connections, its clusters (LB state and pools), its buffer pool and its
// access-log buffer. Only this worker's thread touches them; the main thread talks to a worker
// only by posting a value (a new Generation, a drain order) to its executor.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include <gantry/observability/access_log.h>
#include <gantry/observability/metrics.h>
#include <gantry/runtime/byte_buffer.h>
#include <gantry/runtime/deadline_queue.h>
#include <gantry/runtime/generation.h>
#include <gantry/runtime/listener.h>
#include <gantry/upstream/cluster.h>
#include <gantry/upstream/load_balancer.h>

namespace gantry::proxy {
class DownstreamConnection;
class Stream;
}  // namespace gantry::proxy

namespace gantry::runtime {

class Worker;

// A generation as one worker sees it: the shared Generation plus this worker's clusters for it.
// Streams pin it with a plain (non-atomic) reference count, so pinning costs no shared atomic;
// the last stream of an old generation frees it on this worker's thread.
class WorkerGeneration
    : public boost::intrusive_ref_counter<WorkerGeneration, boost::thread_unsafe_counter> {
public:
    std::shared_ptr<const Generation> generation;
    std::unordered_map<std::string_view, std::shared_ptr<upstream::Cluster>> clusters;

    upstream::Cluster* find_cluster(std::string_view name) const {
        auto it = clusters.find(name);
        return it == clusters.end() ? nullptr : it->second.get();
    }
};

using WorkerGenerationRef = boost::intrusive_ptr<WorkerGeneration>;

// What a reload hands to one worker: the new generation, the listening sockets opened for the
// addresses it adds (one per address, for this worker), and the access-log sink when the
// access-log path changed. Built on the main thread, moved into the worker's queue.
struct WorkerUpdate {
    std::shared_ptr<const Generation> generation;
    std::vector<ListenSocket> new_sockets;
    bool access_log_changed = false;
    std::shared_ptr<observability::AccessLogSink> access_log;  // null: access log off
};

class Worker {
public:
    Worker(size_t index, std::shared_ptr<observability::AccessLogSink> access_log);
    ~Worker();

    size_t index() const { return index_; }

    boost::asio::io_context& io_context() { return io_context_; }

    boost::asio::any_io_executor executor() { return io_context_.get_executor(); }

    // Main thread, before start(): takes a listening socket for listener `name`.
    void add_listener(const std::string& name, ListenSocket socket);

    // Main thread: starts the thread with its first generation.
    void start(std::shared_ptr<const Generation> generation);

    // Main thread: hands over a reload (posted; applied on the worker thread). The worker
    // switches to the new generation, starts accepting on the new sockets, closes the sockets
    // of addresses the generation no longer has, and drains the connections they accepted
    // (their in-flight requests finish; after limits.drain_timeout the rest are closed).
    void post_update(WorkerUpdate update);

    // Main thread: stop accepting, finish in-flight requests within `drain_timeout`, then close
    // everything and end the thread. `on_done` runs on the worker thread when it is empty.
    void post_drain(std::chrono::milliseconds drain_timeout, std::function<void()> on_done);

    void join();

    // Worker thread API.
    const WorkerGenerationRef& current() const { return current_; }

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

    observability::AccessLogBuffer* access_log() { return access_log_buffer_.get(); }

    upstream::Random& random() { return random_; }

    // This worker's counters: written by its thread, read by the admin scrape (main thread).
    observability::WorkerMetrics& metrics() { return metrics_; }

    const observability::WorkerMetrics& metrics() const { return metrics_; }

    bool is_draining() const { return draining_; }

    // Registry of open client connections (for drain); O(1) both ways.
    void add_connection(proxy::DownstreamConnection* connection);
    void remove_connection(proxy::DownstreamConnection* connection);

    // Per-request objects that connections give back while they idle, so an idle keep-alive
    // connection holds neither a parser nor a stream.
    std::unique_ptr<http::Http1Parser> take_parser(const http::Http1Limits& limits);
    void give_parser(std::unique_ptr<http::Http1Parser> parser, const http::Http1Limits& limits);
    std::unique_ptr<proxy::Stream> take_stream();
    void give_stream(std::unique_ptr<proxy::Stream> stream);

private:
    void apply_generation(std::shared_ptr<const Generation> generation);
    void apply_update(WorkerUpdate update);
    void reconcile_listeners(std::vector<ListenSocket> new_sockets);
    void retire_connections();
    bool is_served(proxy::DownstreamConnection& connection) const;
    void start_housekeeping();
    void begin_drain(std::chrono::milliseconds drain_timeout, std::function<void()> on_done);
    void check_drained();
    void finish_pending_handlers();
    void return_idle_memory();

    size_t index_;
    boost::asio::io_context io_context_;
    std::thread thread_;
    std::vector<std::shared_ptr<Listener>> listeners_;
    WorkerGenerationRef current_;
    BufferPool buffers_;
    BufferPool large_buffers_;
    BufferPool arena_blocks_;
    StringPool strings_;
    DeadlineQueue deadlines_;
    DeadlineQueue idle_deadlines_;
    std::shared_ptr<observability::AccessLogSink> access_log_sink_;
    std::unique_ptr<observability::AccessLogBuffer> access_log_buffer_;
    upstream::Random random_;
    observability::WorkerMetrics metrics_;
    boost::asio::steady_timer housekeeping_timer_;
    boost::asio::steady_timer drain_timer_;
    boost::asio::steady_timer retire_timer_;  // closes what removed listeners still hold
    std::vector<proxy::DownstreamConnection*> connections_;

    struct IdleParser {
        http::Http1Limits limits;
        std::unique_ptr<http::Http1Parser> parser;
    };

    std::vector<IdleParser> idle_parsers_;
    std::vector<std::unique_ptr<proxy::Stream>> idle_streams_;
    bool draining_ = false;
    uint64_t housekeeping_ticks_ = 0;
    std::function<void()> on_drained_;
};

}  // namespace gantry::runtime
