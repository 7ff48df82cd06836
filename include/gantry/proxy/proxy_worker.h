#pragma once

// ProxyWorker: a worker as the request path sees it: the runtime context (buffers, deadlines,
// counters), the config generation requests start on (with this worker's clusters for it), the
// pool of idle Stream objects, and the registry of open client connections that the worker's
// drain walks. server::Worker is the one implementation; it owns the thread and switches
// generations.

#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include <gantry/config/generation.h>
#include <gantry/runtime/worker_context.h>
#include <gantry/upstream/cluster.h>

namespace gantry::proxy {

class DrainableConnection;
class Stream;

// A generation as one worker sees it: the shared Generation plus this worker's clusters for it.
// Streams pin it with a plain (non-atomic) reference count, so pinning costs no shared atomic;
// the last stream of an old generation frees it on this worker's thread.
class WorkerGeneration
    : public boost::intrusive_ref_counter<WorkerGeneration, boost::thread_unsafe_counter> {
public:
    std::shared_ptr<const config::Generation> generation;
    std::unordered_map<std::string_view, std::shared_ptr<upstream::Cluster>> clusters;

    upstream::Cluster* find_cluster(std::string_view name) const {
        auto it = clusters.find(name);
        return it == clusters.end() ? nullptr : it->second.get();
    }
};

using WorkerGenerationRef = boost::intrusive_ptr<WorkerGeneration>;

class ProxyWorker : public runtime::WorkerContext {
public:
    explicit ProxyWorker(size_t index);
    virtual ~ProxyWorker();

    // The generation new requests start on.
    const WorkerGenerationRef& current() const { return current_; }

    // Stream objects that connections give back between requests.
    std::unique_ptr<Stream> take_stream();
    void give_stream(std::unique_ptr<Stream> stream);

    // The drain registry: every open client connection (whatever its protocol, from its accept
    // on), added when it is made and removed when it is destroyed, so a drain or a reload that
    // removes its listener can reach it.
    virtual void add_connection(DrainableConnection* connection) = 0;
    virtual void remove_connection(DrainableConnection* connection) = 0;

protected:
    size_t trim_idle_streams(size_t kept);

    WorkerGenerationRef current_;

private:
    std::vector<std::unique_ptr<Stream>> idle_streams_;
};

}  // namespace gantry::proxy
