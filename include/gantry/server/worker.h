#pragma once

// Worker: the life cycle of one worker thread: the thread and its io_context, its listeners'
// acceptors, generation switches on reload (keeping clusters whose fingerprint is unchanged),
// housekeeping, and the drain of its client connections. What requests use of it is
// proxy::ProxyWorker and runtime::WorkerContext, its bases. Only this worker's thread touches
// it; the main thread talks to a worker only by posting a value (a new Generation, a drain
// order) to its executor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gantry/observability/access_log.h>
#include <gantry/proxy/drainable_connection.h>
#include <gantry/proxy/proxy_worker.h>
#include <gantry/server/listener.h>

namespace gantry::server {

// What a reload hands to one worker: the new generation, the listening sockets opened for the
// addresses it adds (one per address, for this worker), and the access-log sink when the
// access-log path changed. Built on the main thread, moved into the worker's queue.
struct WorkerUpdate {
    std::shared_ptr<const config::Generation> generation;
    std::vector<ListenSocket> new_sockets;
    bool access_log_changed = false;
    std::shared_ptr<observability::AccessLogSink> access_log;  // null: access log off
};

class Worker final : public proxy::ProxyWorker {
public:
    Worker(size_t index, std::shared_ptr<observability::AccessLogSink> access_log);
    ~Worker() override;

    // Main thread, before start(): takes a listening socket for listener `name`.
    void add_listener(const std::string& name, ListenSocket socket);

    // Main thread: starts the thread with its first generation.
    void start(std::shared_ptr<const config::Generation> generation);

    // Main thread: hands over a reload (posted; applied on the worker thread). The worker
    // switches to the new generation, starts accepting on the new sockets, closes the sockets
    // of addresses the generation no longer has, and drains the connections they accepted
    // (their in-flight requests finish; after limits.drain_timeout the rest are closed).
    void post_update(WorkerUpdate update);

    // Main thread: stop accepting, finish in-flight requests within `drain_timeout`, then close
    // everything and end the thread. `on_done` runs on the worker thread when it is empty.
    void post_drain(std::chrono::milliseconds drain_timeout, std::function<void()> on_done);

    void join();

    // Worker thread: the drain registry (O(1) both ways). Adding counts a connection opened,
    // removing one closed.
    void add_connection(proxy::DrainableConnection* connection) override;
    void remove_connection(proxy::DrainableConnection* connection) override;
    // Worker thread: `successor` takes `connection`'s place (a ConnectionBootstrap handing its
    // client to the protocol's connection), so the client counts as one connection throughout.
    void replace_connection(proxy::DrainableConnection& connection,
                            proxy::DrainableConnection& successor);

private:
    void apply_generation(std::shared_ptr<const config::Generation> generation);
    void apply_update(WorkerUpdate update);
    void reconcile_listeners(std::vector<ListenSocket> new_sockets);
    void retire_connections();
    bool is_served(proxy::DrainableConnection& connection) const;
    void start_housekeeping();
    void begin_drain(std::chrono::milliseconds drain_timeout, std::function<void()> on_done);
    void check_drained();
    void finish_pending_handlers();
    void return_idle_memory();

    std::thread thread_;
    std::vector<std::shared_ptr<Listener>> listeners_;
    std::shared_ptr<observability::AccessLogSink> access_log_sink_;
    boost::asio::steady_timer housekeeping_timer_;
    boost::asio::steady_timer drain_timer_;
    boost::asio::steady_timer retire_timer_;  // closes what removed listeners still hold
    std::vector<proxy::DrainableConnection*> connections_;
    uint64_t housekeeping_ticks_ = 0;
    std::function<void()> on_drained_;
};

}  // namespace gantry::server
