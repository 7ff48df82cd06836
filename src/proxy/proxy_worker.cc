#include <gantry/proxy/proxy_worker.h>
#include <gantry/proxy/stream.h>

namespace gantry::proxy {

ProxyWorker::ProxyWorker(size_t index) : WorkerContext(index) {}

ProxyWorker::~ProxyWorker() = default;

std::unique_ptr<Stream> ProxyWorker::take_stream() {
    if (idle_streams_.empty()) {
        return std::make_unique<Stream>();
    }
    std::unique_ptr<Stream> stream = std::move(idle_streams_.back());
    idle_streams_.pop_back();
    return stream;
}

void ProxyWorker::give_stream(std::unique_ptr<Stream> stream) {
    if (idle_streams_.size() < kMaxFreeBlocks) {
        idle_streams_.push_back(std::move(stream));
    }
}

size_t ProxyWorker::trim_idle_streams(size_t kept) {
    if (idle_streams_.size() <= kept) {
        return 0;
    }
    size_t freed = idle_streams_.size() - kept;
    idle_streams_.resize(kept);
    return freed;
}

}  // namespace gantry::proxy
