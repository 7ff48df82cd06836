#include <gantry/observability/metrics.h>

namespace gantry::observability {

CounterArray::CounterArray() : chunks_(new std::atomic<Chunk*>[kMaxChunks]) {
    for (size_t i = 0; i < kMaxChunks; ++i) {
        chunks_[i].store(nullptr, std::memory_order_relaxed);
    }
}

CounterArray::~CounterArray() {
    for (size_t i = 0; i < kMaxChunks; ++i) {
        delete chunks_[i].load(std::memory_order_relaxed);
    }
}

void CounterArray::ensure(size_t count) {
    size_t chunks = (count + kChunkSize - 1) / kChunkSize;
    if (chunks > kMaxChunks) {
        chunks = kMaxChunks;
    }
    for (size_t i = capacity_ / kChunkSize; i < chunks; ++i) {
        // Release: a reader that sees the pointer sees the zeroed counters behind it.
        chunks_[i].store(new Chunk(), std::memory_order_release);
    }
    if (chunks * kChunkSize > capacity_) {
        capacity_ = chunks * kChunkSize;
    }
}

uint64_t CounterArray::load(size_t index) const {
    if (index >= kChunkSize * kMaxChunks) {
        return 0;
    }
    const Chunk* chunk = chunks_[index / kChunkSize].load(std::memory_order_acquire);
    return chunk == nullptr ? 0 : chunk->values[index % kChunkSize].load(std::memory_order_relaxed);
}

void WorkerMetrics::ensure(const MetricSizes& sizes) {
    requests_.ensure(size_t{sizes.route_series} * kStatusClasses);
    listeners_.ensure(size_t{sizes.listeners} * ListenerSlots::kStride);
    clusters_.ensure(size_t{sizes.clusters} * ClusterSlots::kStride);
    endpoints_.ensure(size_t{sizes.endpoints} * EndpointSlots::kStride);
    cluster_traffic_.ensure(size_t{sizes.clusters} * ClusterTrafficSlots::kStride);
    tls_handshake_failures_.ensure(sizes.listeners);
}

}  // namespace gantry::observability
